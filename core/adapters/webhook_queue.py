"""SQS adapter for the webhook queue: one message per delivery attempt (core.models.webhook)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from core.adapters.clients import client
from core.models.webhook import WebhookMessage

# SQS's ceiling on DelaySeconds: longer waits are made of several hops (core.logic.webhooks).
MAX_DELAY_SECONDS = 900


@dataclass(frozen=True)
class ReceivedWebhookMessage:
    message: WebhookMessage | None  # None: not a message we can read (dropped)
    receipt_handle: str


class WebhookQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, message: WebhookMessage, now: float | None = None) -> None:
        """Enqueue, hidden until deliver_at or for SQS's longest delay, whichever comes first."""
        wait = message.deliver_at - (time.time() if now is None else now)
        delay = min(MAX_DELAY_SECONDS, max(0, math.ceil(wait)))
        client("sqs").send_message(
            QueueUrl=self.queue_url, MessageBody=message.model_dump_json(), DelaySeconds=delay
        )

    def receive(self, *, wait_seconds: int, max_messages: int = 10) -> list[ReceivedWebhookMessage]:
        answer = client("sqs").receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=wait_seconds
        )
        return [parse_record(m) for m in answer.get("Messages", [])]

    def delete(self, receipt_handle: str) -> None:
        client("sqs").delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt_handle)


def parse_record(record: Mapping[str, Any]) -> ReceivedWebhookMessage:
    """A message from receive_message or from a Lambda SQS event record (camelCase keys)."""
    body = record.get("Body", record.get("body", ""))
    receipt = record.get("ReceiptHandle", record.get("receiptHandle", ""))
    try:
        message: WebhookMessage | None = WebhookMessage.model_validate_json(body)
    except ValidationError:
        message = None
    return ReceivedWebhookMessage(message, receipt)
