"""The Lambda on the task DLQ: each dead letter ends its task `failed`/`server_error`, once."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from core.adapters.clients import client
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.models.errors import ErrorBody, ErrorCode
from core.models.task import Task, TaskStatus
from core.settings import Settings, get_settings
from engine_layer.operations import Operation
from functions.dlq.handler import lambda_handler
from infra.local.lambda_context import LocalLambdaContext


def sqs_record(body: str, receive_count: int = 4) -> dict[str, Any]:
    """A record as Lambda's SQS event source delivers it."""
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1700000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1700000000000",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:faceswap-test-task-dead-letter-queue",
        "awsRegion": "us-east-1",
    }


def new_task(tasks: TaskTable, settings: Settings) -> Task:
    task = Task.new(
        key_id="key_dlq_tests",
        operation=Operation.BASICSWAP,
        inputs={"srcimage": "x", "targetimage": "y"},
        ttl_days=settings.task_ttl_days,
    )
    tasks.create(task)
    return task


def test_dead_letters_fail_their_tasks_unless_already_finished(settings: Settings) -> None:
    tasks = TaskTable(settings.tasks_table)
    stuck = new_task(tasks, settings)
    lapsed = new_task(tasks, settings)
    tasks.claim(lapsed.task_id, "a-worker", 60)
    tasks.release(lapsed.task_id, "a-worker")  # its worker gave it back: no live lease
    finished = new_task(tasks, settings)
    tasks.claim(finished.task_id, "a-worker", 60)
    tasks.complete(finished.task_id, "a-worker", result_key="r.jpg", content_type="image/jpeg", engine={})
    already_failed = new_task(tasks, settings)
    input_fault = ErrorBody(code=ErrorCode.NO_FACE_DETECTED, message="none", details={"image": "srcimage"})
    tasks.fail(already_failed.task_id, input_fault)

    event = {
        "Records": [
            sqs_record(json.dumps({"task_id": t.task_id})) for t in (stuck, lapsed, finished, already_failed)
        ]
        + [sqs_record("not json"), sqs_record(json.dumps({"task_id": "no-such-task"}))]
    }
    answer = lambda_handler(event, LocalLambdaContext(function_name="faceswap-test-dlq"))

    assert answer == {"batchItemFailures": []}
    for task in (stuck, lapsed):
        stored = tasks.get(task.task_id)
        assert stored is not None and stored.status is TaskStatus.FAILED
        assert stored.error is not None and stored.error.code is ErrorCode.SERVER_ERROR
    done = tasks.get(finished.task_id)
    assert done is not None and done.status is TaskStatus.COMPLETED and done.error is None
    failed = tasks.get(already_failed.task_id)
    assert failed is not None and failed.error == input_fault


def test_a_dead_letter_never_fails_a_task_under_a_live_lease(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker still holds the task (its message ran out of receives while it worked): the dead letter
    stays on the DLQ, hidden until the lease could have lapsed, and the task is left to its worker."""
    tasks = TaskTable(settings.tasks_table)
    # A DLQ of its own: the session's is shared with other suites' dead letters.
    dlq_url = client("sqs").create_queue(QueueName=f"dlq-live-lease-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    monkeypatch.setenv("TASK_DLQ_URL", dlq_url)
    get_settings.cache_clear()
    dlq = TaskQueue(dlq_url)
    held = new_task(tasks, settings)
    tasks.claim(held.task_id, "a-live-worker", 60)
    dlq.send(held.task_id)
    (message,) = dlq.receive(wait_seconds=1, visibility_timeout=1)
    record = sqs_record(json.dumps({"task_id": held.task_id}))
    record["receiptHandle"] = message.receipt_handle

    answer = lambda_handler({"Records": [record]}, LocalLambdaContext(function_name="faceswap-test-dlq"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    stored = tasks.get(held.task_id)
    assert stored is not None and stored.status is TaskStatus.PROCESSING
    time.sleep(1.5)  # past the 1 s the receive hid it for: it is hidden for the lease's remainder now
    assert dlq.receive(wait_seconds=0) == []
    monkeypatch.undo()
    get_settings.cache_clear()
