"""Tasks ended by the DLQ function and by the sweeper announce their webhooks too: every final status
written anywhere leads to a delivery."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from core.adapters.clients import client
from core.adapters.task_table import TaskTable
from core.logic.sweeper import sweeper_from_settings
from core.models.task import Task, TaskStatus
from core.models.webhook import WebhookState
from core.settings import Settings, get_settings
from engine_layer.operations import Operation
from functions.dlq.handler import lambda_handler as dlq_handler
from infra.local.lambda_context import LocalLambdaContext


def fresh_queue(prefix: str) -> str:
    return client("sqs").create_queue(QueueName=f"{prefix}-{uuid.uuid4().hex[:8]}")["QueueUrl"]


def announced(queue_url: str) -> list[str]:
    answer = client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"])["task_id"] for m in answer.get("Messages", [])]


def queued_task(settings: Settings, webhook: bool) -> Task:
    task = Task.new(
        key_id="key_announce_tests",
        operation=Operation.BASICSWAP,
        inputs={"srcimage": "x", "targetimage": "y"},
        ttl_days=1,
        webhook=WebhookState(url="https://example.com/hook") if webhook else None,
    )
    TaskTable(settings.tasks_table).create(task)
    return task


def test_dead_letters_announce_the_webhook_of_the_task_they_fail(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    queue = fresh_queue("dlq-webhooks")
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", queue)
    get_settings.cache_clear()
    try:
        hooked, plain = queued_task(settings, True), queued_task(settings, False)
        records = [
            {"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": json.dumps({"task_id": t.task_id})}
            for t in (hooked, plain)
        ]
        answer = dlq_handler({"Records": records}, LocalLambdaContext(aws_request_id="dlq-test"))
        assert answer == {"batchItemFailures": []}
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert TaskTable(settings.tasks_table).get(plain.task_id).status is TaskStatus.FAILED
    assert announced(queue) == [hooked.task_id]


def test_the_sweeper_announces_the_webhook_of_a_task_it_times_out(settings: Settings):
    queue = fresh_queue("sweeper-webhooks")
    tuned = settings.model_copy(
        update={"webhook_queue_url": queue, "task_queue_url": fresh_queue("sweeper-tasks")}
    )
    hooked = queued_task(settings, True)
    report = sweeper_from_settings(tuned).sweep(now=time.time() + tuned.task_max_queued_seconds + 5)
    assert report.expired >= 1
    assert hooked.task_id in announced(queue)
