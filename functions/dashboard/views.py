"""The dashboard's answers built from our records (core/models/dashboard.py holds their shapes, so the
page, the tests and the OpenAPI document read the same)."""

from __future__ import annotations

from datetime import datetime

from core.logic.rate_limit import WindowUsage
from core.logic.usage_history import DayCount, KeyUsage
from core.models.api_key import ApiKeyRecord
from core.models.dashboard import DayView, KeyUsageView, KeyView, TaskRow, WindowView
from core.models.task import Task


def key_view(record: ApiKeyRecord, last_used_at: datetime | None = None) -> KeyView:
    return KeyView(
        key_id=record.key_id,
        name=record.name,
        prefix=record.key_prefix,
        plan=record.plan,
        status=record.status,
        created_at=record.created_at,
        last_used_at=last_used_at,
        revoked_at=record.revoked_at,
    )


def _window(usage: WindowUsage) -> WindowView:
    return WindowView(used=usage.used, limit=usage.limit, remaining=usage.remaining, reset_at=usage.reset_at)


def _day(count: DayCount) -> DayView:
    return DayView(date=count.day.isoformat(), accepted=count.accepted, refused=count.refused)


def key_usage_view(usage: KeyUsage) -> KeyUsageView:
    return KeyUsageView(
        **dict(key_view(usage.record, usage.last_used_at)),
        hour=_window(usage.current.hour) if usage.current else None,
        day=_window(usage.current.day) if usage.current else None,
        days=[_day(day) for day in usage.days],
    )


def days_view(days: list[DayCount]) -> list[DayView]:
    return [_day(day) for day in days]


def task_row(task: Task, key_name: str, image_url: str | None) -> TaskRow:
    quality = task.quality or {}
    return TaskRow(
        task_id=task.task_id,
        key_id=task.key_id,
        key_name=key_name,
        operation=task.operation,
        status=task.status,
        created_at=task.created_at,
        updated_at=task.updated_at,
        error_code=task.error.code if task.error else None,
        image_url=image_url,
        warnings=list(quality.get("warnings") or []),
    )
