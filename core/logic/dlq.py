"""A message on the dead-letter queue kept failing: its task ends `failed`/`server_error`.

Used by the Lambda on the DLQ (handler.py) and by the local stack's loop (`drain`), so both behave
the same. A task that finished meanwhile (a late success) is left alone, and a task a worker still
holds under a live lease is never failed: its dead letter waits until that lease could have lapsed.
"""

from __future__ import annotations

import threading
import time
from enum import StrEnum

from core.adapters.sqs import TaskMessage, TaskQueue
from core.adapters.task_table import TaskTable
from core.adapters.webhook_queue import WebhookQueue
from core.logic.webhook_announce import schedule_first_of
from core.models.errors import ErrorBody, ErrorCode
from core.models.task import TaskStatus
from core.observability import logger, task_context

DEAD_LETTER_ERROR = ErrorBody(
    code=ErrorCode.SERVER_ERROR,
    message="The swap could not be completed after several attempts. Please try again.",
)


class DeadLetterOutcome(StrEnum):
    FAILED = "failed"  # the task now carries server_error
    ALREADY_FINISHED = "already_finished"  # completed or failed before the message died; or unknown
    MALFORMED = "malformed"  # no task id in the message
    DEFERRED = "deferred"  # a worker holds a live lease: look again once it could have lapsed


class LeaseStillLive(Exception):
    """The dead letter's task is held under a live lease; retry the dead letter after `seconds`."""

    def __init__(self, task_id: str, seconds: int) -> None:
        super().__init__(f"task {task_id} is held under a live lease for {seconds} s more")
        self.seconds = seconds


def fail_dead_letter(
    tasks: TaskTable, message: TaskMessage, webhooks: WebhookQueue | None = None
) -> DeadLetterOutcome:
    with task_context(message.task_id):
        return _fail_dead_letter(tasks, message, webhooks)


def _fail_dead_letter(
    tasks: TaskTable, message: TaskMessage, webhooks: WebhookQueue | None
) -> DeadLetterOutcome:
    if not message.task_id:
        logger.warning("dead letter without a task id")
        return DeadLetterOutcome.MALFORMED
    if tasks.fail(message.task_id, DEAD_LETTER_ERROR, unless_leased=True):
        logger.warning(
            "task failed after its message reached the DLQ",
            task_id=message.task_id,
            receive_count=message.receive_count,
        )
        if webhooks is not None:
            schedule_first_of(message.task_id, tasks, webhooks)
        return DeadLetterOutcome.FAILED
    task = tasks.get(message.task_id)
    if task is not None and task.status is TaskStatus.PROCESSING:
        remaining = max(1, (task.lease_expires_at or 0) - int(time.time()) + 1)
        logger.info("dead letter deferred: a worker holds its task", task_id=task.task_id, seconds=remaining)
        raise LeaseStillLive(task.task_id, remaining)
    return DeadLetterOutcome.ALREADY_FINISHED


def drain(
    dlq: TaskQueue, tasks: TaskTable, *, wait_seconds: int, webhooks: WebhookQueue | None = None
) -> int:
    """Receive dead letters once (long poll), fail their tasks, delete them. Returns messages handled.

    A message whose task write fails is left on the DLQ for the next pass."""
    handled = 0
    for message in dlq.receive(wait_seconds=wait_seconds, max_messages=10):
        try:
            fail_dead_letter(tasks, message, webhooks)
        except LeaseStillLive as live:
            dlq.hide(message.receipt_handle, live.seconds)
            continue
        except Exception:
            logger.exception("could not record a dead letter; will retry", task_id=message.task_id)
            continue
        dlq.delete(message.receipt_handle)
        handled += 1
    return handled


def drain_forever(
    dlq: TaskQueue,
    tasks: TaskTable,
    stop: threading.Event,
    *,
    wait_seconds: int = 1,
    webhooks: WebhookQueue | None = None,
) -> None:
    """The local stack's stand-in for the DLQ Lambda's event source mapping."""
    while not stop.is_set():
        try:
            drain(dlq, tasks, wait_seconds=wait_seconds, webhooks=webhooks)
        except Exception:
            logger.exception("dead-letter poll failed")
            stop.wait(1.0)
