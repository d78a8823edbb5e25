"""What the worker does when things go wrong: input faults, unexpected errors, the DLQ, bad messages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from core.adapters.clients import client
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.logic.dlq import drain
from core.models.errors import ErrorCode
from core.models.task import TaskStatus
from core.settings import Settings
from engine_layer import manifest
from engine_layer.errors import FaceCountMismatch, ModelsMissing
from engine_layer.operations import Operation
from tests import face_photos
from tests.integration.worker.engines import RaisingEngine
from tests.integration.worker.helpers import Submit, queue_depth, result_objects
from worker.worker import Outcome, Worker, WorkerWedged

BASIC_INPUTS = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}


def test_input_fault_fails_the_task_with_its_code_and_is_not_retried(
    settings: Settings, submit: Submit, tasks: TaskTable, make_worker: Callable[..., Worker]
) -> None:
    engine = RaisingEngine(FaceCountMismatch("targetimage", expected=1, found=2))
    worker = make_worker(engine)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)

    assert worker.poll_once(wait_seconds=1) == 1

    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.FAILED
    assert stored.error is not None
    assert stored.error.code is ErrorCode.FACE_COUNT_MISMATCH
    assert stored.error.details == {"image": "targetimage", "expected": 1, "found": 2}
    assert queue_depth(settings.task_queue_url) == 0
    assert worker.poll_once(wait_seconds=0) == 0 and engine.calls == 1
    assert result_objects(settings, task.task_id) == []


def test_unexpected_error_is_retried_then_dead_lettered_as_server_error(
    settings: Settings,
    submit: Submit,
    tasks: TaskTable,
    dlq: TaskQueue,
    make_worker: Callable[..., Worker],
) -> None:
    engine = RaisingEngine(RuntimeError("CUDA error: an illegal memory access was encountered"))
    worker = make_worker(engine)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)
    max_receives = 3  # template.yaml's maxReceiveCount

    for attempt in range(1, max_receives + 1):
        assert worker.poll_once(wait_seconds=1) == 1
        stored = tasks.get(task.task_id)
        assert stored is not None
        assert stored.status is TaskStatus.PROCESSING and stored.attempts == attempt
    # The next receive finds the message over maxReceiveCount: SQS moves it to the DLQ.
    assert worker.poll_once(wait_seconds=1) == 0
    assert engine.calls == max_receives

    assert drain(dlq, tasks, wait_seconds=1) == 1
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.FAILED
    assert stored.error is not None and stored.error.code is ErrorCode.SERVER_ERROR
    assert "CUDA" not in stored.error.message  # no internals leak to the customer
    assert queue_depth(settings.task_queue_url) == 0 and queue_depth(settings.task_dlq_url) == 0


def test_engine_server_error_is_retried_not_blamed_on_the_input(
    submit: Submit, tasks: TaskTable, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(RaisingEngine(ModelsMissing(f"{manifest.INSWAPPER.file} is missing")))
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)

    assert worker.poll_once(wait_seconds=1) == 1
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.PROCESSING and stored.error is None
    # Released at once (retry delay 0 here): the next poll takes it again.
    assert worker.poll_once(wait_seconds=1) == 1
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.attempts == 2


def test_missing_input_object_is_retried_and_the_worker_keeps_going(
    settings: Settings, submit: Submit, tasks: TaskTable, make_worker: Callable[..., Worker]
) -> None:
    engine = RaisingEngine(AssertionError("the engine must not run without its inputs"))
    worker = make_worker(engine)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)
    client("s3").delete_object(Bucket=settings.media_bucket, Key=task.inputs["srcimage"])

    message = worker.queue.receive(wait_seconds=1, visibility_timeout=30)[0]
    assert worker.handle(message) is Outcome.RETRY
    assert engine.calls == 0
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.PROCESSING
    assert stored.lease_expires_at is not None  # released: the next attempt may claim it at once
    assert tasks.claim(task.task_id, "another-worker", 60) is not None


def test_malformed_and_unknown_messages_are_dropped(
    settings: Settings, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(RaisingEngine(AssertionError("no task should reach the engine")))
    for body in ("not json", json.dumps({"task": "x"}), json.dumps(["a"]), json.dumps({"task_id": "nope"})):
        client("sqs").send_message(QueueUrl=settings.task_queue_url, MessageBody=body)

    handled = sum(worker.poll_once(wait_seconds=1) for _ in range(4))

    assert handled == 4
    assert queue_depth(settings.task_queue_url) == 0


def test_task_held_by_a_live_worker_is_left_alone(
    settings: Settings, submit: Submit, tasks: TaskTable, make_worker: Callable[..., Worker]
) -> None:
    engine = RaisingEngine(AssertionError("a task another worker holds must not run twice"))
    worker = make_worker(engine)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)
    assert tasks.claim(task.task_id, "live-worker", 300) is not None

    message = worker.queue.receive(wait_seconds=1, visibility_timeout=30)[0]
    assert worker.handle(message) is Outcome.BUSY

    assert engine.calls == 0
    assert queue_depth(settings.task_queue_url) == 1  # kept: it comes back if that worker dies
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.worker_id == "live-worker"


def test_a_wedged_engine_gives_the_task_back_and_stops_the_worker(
    settings: Settings, submit: Submit, tasks: TaskTable, queue: TaskQueue, make_worker: Callable[..., Worker]
) -> None:
    engine = RaisingEngine(FaceCountMismatch("srcimage", expected=1, found=0), delay_seconds=3.0)
    worker = make_worker(engine, engine_timeout_seconds=0.5)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)

    with pytest.raises(WorkerWedged):
        worker.poll_once(wait_seconds=1)

    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.PROCESSING
    assert [m.task_id for m in queue.receive(wait_seconds=1, visibility_timeout=30)] == [task.task_id]
    assert tasks.claim(task.task_id, "replacement-worker", 60) is not None
