"""Webhook delivery: after a task's final status is written, POST it to the task's webhook_url, signed per
Standard Webhooks, and retry with backoff for hours until a 2xx (at most 8 attempts by default).

The driver is the webhook queue: one message per attempt. The worker (and the DLQ and sweeper functions,
which also end tasks) enqueue attempt 1; the webhook function (functions/webhooks) makes the attempt,
records it on the task and, when it failed, enqueues the next one for `now + delay`. SQS delays stop at
15 min, so a message due later is re-enqueued in hops of at most 15 min until it is due.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from core.adapters.task_table import TaskTable
from core.adapters.webhook_queue import ReceivedWebhookMessage, WebhookQueue
from core.adapters.webhook_sender import SendResult, post_webhook
from core.adapters.webhook_store import WebhookAttempts, WebhookSecrets
from core.clock import utc_now
from core.logic.task_view import view_of
from core.logic.webhook_announce import FINAL
from core.models.task import Task, TaskStatus
from core.models.webhook import WebhookAttempt, WebhookMessage, message_id
from core.observability import logger
from core.settings import Settings

EVENT_TYPES = {TaskStatus.COMPLETED: "task.completed", TaskStatus.FAILED: "task.failed"}
# A message due within this many seconds is delivered now rather than hopped again.
_DUE_SLACK_SECONDS = 1.0

Sender = Callable[[str, bytes, dict[str, str]], SendResult]


def signed_delivery(
    task: Task, secret: str, settings: Settings, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The body (`type`, `timestamp`, `data` = the task-status body) and the Standard Webhooks headers."""
    data = view_of(task, settings).body()
    data.pop("webhook", None)  # the delivery's own bookkeeping is not part of the event
    body = json.dumps(
        {"type": EVENT_TYPES[task.status], "timestamp": now.isoformat(), "data": data}, separators=(",", ":")
    ).encode("utf-8")
    msg_id = message_id(task.task_id)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body),
    }
    return body, headers


@dataclass
class Deliverer:
    tasks: TaskTable
    attempts: WebhookAttempts
    secrets: WebhookSecrets
    queue: WebhookQueue
    settings: Settings
    sender: Sender | None = None  # None: post_webhook with the settings' timeout and loopback rule

    @classmethod
    def from_settings(cls, settings: Settings) -> Deliverer:
        return cls(
            tasks=TaskTable(settings.tasks_table),
            attempts=WebhookAttempts(settings.tasks_table),
            secrets=WebhookSecrets(settings.api_keys_table),
            queue=WebhookQueue(settings.webhook_queue_url),
            settings=settings,
        )

    @property
    def max_attempts(self) -> int:
        return len(self.settings.webhook_retry_delays) + 1

    def handle(self, message: WebhookMessage, now: float | None = None) -> str:
        """Make (or hop towards) one attempt. Returns what happened (logged, and what tests check).
        Raises only on AWS failures, so the queue gives the message back for another try."""
        now = time.time() if now is None else now
        if message.deliver_at > now + _DUE_SLACK_SECONDS:
            self.queue.send(message, now=now)  # not due yet: one more hop of at most 15 min
            return "deferred"
        task = self.tasks.get(message.task_id)
        if task is None or task.webhook is None or task.status not in FINAL:
            return "dropped"
        if task.webhook.delivered or len(task.webhook.attempts) >= message.attempt:
            return "duplicate"  # SQS delivered this message twice; the attempt is already made
        result = self._attempt(task)
        attempt = WebhookAttempt(at=utc_now(), status_code=result.status_code, error=result.error)
        if not self.attempts.record(
            task.task_id, attempt, number=message.attempt, delivered=result.delivered
        ):
            return "duplicate"
        if result.delivered:
            return "delivered"
        if message.attempt >= self.max_attempts:
            logger.warning("webhook gave up", task_id=task.task_id, attempts=message.attempt)
            return "gave_up"
        delay = self.settings.webhook_retry_delays[message.attempt - 1]
        self.queue.send(
            WebhookMessage(task_id=task.task_id, attempt=message.attempt + 1, deliver_at=now + delay), now=now
        )
        return "retry_scheduled"

    def _attempt(self, task: Task) -> SendResult:
        assert task.webhook is not None
        secret = self.secrets.secret_of(task.key_id)
        if secret is None:
            return SendResult(None, "the API key has no webhook signing secret (revoked, or never set)")
        body, headers = signed_delivery(task, secret, self.settings, utc_now())
        if self.sender is not None:
            return self.sender(task.webhook.url, body, headers)
        return post_webhook(
            task.webhook.url,
            body,
            headers,
            timeout_seconds=self.settings.webhook_timeout_seconds,
            allow_loopback=self.settings.webhook_allow_loopback,
        )

    def handle_received(self, received: ReceivedWebhookMessage) -> str:
        if received.message is None:
            logger.warning("dropping an unreadable webhook message")
            return "malformed"
        return self.handle(received.message)


def deliver_forever(deliverer: Deliverer, stop: threading.Event, *, wait_seconds: int = 1) -> None:
    """The local stack's stand-in for the webhook function's SQS event source."""
    while not stop.is_set():
        try:
            for received in deliverer.queue.receive(wait_seconds=wait_seconds):
                outcome = deliverer.handle_received(received)
                deliverer.queue.delete(received.receipt_handle)
                logger.info("webhook message handled", outcome=outcome)
        except Exception:
            logger.exception("webhook poll failed")
            stop.wait(1.0)
