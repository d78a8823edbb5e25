"""GET /api/task-status/{task_id}: the task as its owner may see it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from core.adapters.s3 import MediaStore
from core.adapters.task_table import TaskTable
from core.clock import utc_now
from core.models.errors import ApiError, ErrorCode
from core.models.task import TaskStatus, TaskView
from core.settings import Settings

_TASK_ID = re.compile(r"^[0-9a-f]{32}$")


def task_view(task_id: str, key_id: str, settings: Settings) -> TaskView:
    # Malformed ids, unknown ids and other keys' tasks get the same answer: nothing leaks.
    task = TaskTable(settings.tasks_table).get(task_id) if _TASK_ID.match(task_id) else None
    if task is None or task.key_id != key_id:
        raise ApiError(ErrorCode.NOT_FOUND, "No task with this id exists for this API key.")
    if task.status is TaskStatus.COMPLETED and task.result_key:
        # The result was written after the task was created, so it expires no earlier than this.
        ttl = link_seconds(
            utc_now(),
            media_expires_at(task.created_at, settings.media_retention_days),
            settings.result_url_ttl_seconds,
        )
        if ttl is None:
            return TaskView.of(task).model_copy(update={"result_expired": True})
        url, expires_at = MediaStore(settings.media_bucket).presigned_get(task.result_key, ttl)
        return TaskView.of(task, image_url=url, url_expires_at=expires_at)
    return TaskView.of(task)


def media_expires_at(created: datetime, retention_days: int) -> datetime:
    """When S3's lifecycle rule may delete an object created at `created`: creation plus the rule's
    days, rounded up to the next midnight UTC (how S3 computes expiration dates)."""
    due = created.astimezone(UTC) + timedelta(days=retention_days)
    return datetime.combine(due.date() + timedelta(days=1), time(0), tzinfo=UTC)


# A link shorter than this is not worth handing out: the client could not download in time.
MIN_LINK_SECONDS = 60


def link_seconds(now: datetime, media_expiry: datetime, url_ttl_seconds: int) -> int | None:
    """The life of a result link: the configured TTL, cut so it never outlives the file; None when the
    file is (about to be) gone."""
    left = int((media_expiry - now).total_seconds())
    if left < MIN_LINK_SECONDS:
        return None
    return min(url_ttl_seconds, left)
