"""Webhooks: what a task records about its delivery, the queue message that drives it, the signing secret."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_serializer
from typing_extensions import TypedDict  # pydantic reads it on Python 3.11

SECRET_PREFIX = "whsec_"  # noqa: S105 (Standard Webhooks' format: whsec_<base64 of the key bytes>)
SECRET_BYTES = 32


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def message_id(task_id: str) -> str:
    """webhook-id: the same for every attempt of a task's delivery, so receivers can drop duplicates."""
    return f"msg_{task_id}"


class WebhookAttemptJson(TypedDict):
    """An attempt as task status shows it: every key always present, nulls included."""

    at: str  # ISO 8601
    status_code: int | None
    error: str | None


class WebhookAttempt(BaseModel):
    at: datetime
    status_code: int | None = None  # the receiver's HTTP status; None when no answer came
    error: str | None = None  # why the attempt did not deliver; None when it did

    @model_serializer(mode="plain")
    def _always_every_key(self) -> dict[str, Any]:
        # Typed as a plain dict: pydantic would apply exclude_none inside a TypedDict (the shape is
        # WebhookAttemptJson, which the OpenAPI document shows).
        # Nulls are part of the documented shape (status bodies are dumped with exclude_none).
        return {"at": self.at.isoformat(), "status_code": self.status_code, "error": self.error}


class WebhookState(BaseModel):
    """A task's `webhook` in DynamoDB and in task status (absent when no webhook_url was given)."""

    url: str
    delivered: bool = False
    attempts: list[WebhookAttempt] = Field(default_factory=list)


class WebhookMessage(BaseModel):
    """One delivery attempt waiting on the webhook queue."""

    task_id: str
    attempt: int = Field(1, ge=1)  # 1-based number of the attempt this message makes
    deliver_at: float = 0  # epoch seconds; earlier than now = at once (SQS delays cap at 15 min)
