"""Webhook rules that need no AWS: the secret's format, the retry schedule, the signed body."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from core.logic.webhooks import signed_delivery
from core.models.errors import ErrorBody, ErrorCode
from core.models.task import Task, TaskStatus, TaskView
from core.models.webhook import WebhookAttempt, WebhookState, new_webhook_secret
from core.settings import Settings
from engine_layer.operations import Operation


def test_secrets_are_standard_webhooks_secrets_of_32_random_bytes():
    secrets = {new_webhook_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_the_default_schedule_is_eight_attempts_over_hours():
    delays = Settings().webhook_retry_delays
    assert delays == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert len(delays) + 1 == 8 and sum(delays) > 24 * 3600


def test_status_shows_webhook_attempts_with_their_nulls():
    task = Task.new(key_id="k", operation=Operation.BASICSWAP, inputs={}, ttl_days=1)
    task.webhook = WebhookState(
        url="https://x.example/h",
        attempts=[WebhookAttempt(at=datetime(2026, 12, 3, tzinfo=UTC), error="timeout")],
    )
    body = TaskView.of(task).body()
    assert body["webhook"] == {
        "url": "https://x.example/h",
        "delivered": False,
        "attempts": [{"at": "2026-12-03T00:00:00+00:00", "status_code": None, "error": "timeout"}],
    }
    assert (
        "webhook"
        not in TaskView.of(Task.new(key_id="k", operation=Operation.BASICSWAP, inputs={}, ttl_days=1)).body()
    )


def test_a_failed_task_is_signed_as_task_failed():
    secret = new_webhook_secret()
    task = Task.new(
        key_id="k",
        operation=Operation.SWAPFACESAMEIMAGE,
        inputs={},
        ttl_days=1,
        status=TaskStatus.FAILED,
        error=ErrorBody(code=ErrorCode.FACE_COUNT_MISMATCH, message="m", details={"found": 1}),
        webhook=WebhookState(url="https://x.example/h"),
    )
    now = datetime.now(UTC)
    body, headers = signed_delivery(task, secret, Settings(), now)
    event = Webhook(secret).verify(body, headers)
    assert event == json.loads(body)
    assert event["type"] == "task.failed" and event["data"]["error"]["code"] == "face_count_mismatch"
    assert headers["webhook-id"] == f"msg_{task.task_id}" and headers["webhook-timestamp"] == str(
        int(now.timestamp())
    )


def test_the_worker_needs_neither_the_signing_library_nor_the_sender():
    """The worker image installs the `worker` extra only (no standardwebhooks): announcing a webhook must
    not import the delivery code."""
    import subprocess
    import sys

    probe = (
        "import sys, worker.worker, functions.dlq.handler, core.logic.sweeper; "
        "print(sorted(m for m in ('standardwebhooks', 'core.logic.webhooks', 'core.adapters.webhook_sender') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
