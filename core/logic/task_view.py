"""A task's status body as its owner sees it: the same for GET /api/task-status and a webhook's `data`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from core.adapters.s3 import MediaStore
from core.clock import utc_now
from core.models.task import Task, TaskStatus, TaskView
from core.settings import Settings

# A link shorter than this is not worth handing out: the client could not download in time.
MIN_LINK_SECONDS = 60


def view_of(task: Task, settings: Settings) -> TaskView:
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


def link_seconds(now: datetime, media_expiry: datetime, url_ttl_seconds: int) -> int | None:
    """The life of a result link: the configured TTL, cut so it never outlives the file; None when the
    file is (about to be) gone."""
    left = int((media_expiry - now).total_seconds())
    if left < MIN_LINK_SECONDS:
        return None
    return min(url_ttl_seconds, left)
