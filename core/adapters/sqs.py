"""SQS adapter: one message per task, carrying only the task id (the task lives in DynamoDB)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.adapters.clients import client

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import ReceiveMessageRequestTypeDef

# SQS's ceiling on a message's visibility timeout (12 h).
MAX_VISIBILITY_SECONDS = 43_200


@dataclass(frozen=True)
class TaskMessage:
    task_id: str
    receipt_handle: str
    receive_count: int


class TaskQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, task_id: str) -> None:
        client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=json.dumps({"task_id": task_id}))

    def receive(
        self, *, wait_seconds: int, max_messages: int = 1, visibility_timeout: int | None = None
    ) -> list[TaskMessage]:
        kwargs: ReceiveMessageRequestTypeDef = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": wait_seconds,
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        }
        if visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = visibility_timeout
        messages = client("sqs").receive_message(**kwargs).get("Messages", [])
        return [parse_message(m) for m in messages]

    def delete(self, receipt_handle: str) -> None:
        client("sqs").delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt_handle)

    def extend(self, receipt_handle: str, visibility_timeout: int) -> None:
        client("sqs").change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=visibility_timeout
        )

    def hide(self, receipt_handle: str, seconds: float) -> None:
        """Keep a received message invisible for `seconds` from now (clamped to what SQS allows)."""
        self.extend(receipt_handle, int(min(max(0, seconds), MAX_VISIBILITY_SECONDS)))


def parse_message(message: Mapping[str, Any]) -> TaskMessage:
    """A message from receive_message or from an SQS event record (Lambda's camelCase keys)."""
    body = message.get("Body", message.get("body", ""))
    receipt = message.get("ReceiptHandle", message.get("receiptHandle", ""))
    attributes = message.get("Attributes", message.get("attributes", {})) or {}
    try:
        task_id = str(json.loads(body)["task_id"])
    except (ValueError, KeyError, TypeError):
        task_id = ""  # a malformed message: the caller drops it
    return TaskMessage(
        task_id=task_id,
        receipt_handle=receipt,
        receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
    )
