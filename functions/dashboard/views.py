"""JSON shapes of the dashboard's answers (one place, so the page and the tests read the same)."""

from __future__ import annotations

from typing import Any

from core.logic.rate_limit import WindowUsage
from core.logic.usage_history import DayCount, KeyUsage
from core.models.api_key import ApiKeyRecord
from core.models.task import Task


def key_view(record: ApiKeyRecord, last_used_at: str | None = None) -> dict[str, Any]:
    return {
        "key_id": record.key_id,
        "name": record.name,
        "prefix": record.key_prefix,
        "plan": record.plan.value,
        "status": record.status.value,
        "created_at": record.created_at.isoformat(),
        "last_used_at": last_used_at,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
    }


def _window(usage: WindowUsage) -> dict[str, int]:
    return {
        "used": usage.used,
        "limit": usage.limit,
        "remaining": usage.remaining,
        "reset_at": usage.reset_at,
    }


def _day(count: DayCount) -> dict[str, Any]:
    return {"date": count.day.isoformat(), "accepted": count.accepted, "refused": count.refused}


def key_usage_view(usage: KeyUsage) -> dict[str, Any]:
    last = usage.last_used_at.isoformat() if usage.last_used_at else None
    view = key_view(usage.record, last)
    view["hour"] = _window(usage.current.hour) if usage.current else None
    view["day"] = _window(usage.current.day) if usage.current else None
    view["days"] = [_day(day) for day in usage.days]
    return view


def days_view(days: list[DayCount]) -> list[dict[str, Any]]:
    return [_day(day) for day in days]


def task_row(task: Task, key_name: str, image_url: str | None) -> dict[str, Any]:
    quality = task.quality or {}
    return {
        "task_id": task.task_id,
        "key_id": task.key_id,
        "key_name": key_name,
        "operation": task.operation.value,
        "status": task.status.value,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
        "error_code": task.error.code.value if task.error else None,
        "image_url": image_url,
        "warnings": list(quality.get("warnings") or []),
    }
