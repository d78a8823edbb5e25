"""Webhook delivery against moto and a real receiver on 127.0.0.1: signed per Standard Webhooks (checked
with the `standardwebhooks` package), retried with backoff, attempts recorded on the task, never sent to
an address the SSRF rules refuse. Deliveries go through the webhook function's handler, so its AWS calls
are held to WebhookFunction's role."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core.adapters.clients import client
from core.adapters.key_table import KeyTable
from core.adapters.task_table import TaskTable
from core.logic.key_service import create_key
from core.logic.webhook_announce import schedule_first
from core.logic.webhooks import Deliverer
from core.models.api_key import ApiKeyRecord
from core.models.errors import ErrorBody, ErrorCode
from core.models.task import Task, TaskStatus
from core.models.webhook import WebhookMessage, WebhookState
from core.settings import Settings, get_settings
from engine_layer.operations import Operation
from functions.webhooks.handler import handle_records
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture()
def settings(aws_env: dict[str, str]) -> Settings:
    """Short backoff, loopback receivers, and a webhook queue of this test's own."""
    url = client("sqs").create_queue(QueueName=f"webhooks-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return get_settings().model_copy(
        update={
            "webhook_queue_url": url,
            "webhook_allow_loopback": True,
            "webhook_retry_delays_seconds": "1,1",
            "webhook_timeout_seconds": 5.0,
        }
    )


@pytest.fixture()
def key(settings: Settings) -> ApiKeyRecord:
    return create_key(KeyTable(settings.api_keys_table), name="webhook-tests")[1]


@pytest.fixture()
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def finished_task(settings: Settings, key: ApiKeyRecord, url: str, status: TaskStatus) -> Task:
    task = Task.new(
        key_id=key.key_id,
        operation=Operation.BASICSWAP,
        inputs={},
        ttl_days=1,
        status=status,
        webhook=WebhookState(url=url),
        **(
            {"result_key": "tasks/x/result.jpg", "result_content_type": "image/jpeg", "engine": {"tier": "t"}}
            if status is TaskStatus.COMPLETED
            else {"error": ErrorBody(code=ErrorCode.NO_FACE_DETECTED, message="No face.")}
        ),
    )
    TaskTable(settings.tasks_table).create(task)
    return task


