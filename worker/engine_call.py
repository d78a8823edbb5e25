"""Run one engine call on a daemon thread, so the worker can stop waiting for it.

ONNX inference cannot be interrupted. When the worker is told to stop, or a call runs past its
time limit, the worker gives the task back and walks away; a daemon thread dies with the process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Protocol

from core.logic.fault_injection import fault_point
from engine_layer.datatypes import SwapResult
from engine_layer.operations import Operation
from engine_layer.provenance.labels import ResultLabels

ENGINE_THREAD = "engine-run"


def engine_still_running() -> bool:
    """True when a call was walked away from and is still inside the engine."""
    return any(t.name == ENGINE_THREAD and t.is_alive() for t in threading.enumerate())


class SwapEngine(Protocol):
    """What the worker needs from engine_layer.engine.Engine."""

    def run(
        self,
        operation: Operation,
        images: Mapping[str, bytes],
        swap_index: tuple[int, int] | None,
        enhance: bool,
        labels: ResultLabels | None = None,
    ) -> SwapResult: ...

    def describe(self) -> dict[str, str]: ...


class ShutdownRequested(Exception):
    """The worker was told to stop and the grace period ran out before the engine finished."""


class EngineTimeout(Exception):
    """The engine call ran past the worker's time limit (a wedged model or device)."""


def call_engine(
    engine: SwapEngine,
    operation: Operation,
    images: Mapping[str, bytes],
    swap_index: tuple[int, int] | None,
    enhance: bool,
    *,
    stop: threading.Event,
    shutdown_grace_seconds: float,
    timeout_seconds: float,
    poll_seconds: float = 0.05,
    labels: ResultLabels | None = None,
) -> SwapResult:
    """engine.run(...), raising its exception as if called directly, or ShutdownRequested/EngineTimeout."""
    outcome: dict[str, SwapResult | BaseException] = {}
    done = threading.Event()

    def target() -> None:
        try:
            fault_point("engine")  # tests: a call that runs past its time limit (inert elsewhere)
            outcome["result"] = engine.run(operation, images, swap_index, enhance, labels)
        except BaseException as error:  # handed to the calling thread below
            outcome["error"] = error
        finally:
            done.set()

    thread = threading.Thread(target=target, name=ENGINE_THREAD, daemon=True)
    started = time.monotonic()
    thread.start()
    shutdown_deadline: float | None = None
    while not done.wait(poll_seconds):
        now = time.monotonic()
        if now - started > timeout_seconds:
            raise EngineTimeout(f"engine call still running after {timeout_seconds:.0f} s")
        if stop.is_set():
            shutdown_deadline = shutdown_deadline or now + shutdown_grace_seconds
            if now >= shutdown_deadline:
                raise ShutdownRequested
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    result = outcome["result"]
    assert isinstance(result, SwapResult)
    return result
