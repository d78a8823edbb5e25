"""The sweeper against the moto server: tasks queued past the bound end failed/queue_timeout; processing
tasks whose lease lapsed with no message left get a new one, or end failed after their attempts."""

from __future__ import annotations

import time
import uuid

import pytest

from core.adapters.clients import client
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.logic.sweeper import Sweeper, sweeper_from_settings
from core.models.errors import ErrorCode
from core.models.task import Task, TaskStatus
from core.settings import Settings
from engine_layer.operations import Operation


@pytest.fixture()
def queue(settings: Settings) -> TaskQueue:
    url = client("sqs").create_queue(QueueName=f"sweeper-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return TaskQueue(url)


def sweeper(settings: Settings, queue: TaskQueue, **overrides: int) -> Sweeper:
    base = sweeper_from_settings(settings.model_copy(update={"task_queue_url": queue.queue_url}))
    return Sweeper(**{**base.__dict__, **overrides})


def new_task(tasks: TaskTable, settings: Settings) -> Task:
    task = Task.new(
        key_id="key_sweeper_tests", operation=Operation.BASICSWAP, inputs={"srcimage": "x"}, ttl_days=1
    )
    tasks.create(task)
    return task


def test_a_task_queued_past_the_bound_ends_failed_with_queue_timeout(
    settings: Settings, queue: TaskQueue
) -> None:
    tasks = TaskTable(settings.tasks_table)
    old = new_task(tasks, settings)
    taken = new_task(tasks, settings)
    tasks.claim(taken.task_id, "a-worker", 600)

    report = sweeper(settings, queue, max_queued_seconds=60).sweep(now=time.time() + 61)

    assert report.expired >= 1
    stored = tasks.get(old.task_id)
    assert stored is not None and stored.status is TaskStatus.FAILED
    assert stored.error is not None and stored.error.code is ErrorCode.QUEUE_TIMEOUT
    assert stored.error.details == {"max_queued_seconds": 60}
    still = tasks.get(taken.task_id)
    assert still is not None and still.status is TaskStatus.PROCESSING  # a taken task is not "queued"
    # Within the bound nothing happens.
    fresh = new_task(tasks, settings)
    sweeper(settings, queue, max_queued_seconds=60).sweep()
    kept = tasks.get(fresh.task_id)
    assert kept is not None and kept.status is TaskStatus.QUEUED


def test_a_lapsed_lease_with_no_message_is_redriven_once_then_abandoned_after_its_attempts(
    settings: Settings, queue: TaskQueue
) -> None:
    tasks = TaskTable(settings.tasks_table)
    task = new_task(tasks, settings)
    tasks.claim(task.task_id, "a-dead-worker", 0)  # its worker died with the message already deleted
    later = time.time() + 200

    first = sweeper(settings, queue, redrive_after_seconds=120).sweep(now=later)
    assert first.redriven >= 1
    # Other suites' tasks in the shared table may be re-driven too (the DLQ suite leaves one under a 60 s
    # lease, lapsed at `later`): this task's message is among what was sent.
    sent = [m.task_id for m in queue.receive(wait_seconds=1, max_messages=10)]
    assert sent.count(task.task_id) == 1
    # Marked as re-driven: the next sweep leaves it alone until its new message had time to work.
    assert sweeper(settings, queue, redrive_after_seconds=120).sweep(now=later).redriven == 0

    for attempt in range(2, 4):  # two more attempts die the same way
        time.sleep(1.1)
        assert tasks.claim(task.task_id, f"dead-worker-{attempt}", 0) is not None
    time.sleep(1.1)
    final = sweeper(settings, queue, redrive_after_seconds=0, max_attempts=3).sweep(now=time.time() + 1)
    assert final.abandoned >= 1
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.FAILED
    assert stored.error is not None and stored.error.code is ErrorCode.SERVER_ERROR


def test_a_live_lease_is_never_swept(settings: Settings, queue: TaskQueue) -> None:
    tasks = TaskTable(settings.tasks_table)
    task = new_task(tasks, settings)
    tasks.claim(task.task_id, "a-live-worker", 600)

    sweeper(settings, queue, redrive_after_seconds=0, max_attempts=1).sweep()

    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.PROCESSING
    assert queue.receive(wait_seconds=0) == []
