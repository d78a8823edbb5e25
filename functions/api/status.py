"""GET /api/task-status/{task_id}: the task as its owner may see it."""

from __future__ import annotations

import re

from core.adapters.task_table import TaskTable
from core.logic.task_view import view_of
from core.models.errors import ApiError, ErrorCode
from core.models.task import TaskView
from core.settings import Settings

_TASK_ID = re.compile(r"^[0-9a-f]{32}$")


def task_view(task_id: str, key_id: str, settings: Settings) -> TaskView:
    # Malformed ids, unknown ids and other keys' tasks get the same answer: nothing leaks.
    task = TaskTable(settings.tasks_table).get(task_id) if _TASK_ID.match(task_id) else None
    if task is None or task.key_id != key_id:
        raise ApiError(ErrorCode.NOT_FOUND, "No task with this id exists for this API key.")
    return view_of(task, settings)
