"""Retries are spent on real failures only: a task another worker holds hides its message for that
lease's remainder, a refused `fail` keeps the message, and a second attempt never rewrites a result."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.adapters.clients import client
from core.adapters.task_table import TaskTable
from core.models.task import TaskStatus
from core.settings import Settings
from engine_layer.errors import FaceCountMismatch
from engine_layer.operations import Operation
from tests import face_photos
from tests.integration.worker.engines import RaisingEngine
from tests.integration.worker.helpers import Submit, queue_depth, result_objects
from worker.engine_call import SwapEngine
from worker.worker import Outcome, Worker

BASIC_INPUTS = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}


def test_a_busy_task_hides_its_message_for_the_rest_of_the_lease(
    settings: Settings, submit: Submit, tasks: TaskTable, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(RaisingEngine(AssertionError("a task another worker holds must not run twice")))
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)
    assert tasks.claim(task.task_id, "live-worker", 60) is not None

    (message,) = worker.queue.receive(wait_seconds=1, visibility_timeout=1)
    assert worker.handle(message) is Outcome.BUSY

    time.sleep(1.5)  # past the visibility it was received with
    # Hidden for the lease's remainder: it does not come back (and spend a receive) while the lease lives.
    assert worker.queue.receive(wait_seconds=0, visibility_timeout=1) == []
    assert queue_depth(settings.task_queue_url) == 1  # still there, for when that lease lapses


def test_a_refused_fail_after_a_lost_lease_keeps_the_message(
    settings: Settings, submit: Submit, tasks: TaskTable, make_worker: Callable[..., Worker]
) -> None:
    """Our lease lapsed while the engine ran and another worker took the task: our input fault must not
    land, and the message must stay (if the new holder dies too, it is what moves the task)."""
    engine = RaisingEngine(FaceCountMismatch("targetimage", expected=1, found=2), delay_seconds=1.5)
    worker = make_worker(engine)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)

    def take_over() -> None:
        engine.started.wait(10)
        tasks.table.update_item(
            Key={"task_id": task.task_id},
            UpdateExpression="SET lease_expires_at = :gone",
            ExpressionAttributeValues={":gone": 0},
        )
        assert tasks.claim(task.task_id, "new-holder", 60) is not None

    thief = threading.Thread(target=take_over)
    thief.start()
    (message,) = worker.queue.receive(wait_seconds=1, visibility_timeout=30)
    outcome = worker.handle(message)
    thief.join()

    assert outcome is Outcome.LEASE_LOST
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.PROCESSING and stored.worker_id == "new-holder"
    assert queue_depth(settings.task_queue_url) == 1


def test_a_result_stored_by_an_earlier_attempt_is_not_written_again(
    settings: Settings,
    submit: Submit,
    tasks: TaskTable,
    make_worker: Callable[..., Worker],
    engine: SwapEngine,
) -> None:
    """An attempt died between storing the result and marking the task completed; the next one
    completes the task on the stored result without writing it a second time (S3 If-None-Match)."""
    worker = make_worker(engine)
    task = submit(Operation.BASICSWAP, BASIC_INPUTS)
    earlier = b"the earlier attempt's bytes"
    key = f"tasks/{task.task_id}/result.jpg"
    client("s3").put_object(Bucket=settings.media_bucket, Key=key, Body=earlier, ContentType="image/jpeg")

    assert worker.poll_once(wait_seconds=1) == 1

    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.COMPLETED and stored.result_key == key
    assert result_objects(settings, task.task_id) == [key]
    assert client("s3").get_object(Bucket=settings.media_bucket, Key=key)["Body"].read() == earlier
    assert queue_depth(settings.task_queue_url) == 0
