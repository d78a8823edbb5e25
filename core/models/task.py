"""The one task model: what DynamoDB stores, what the worker moves along, what a client polls."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from core.adapters.items import plain
from core.clock import utc_now
from core.models.errors import ErrorBody
from core.models.webhook import WebhookState
from engine_layer.operations import Operation


class TaskStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


def new_task_id() -> str:
    # 128 random bits, URL-safe; unguessable so task ids leak nothing across keys.
    return secrets.token_hex(16)


def input_key(task_id: str, field: str) -> str:
    return f"tasks/{task_id}/inputs/{field}"


def result_key(task_id: str, extension: str) -> str:
    return f"tasks/{task_id}/result.{extension}"


class Task(BaseModel):
    task_id: str = Field(default_factory=new_task_id)
    key_id: str  # the owning API key's public id (never the key or its hash)
    operation: Operation
    status: TaskStatus = TaskStatus.QUEUED
    enhance: bool = False
    swap_index: tuple[int, int] | None = None  # 0-based: entry i = source face landing on target face i
    visible_label: bool = False  # the key's choice at submission: draw "AI-generated" in a corner
    inputs: dict[str, str]  # contract field name -> S3 object key
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    attempts: int = 0
    worker_id: str | None = None
    lease_expires_at: int | None = None  # epoch seconds; a processing task past it may be re-taken
    result_key: str | None = None
    result_content_type: str | None = None
    engine: dict[str, str] | None = None
    quality: dict[str, Any] | None = None  # engine_layer.quality's report on a completed task
    error: ErrorBody | None = None
    webhook: WebhookState | None = None  # the webhook_url given, and its delivery attempts
    expires_at: int  # epoch seconds: DynamoDB TTL

    @classmethod
    def new(
        cls, *, key_id: str, operation: Operation, inputs: dict[str, str], ttl_days: int, **kw: Any
    ) -> Task:
        now = utc_now()
        expires = int((now + timedelta(days=ttl_days)).timestamp())
        return cls(
            key_id=key_id,
            operation=operation,
            inputs=inputs,
            created_at=now,
            updated_at=now,
            expires_at=expires,
            **kw,
        )

    def to_item(self) -> dict[str, Any]:
        """DynamoDB item (resource API types). None values are left out: DynamoDB has no use for them."""
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Task:
        return cls.model_validate(plain(item))


class TaskView(BaseModel):
    """GET /api/task-status/{id} body."""

    success: bool = True
    task_id: str
    status: TaskStatus
    operation: Operation
    created_at: datetime
    updated_at: datetime
    image_url: str | None = None
    expires_at: datetime | None = None  # when image_url stops working
    result_expired: bool | None = None  # completed, but the result file is past media retention (no link)
    engine: dict[str, str] | None = None
    quality: dict[str, Any] | None = None  # measures and warnings per swapped face (README: API)
    error: ErrorBody | None = None
    webhook: WebhookState | None = None  # only when the submission named a webhook_url

    @classmethod
    def of(cls, task: Task, image_url: str | None = None, url_expires_at: datetime | None = None) -> TaskView:
        return cls(
            task_id=task.task_id,
            status=task.status,
            operation=task.operation,
            created_at=task.created_at,
            updated_at=task.updated_at,
            image_url=image_url,
            expires_at=url_expires_at,
            engine=task.engine,
            quality=task.quality,
            error=task.error,
            webhook=task.webhook,
        )

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
