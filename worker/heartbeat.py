"""While the engine runs, keep the task's SQS message invisible and its DynamoDB lease alive.

Without this a long swap would reappear on the queue (a second worker would start it) and its lease
would run out (the task would look abandoned). A worker that dies stops beating, so both lapse and
the work is re-taken: that is how no task stays `processing` forever.
"""

from __future__ import annotations

import threading
from types import TracebackType

from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.logic.fault_injection import fault_point
from core.observability import logger


class Heartbeat:
    """A daemon thread that extends visibility and lease every `interval_seconds` until stopped."""

    def __init__(
        self,
        *,
        queue: TaskQueue,
        tasks: TaskTable,
        receipt_handle: str,
        task_id: str,
        worker_id: str,
        visibility_timeout_seconds: int,
        lease_seconds: int,
        interval_seconds: float,
    ) -> None:
        self._queue = queue
        self._tasks = tasks
        self._receipt_handle = receipt_handle
        self._task_id = task_id
        self._worker_id = worker_id
        self._visibility_timeout_seconds = visibility_timeout_seconds
        self._lease_seconds = lease_seconds
        self._interval_seconds = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{task_id}", daemon=True)
        self.beats = 0
        # Set when another worker took the task over (our lease had lapsed): our result must not land.
        self.lease_lost = threading.Event()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval_seconds):
            self.beat()

    def beat(self) -> None:
        try:
            self._queue.extend(self._receipt_handle, self._visibility_timeout_seconds)
        except Exception:
            # The message may have been deleted or its receipt expired; the lease below still matters.
            logger.warning("could not extend message visibility", task_id=self._task_id, exc_info=True)
        fault_point("heartbeat")
        try:
            extended = self._tasks.extend_lease(self._task_id, self._worker_id, self._lease_seconds)
        except Exception:
            logger.warning("could not extend the task lease", task_id=self._task_id, exc_info=True)
            return
        if not extended:
            logger.warning("lease lost: another worker holds the task now", task_id=self._task_id)
            self.lease_lost.set()
            self._stopped.set()
            return
        self.beats += 1
