"""Engines for tests about queue and task state only: they never produce an image.

Swaps themselves are always the real engine's (see test_worker_operations.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from engine_layer.datatypes import SwapResult
from engine_layer.operations import Operation
from engine_layer.provenance.labels import ResultLabels


class RaisingEngine:
    """Raises `error` on every run, after `delay_seconds` (a slow failure, for heartbeat tests)."""

    def __init__(self, error: BaseException, delay_seconds: float = 0.0) -> None:
        self.error = error
        self.delay_seconds = delay_seconds
        self.calls = 0
        self.started = threading.Event()

    def run(
        self,
        operation: Operation,
        images: Mapping[str, bytes],
        swap_index: tuple[int, int] | None,
        enhance: bool,
        labels: ResultLabels | None = None,
    ) -> SwapResult:
        self.calls += 1
        self.started.set()
        time.sleep(self.delay_seconds)
        raise self.error

    def describe(self) -> dict[str, str]:
        return {"tier": "test-raising"}


class DelayedEngine:
    """The real engine, started `delay_seconds` late: a long swap without a long test image."""

    def __init__(self, engine: object, delay_seconds: float) -> None:
        self.engine = engine
        self.delay_seconds = delay_seconds
        self.started = threading.Event()

    def run(
        self,
        operation: Operation,
        images: Mapping[str, bytes],
        swap_index: tuple[int, int] | None,
        enhance: bool,
        labels: ResultLabels | None = None,
    ) -> SwapResult:
        self.started.set()
        time.sleep(self.delay_seconds)
        return self.engine.run(operation, images, swap_index, enhance, labels)  # type: ignore[attr-defined]

    def describe(self) -> dict[str, str]:
        return self.engine.describe()  # type: ignore[attr-defined]
