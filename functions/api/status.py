"""GET /api/task-status/{task_id}: the task as its owner may see it."""

from __future__ import annotations

import re

from functions.core.aws.s3 import MediaStore
from functions.core.aws.task_table import TaskTable
from functions.core.errors import ApiError, ErrorCode
from functions.core.settings import Settings
from functions.core.tasks import TaskStatus, TaskView

_TASK_ID = re.compile(r"^[0-9a-f]{32}$")


def task_view(task_id: str, key_id: str, settings: Settings) -> TaskView:
    # Malformed ids, unknown ids and other keys' tasks get the same answer: nothing leaks.
    task = TaskTable(settings.tasks_table).get(task_id) if _TASK_ID.match(task_id) else None
    if task is None or task.key_id != key_id:
        raise ApiError(ErrorCode.NOT_FOUND, "No task with this id exists for this API key.")
    if task.status is TaskStatus.COMPLETED and task.result_key:
        url, expires_at = MediaStore(settings.media_bucket).presigned_get(
            task.result_key, settings.result_url_ttl_seconds
        )
        return TaskView.of(task, image_url=url, url_expires_at=expires_at)
    return TaskView.of(task)
