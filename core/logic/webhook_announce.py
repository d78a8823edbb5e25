"""Announce a finished task's webhook: enqueue its first delivery attempt (core.logic.webhooks makes it).

Kept apart from the delivery code so the worker, the DLQ function and the sweeper import only this: no
signing library, no HTTP client.
"""

from __future__ import annotations

from core.adapters.task_table import TaskTable
from core.adapters.webhook_queue import WebhookQueue
from core.models.task import Task, TaskStatus
from core.models.webhook import WebhookMessage
from core.observability import logger

FINAL = (TaskStatus.COMPLETED, TaskStatus.FAILED)


def schedule_first(task: Task, queue: WebhookQueue) -> bool:
    """Enqueue attempt 1 of a finished task's webhook (nothing when it has none). Call after the final
    status is written. Never raises: a lost notification must not undo a finished task."""
    if task.webhook is None:
        return False
    try:
        queue.send(WebhookMessage(task_id=task.task_id, attempt=1))
    except Exception:
        logger.exception("could not enqueue the webhook", task_id=task.task_id)
        return False
    return True


def schedule_first_of(task_id: str, tasks: TaskTable, queue: WebhookQueue) -> bool:
    """schedule_first for code that has only the id of the task it just ended (DLQ, sweeper)."""
    try:
        task = tasks.get(task_id)
    except Exception:
        logger.exception("could not read the task to send its webhook", task_id=task_id)
        return False
    return task is not None and task.status in FINAL and schedule_first(task, queue)