def run_queue(deliverer: Deliverer, *, until: float) -> list[str]:
    """Be the webhook function's event source until the queue is empty and `until` has passed."""
    outcomes: list[str] = []
    sqs = client("sqs")
    while True:
        messages = sqs.receive_message(
            QueueUrl=deliverer.queue.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        if not messages and time.monotonic() > until:
            return outcomes
        for message in messages:
            record = {"messageId": message["MessageId"], "body": message["Body"]}
            before = len(outcomes)
            answer = handle_records([record], deliverer)
            assert answer == {"batchItemFailures": []}
            outcomes.append("handled" if len(outcomes) == before else outcomes[-1])
            sqs.delete_message(QueueUrl=deliverer.queue.queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_a_completed_task_is_delivered_signed(
    settings: Settings, key: ApiKeyRecord, receiver: WebhookReceiver
):
    task = finished_task(settings, key, receiver.url, TaskStatus.COMPLETED)
    deliverer = Deliverer.from_settings(settings)
    assert schedule_first(task, deliverer.queue)
    run_queue(deliverer, until=time.monotonic() + 2)

    (call,) = receiver.received
    assert call.path == "/hooks/faceswap"
    payload = Webhook(key.webhook_secret).verify(call.body, call.headers)  # the reference implementation
    assert call.headers["webhook-id"] == f"msg_{task.task_id}"
    assert abs(int(call.headers["webhook-timestamp"]) - time.time()) < 30
    assert call.headers["webhook-signature"].startswith("v1,")
    assert payload["type"] == "task.completed"
    assert datetime.fromisoformat(payload["timestamp"]).tzinfo is not None
    data = payload["data"]
    assert (data["task_id"], data["status"], data["operation"]) == (task.task_id, "completed", "basicswap")
    assert data["image_url"].startswith("http") and "X-Amz-Signature" in data["image_url"]
    assert "webhook" not in data
    # Another secret does not verify it.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(call.body, call.headers)

    stored = TaskTable(settings.tasks_table).get(task.task_id)
    assert stored is not None and stored.webhook is not None
    assert stored.webhook.delivered is True
    (attempt,) = stored.webhook.attempts
    assert (attempt.status_code, attempt.error) == (200, None)


def test_a_receiver_failing_once_is_retried_after_the_backoff(
    settings: Settings, key: ApiKeyRecord, receiver: WebhookReceiver
):
    receiver.statuses = [500, 200]
    task = finished_task(settings, key, receiver.url, TaskStatus.FAILED)
    deliverer = Deliverer.from_settings(settings)
    schedule_first(task, deliverer.queue)
    run_queue(deliverer, until=time.monotonic() + 4)

    first, second = receiver.received
    stamps = [int(c.headers["webhook-timestamp"]) for c in (first, second)]
    assert stamps[1] - stamps[0] >= 1  # the 1 s backoff of these settings
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # one message, two attempts
    for call in (first, second):
        payload = Webhook(key.webhook_secret).verify(call.body, call.headers)
        assert payload["type"] == "task.failed"
        assert payload["data"]["error"]["code"] == "no_face_detected"
    stored = TaskTable(settings.tasks_table).get(task.task_id)
    assert stored is not None and stored.webhook is not None
    assert stored.webhook.delivered is True
    assert [(a.status_code, a.error) for a in stored.webhook.attempts] == [
        (500, "the receiver answered HTTP 500"),
        (200, None),
    ]


def test_delivery_gives_up_after_the_last_attempt(
    settings: Settings, key: ApiKeyRecord, receiver: WebhookReceiver
):
    receiver.statuses = [503]
    settings = settings.model_copy(update={"webhook_retry_delays_seconds": "0,0"})
    task = finished_task(settings, key, receiver.url, TaskStatus.COMPLETED)
    deliverer = Deliverer.from_settings(settings)
    outcomes = [deliverer.handle(WebhookMessage(task_id=task.task_id, attempt=n)) for n in (1, 2, 3)]
    assert outcomes == ["retry_scheduled", "retry_scheduled", "gave_up"]
    assert len(receiver.received) == 3
    stored = TaskTable(settings.tasks_table).get(task.task_id)
    assert stored is not None and stored.webhook is not None
    assert stored.webhook.delivered is False
    assert [a.status_code for a in stored.webhook.attempts] == [503, 503, 503]


def test_a_duplicate_message_sends_nothing_twice(
    settings: Settings, key: ApiKeyRecord, receiver: WebhookReceiver
):
    receiver.statuses = [500]
    task = finished_task(settings, key, receiver.url, TaskStatus.COMPLETED)
    deliverer = Deliverer.from_settings(settings)
    message = WebhookMessage(task_id=task.task_id, attempt=1)
    assert deliverer.handle(message) == "retry_scheduled"
    assert deliverer.handle(message) == "duplicate"  # SQS delivered attempt 1 twice
    assert len(receiver.received) == 1


def test_a_retry_due_in_hours_hops_through_the_queue(
    settings: Settings, key: ApiKeyRecord, receiver: WebhookReceiver
):
    task = finished_task(settings, key, receiver.url, TaskStatus.COMPLETED)
    deliverer = Deliverer.from_settings(settings)
    due = time.time() + 5 * 3600
    assert deliverer.handle(WebhookMessage(task_id=task.task_id, attempt=2, deliver_at=due)) == "deferred"
    assert receiver.received == []
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=settings.webhook_queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"  # hidden for SQS's longest delay


@pytest.mark.parametrize(
    ("url", "allow_loopback"),
    [
        ("https://169.254.169.254/latest/meta-data/", True),  # the cloud metadata address
        ("http://10.0.0.7/hook", True),  # private ranges stay refused even locally
        ("http://127.0.0.1:9/hook", False),  # loopback only where the local setting allows it
    ],
)
def test_addresses_the_ssrf_rules_refuse_get_no_request(
    settings: Settings, key: ApiKeyRecord, url: str, allow_loopback: bool
):
    settings = settings.model_copy(update={"webhook_allow_loopback": allow_loopback})
    task = finished_task(settings, key, url, TaskStatus.COMPLETED)
    deliverer = Deliverer.from_settings(settings)
    assert deliverer.handle(WebhookMessage(task_id=task.task_id)) == "retry_scheduled"
    stored = TaskTable(settings.tasks_table).get(task.task_id)
    assert stored is not None and stored.webhook is not None
    (attempt,) = stored.webhook.attempts
    assert attempt.status_code is None and attempt.error


def test_attempts_read_back_with_nulls(settings: Settings, key: ApiKeyRecord):
    task = finished_task(settings, key, "http://10.1.2.3/", TaskStatus.COMPLETED)
    Deliverer.from_settings(settings).handle(WebhookMessage(task_id=task.task_id))
    item = client("dynamodb").get_item(TableName=settings.tasks_table, Key={"task_id": {"S": task.task_id}})
    attempts = item["Item"]["webhook"]["M"]["attempts"]["L"]
    assert attempts[0]["M"]["status_code"] == {"NULL": True}
    stored = TaskTable(settings.tasks_table).get(task.task_id)
    assert stored is not None and stored.webhook is not None
    view = json.loads(json.dumps(stored.webhook.model_dump(mode="json")))
    assert set(view["attempts"][0]) == {"at", "status_code", "error"}
    assert datetime.fromisoformat(view["attempts"][0]["at"]) <= datetime.now(UTC)
