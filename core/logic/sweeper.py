"""One sweep: end tasks queued too long, re-drive processing tasks whose lease lapsed with no worker.

- `queued` since more than TASK_MAX_QUEUED_SECONDS: no worker took it (workers down, backlog): the task
  ends failed/`queue_timeout`, so its client stops polling. A message still on the queue later finds the
  task finished and is dropped.
- `processing` with a lease that lapsed more than TASK_REDRIVE_AFTER_SECONDS ago (at least the message
  visibility): any message it had would have come back and been taken by now, so it has none left (its
  worker died after the message was deleted, or the DLQ deferred it). It gets a new message, or,
  once it has had TASK_MAX_ATTEMPTS attempts, ends failed/`server_error` like a dead letter.

Every change is a conditional write, so a sweep racing a worker (or another sweep) never undoes its work;
a duplicate message it may send is harmless (the worker's claim is conditional too).
Used by the scheduled Lambda (handler.py) and the local stack's loop (`sweep_forever`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.adapters.webhook_queue import WebhookQueue
from core.logic.dlq import DEAD_LETTER_ERROR
from core.logic.webhook_announce import schedule_first_of
from core.models.errors import ErrorBody, ErrorCode
from core.models.task import TaskStatus
from core.observability import logger
from core.settings import Settings, get_settings


def queue_timeout_error(max_queued_seconds: int) -> ErrorBody:
    return ErrorBody(
        code=ErrorCode.QUEUE_TIMEOUT,
        message="No worker could take the task in time. Please submit it again.",
        details={"max_queued_seconds": max_queued_seconds},
    )


@dataclass
class SweepReport:
    expired: int = 0  # queued too long: failed/queue_timeout
    redriven: int = 0  # lapsed lease, no message: sent a new one
    abandoned: int = 0  # lapsed lease after every attempt: failed/server_error

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Sweeper:
    tasks: TaskTable
    queue: TaskQueue
    max_queued_seconds: int
    redrive_after_seconds: int  # how long after its lease lapsed a task surely has no message left
    max_attempts: int
    webhooks: WebhookQueue | None = None  # where the tasks it ends announce their webhooks

    def sweep(self, now: float | None = None) -> SweepReport:
        now = time.time() if now is None else now
        report = SweepReport()
        error = queue_timeout_error(self.max_queued_seconds)
        for task_id in self.tasks.overdue(TaskStatus.QUEUED, int(now) - self.max_queued_seconds):
            if self.tasks.fail(task_id, error, queued_before=int(now) - self.max_queued_seconds):
                logger.warning("task waited too long in the queue", task_id=task_id)
                self._announce(task_id)
                report.expired += 1
        for task_id in self.tasks.overdue(TaskStatus.PROCESSING, int(now) - self.redrive_after_seconds):
            task = self.tasks.get(task_id)
            if task is None or task.status is not TaskStatus.PROCESSING:
                continue
            if task.attempts >= self.max_attempts:
                if self.tasks.fail(task_id, DEAD_LETTER_ERROR, unless_leased=True):
                    logger.warning("task abandoned", task_id=task_id, attempts=task.attempts)
                    self._announce(task_id)
                    report.abandoned += 1
            elif self.tasks.mark_redriven(task_id, int(now)):
                self.queue.send(task_id)
                logger.warning("lapsed task re-driven", task_id=task_id, attempts=task.attempts)
                report.redriven += 1
        return report

    def _announce(self, task_id: str) -> None:
        if self.webhooks is not None:
            schedule_first_of(task_id, self.tasks, self.webhooks)


def sweeper_from_settings(settings: Settings) -> Sweeper:
    return Sweeper(
        tasks=TaskTable(settings.tasks_table),
        queue=TaskQueue(settings.task_queue_url),
        max_queued_seconds=settings.task_max_queued_seconds,
        redrive_after_seconds=settings.task_redrive_after_seconds,
        max_attempts=settings.task_max_attempts,
        webhooks=WebhookQueue(settings.webhook_queue_url) if settings.webhook_queue_url else None,
    )


def sweep_from_settings() -> SweepReport:
    report = sweeper_from_settings(get_settings()).sweep()
    logger.info("sweep done", extra=report.as_dict())
    return report


def sweep_forever(sweeper: Sweeper, stop: threading.Event, *, interval_seconds: float) -> None:
    """The local stack's stand-in for the scheduled Lambda."""
    while not stop.wait(interval_seconds):
        try:
            report = sweeper.sweep()
            if report.expired or report.redriven or report.abandoned:
                logger.info("sweep done", extra=report.as_dict())
        except Exception:
            logger.exception("sweep failed; the next one will try again")
