"""An account's recent tasks: the newest of each of its keys' tasks, merged, newest first."""

from __future__ import annotations

from core.adapters.task_table import TaskTable
from core.models.api_key import ApiKeyRecord
from core.models.task import Task

RECENT_TASKS = 20


def recent_tasks(table: TaskTable, keys: list[ApiKeyRecord], limit: int = RECENT_TASKS) -> list[Task]:
    found: list[Task] = []
    for record in keys:
        found += table.recent_for_key(record.key_id, limit)
    return sorted(found, key=lambda task: task.created_at, reverse=True)[:limit]
