"""Worker fixtures: the moto stack from tests/conftest.py, a fresh queue pair per test, the real engine,
and tasks submitted the way the API submits them (inputs in S3, a `queued` task, one SQS message)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping

import pytest

from core.adapters.clients import client
from core.adapters.s3 import MediaStore
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.models.task import Task, input_key, new_task_id
from core.settings import Settings, get_settings
from engine_layer.operations import Operation
from tests.integration.worker.helpers import Submit
from tests.offline_models import offline_model_dir
from worker.config import WorkerConfig
from worker.engine_call import SwapEngine
from worker.worker import Worker


@pytest.fixture()
def settings(aws_env: dict[str, str]) -> Settings:
    """The session's settings, with a fresh queue pair per test (copied from template.yaml's, redrive
    included): the session's moto server is shared with other suites, and SQS allows one purge a minute."""
    base = get_settings()
    sqs = client("sqs")
    suffix = uuid.uuid4().hex[:8]
    dlq_url = sqs.create_queue(QueueName=f"worker-dlq-{suffix}", Attributes=_copied(base.task_dlq_url))[
        "QueueUrl"
    ]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    attributes = _copied(base.task_queue_url)
    redrive = json.loads(attributes["RedrivePolicy"])
    attributes["RedrivePolicy"] = json.dumps({**redrive, "deadLetterTargetArn": dlq_arn})
    queue_url = sqs.create_queue(QueueName=f"worker-queue-{suffix}", Attributes=attributes)["QueueUrl"]
    return base.model_copy(update={"task_queue_url": queue_url, "task_dlq_url": dlq_url})


def _copied(queue_url: str) -> dict[str, str]:
    names = ["VisibilityTimeout", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "RedrivePolicy"]
    return client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]


@pytest.fixture()
def tasks(settings: Settings) -> TaskTable:
    return TaskTable(settings.tasks_table)


@pytest.fixture()
def queue(settings: Settings) -> TaskQueue:
    return TaskQueue(settings.task_queue_url)


@pytest.fixture()
def dlq(settings: Settings) -> TaskQueue:
    return TaskQueue(settings.task_dlq_url)


@pytest.fixture()
def media(settings: Settings) -> MediaStore:
    return MediaStore(settings.media_bucket)


@pytest.fixture()
def submit(settings: Settings, tasks: TaskTable, queue: TaskQueue, media: MediaStore) -> Submit:
    def submit_task(
        operation: Operation,
        images: Mapping[str, bytes],
        *,
        swap_index: tuple[int, int] | None = None,
        enhance: bool = False,
        content_type: str = "image/jpeg",
        key_id: str = "key_worker_tests",
        visible_label: bool = False,
    ) -> Task:
        task_id = new_task_id()
        inputs = {field: input_key(task_id, field) for field in images}
        for field, data in images.items():
            media.put(inputs[field], data, content_type)
        task = Task.new(
            task_id=task_id,
            key_id=key_id,
            operation=operation,
            inputs=inputs,
            ttl_days=settings.task_ttl_days,
            swap_index=swap_index,
            enhance=enhance,
            visible_label=visible_label,
        )
        tasks.create(task)
        queue.send(task.task_id)
        return task

    return submit_task


@pytest.fixture()
def make_worker(settings: Settings) -> Callable[..., Worker]:
    """A worker on the test stack; timings shrunk so retries and heartbeats happen within a test."""

    def build(
        engine: SwapEngine, *, engine_timeout_seconds: float = 600.0, **setting_overrides: object
    ) -> Worker:
        tuned = settings.model_copy(update={"worker_poll_wait_seconds": 1, **setting_overrides})
        config = WorkerConfig.from_settings(
            tuned, retry_delay_seconds=0, engine_timeout_seconds=engine_timeout_seconds
        )
        return Worker.from_settings(tuned, engine=engine, config=config)

    return build


@pytest.fixture(scope="session")
def engine() -> SwapEngine:
    """The real engine on the offline tier (what CI and `make run` get)."""
    from engine_layer.engine import Engine

    return Engine.load(offline_model_dir(), tier="offline")
