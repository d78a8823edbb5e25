"""Which onnxruntime execution providers the engine's sessions use: CUDA first when offered, then CPU."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

import onnxruntime

logger = logging.getLogger(__name__)

# Only the providers we have run the engine on; others (TensorRT, ROCm, Azure) are left out on purpose
# because their first-run behaviour (engine builds, remote calls) is not something a worker should meet
# unannounced.
_PREFERRED = ("CUDAExecutionProvider", "CPUExecutionProvider")


def choose_providers(available: Sequence[str]) -> list[str]:
    """The preferred providers among `available`, best first; CPU is always the last resort."""
    chosen = [name for name in _PREFERRED if name in available]
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


def onnx_providers() -> list[str]:
    """Providers for every session the engine opens, logged once per process."""
    return list(_providers_once())


@functools.cache
def _providers_once() -> tuple[str, ...]:
    available = list(onnxruntime.get_available_providers())
    chosen = choose_providers(available)
    logger.info(
        "onnxruntime %s providers: using %s (available: %s)", onnxruntime.__version__, chosen, available
    )
    return tuple(chosen)
