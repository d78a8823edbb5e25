"""A long swap keeps its message invisible and its lease alive; a dead worker's task is re-taken."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.models.task import TaskStatus
from engine_layer.errors import FaceCountMismatch
from engine_layer.operations import Operation
from tests import face_photos
from tests.integration.worker.engines import RaisingEngine
from tests.integration.worker.helpers import Submit
from worker.worker import Worker

BASIC_INPUTS = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}


def test_visibility_and_lease_are_extended_while_the_engine_runs(
    submit: Submit, tasks: TaskTable, queue: TaskQueue, make_worker: Callable[..., Worker]
) -> None:
    # The engine takes 5 s; the message would reappear after 2 s and the lease lapse after 3 s.
    engine = RaisingEngine(FaceCountMismatch("targetimage", expected=1, found=2), delay_seconds=5.0)
    worker = make_worker(engine, worker_visibility_timeout_seconds=2, worker_lease_seconds=3)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)
    polled = threading.Thread(target=worker.poll_once, kwargs={"wait_seconds": 1})
    polled.start()
    assert engine.started.wait(10)
    claimed_lease = tasks.get(task.task_id).lease_expires_at  # type: ignore[union-attr]

    seen_by_another_consumer = []
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline:
        seen_by_another_consumer += queue.receive(wait_seconds=0, visibility_timeout=30)
        time.sleep(0.25)
    lease_now = tasks.get(task.task_id).lease_expires_at  # type: ignore[union-attr]
    polled.join(10)

    assert seen_by_another_consumer == []
    assert claimed_lease is not None and lease_now is not None
    assert lease_now > claimed_lease and lease_now > time.time() - 1
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.FAILED and stored.attempts == 1


def test_a_stale_processing_task_is_re_taken_when_its_message_returns(
    submit: Submit, tasks: TaskTable, queue: TaskQueue, make_worker: Callable[..., Worker]
) -> None:
    engine = RaisingEngine(FaceCountMismatch("srcimage", expected=1, found=0))
    worker = make_worker(engine)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)
    # A worker took it and died: its lease has run out, and its message is visible again.
    assert tasks.claim(task.task_id, "dead-worker", lease_seconds=-5) is not None

    assert worker.poll_once(wait_seconds=1) == 1

    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.FAILED
    assert stored.worker_id == worker.worker_id and stored.attempts == 2
    assert engine.calls == 1
