"""The GPU worker: takes task messages off SQS and moves each task queued -> processing -> completed/failed.

SQS delivers at least once, so every state change is a conditional DynamoDB write (TaskTable), the
result lands in S3 before the task says `completed`, and the message is deleted only after both.
Input faults the engine finds end the task `failed` with the contract's code; anything unexpected
leaves the message to come back, and after the queue's maxReceiveCount it goes to the DLQ, where
functions.dlq turns it into `failed`/`server_error`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from enum import StrEnum
from typing import Self

from core.adapters.s3 import MediaStore
from core.adapters.sqs import TaskMessage, TaskQueue
from core.adapters.task_table import TaskTable
from core.adapters.webhook_queue import WebhookQueue
from core.logic.fault_injection import fault_point
from core.logic.provenance import ResultProvenance
from core.logic.webhook_announce import schedule_first
from core.models.errors import ErrorCode, error_from_engine
from core.models.task import Task, TaskStatus, result_key
from core.observability import logger, task_context
from core.settings import Settings
from engine_layer.errors import EngineError
from worker.config import WorkerConfig
from worker.engine_call import EngineTimeout, ShutdownRequested, SwapEngine, call_engine
from worker.heartbeat import Heartbeat
from worker.provenance_setup import provenance_from_settings

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class Outcome(StrEnum):
    """What became of one message (logged, and what tests check)."""

    COMPLETED = "completed"
    FAILED = "failed"  # an input fault: the task carries the contract's code
    DUPLICATE = "duplicate"  # the task had already finished: message dropped, no second result
    MALFORMED = "malformed"  # no task id, or no such task: message dropped
    BUSY = "busy"  # another live worker holds the task: message hidden until that lease could lapse
    RETRY = "retry"  # unexpected error: message left to come back (and reach the DLQ in the end)
    RELEASED = "released"  # shutdown: message and lease given back for another worker
    LEASE_LOST = "lease_lost"  # our lease lapsed and another worker took the task over


class WorkerWedged(Exception):
    """The engine stopped answering; the process should exit so its orchestrator replaces it."""


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        *,
        engine: SwapEngine,
        queue: TaskQueue,
        tasks: TaskTable,
        media: MediaStore,
        config: WorkerConfig,
        worker_id: str | None = None,
        webhooks: WebhookQueue | None = None,
        provenance: ResultProvenance | None = None,
    ) -> None:
        self.engine = engine
        self.queue = queue
        self.tasks = tasks
        self.media = media
        self.config = config
        self.worker_id = worker_id or new_worker_id()
        self.provenance = provenance  # watermark + Content Credentials (from_settings always sets it)
        self.stop = threading.Event()
        # Where a finished task's webhook is announced (None: this worker sends none).
        self.webhooks = webhooks

    @classmethod
    def from_settings(
        cls, settings: Settings, engine: SwapEngine | None = None, *, config: WorkerConfig | None = None
    ) -> Self:
        """A worker on the settings' queue, table and bucket. Without `engine`, loads the real one;
        without `config`, its timings are the settings' (WORKER_*)."""
        if engine is None:
            from engine_layer.engine import Engine  # the heavy import only where a worker really runs

            engine = Engine.load(
                settings.model_dir,
                tier=settings.engine_tier,
                require_tier=settings.require_tier,
                face_resolution=settings.face_resolution,
            )
        return cls(
            engine=engine,
            queue=TaskQueue(settings.task_queue_url),
            tasks=TaskTable(settings.tasks_table),
            media=MediaStore(settings.media_bucket),
            config=config or WorkerConfig.from_settings(settings),
            webhooks=WebhookQueue(settings.webhook_queue_url) if settings.webhook_queue_url else None,
            provenance=provenance_from_settings(settings),
        )

    # --- the loop -------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; the task in hand is finished or given back before returning."""
        self.stop = stop
        logger.info("worker polling", worker_id=self.worker_id, queue_url=self.queue.queue_url)
        while not stop.is_set():
            try:
                self.poll_once()
            except WorkerWedged:
                raise
            except Exception:
                # SQS itself failed (network, throttling): wait a little and poll again.
                logger.exception("polling failed")
                stop.wait(min(5.0, self.config.poll_wait_seconds or 1.0))
        logger.info("worker stopped", worker_id=self.worker_id)

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Receive at most one message and handle it. Returns how many messages were handled."""
        wait = self.config.poll_wait_seconds if wait_seconds is None else wait_seconds
        messages = self.queue.receive(
            wait_seconds=wait, visibility_timeout=self.config.visibility_timeout_seconds
        )
        for message in messages:
            self.handle(message)
        return len(messages)

    def handle(self, message: TaskMessage) -> Outcome:
        """Handle one message. Never raises for anything a message can cause."""
        with task_context(message.task_id):
            return self._handle_logged(message)

    def _handle_logged(self, message: TaskMessage) -> Outcome:
        try:
            outcome = self._handle(message)
        except WorkerWedged:
            raise
        except Exception:
            # DynamoDB or S3 failed outside the engine: the message comes back after its visibility.
            logger.exception("message handling failed; it will be retried", task_id=message.task_id)
            outcome = Outcome.RETRY
        logger.info(
            "message handled",
            task_id=message.task_id,
            outcome=outcome.value,
            receive_count=message.receive_count,
        )
        return outcome

    # --- one message ----------------------------------------------------------------------------

    def _handle(self, message: TaskMessage) -> Outcome:
        if not message.task_id:
            logger.warning("dropping a message without a task id")
            self.queue.delete(message.receipt_handle)
            return Outcome.MALFORMED
        if self.stop.is_set():
            self._release_message(message)
            return Outcome.RELEASED

        task = self.tasks.claim(message.task_id, self.worker_id, self.config.lease_seconds)
        if task is None:
            return self._not_claimed(message)

        heartbeat = Heartbeat(
            queue=self.queue,
            tasks=self.tasks,
            receipt_handle=message.receipt_handle,
            task_id=task.task_id,
            worker_id=self.worker_id,
            visibility_timeout_seconds=self.config.visibility_timeout_seconds,
            lease_seconds=self.config.lease_seconds,
            interval_seconds=self.config.heartbeat_seconds,
        )
        with heartbeat:
            try:
                return self._process(task, message, heartbeat)
            except ShutdownRequested:
                heartbeat.stop()
                self._release(task, message, delay_seconds=0)
                return Outcome.RELEASED
            except EngineTimeout as error:
                heartbeat.stop()
                self._release(task, message, delay_seconds=self.config.retry_delay_seconds)
                raise WorkerWedged(str(error)) from error
            except EngineError as error:
                heartbeat.stop()
                return self._engine_error(task, message, error)
            except Exception:
                heartbeat.stop()
                logger.exception("task failed unexpectedly; it will be retried", task_id=task.task_id)
                self._release(task, message, delay_seconds=self.config.retry_delay_seconds)
                return Outcome.RETRY

    def _process(self, task: Task, message: TaskMessage, heartbeat: Heartbeat) -> Outcome:
        fault_point("after_claim")
        images = {field: self.media.get(key) for field, key in task.inputs.items()}
        labels = self.provenance.labels_for(task) if self.provenance else None
        result = call_engine(
            self.engine,
            task.operation,
            images,
            task.swap_index,
            task.enhance,
            stop=self.stop,
            shutdown_grace_seconds=self.config.shutdown_grace_seconds,
            timeout_seconds=self.config.engine_timeout_seconds,
            labels=labels,
        )
        if heartbeat.lease_lost.is_set():
            return Outcome.LEASE_LOST
        key = result_key(task.task_id, EXTENSIONS.get(result.content_type, result.format.lower()))
        image = self.provenance.sign(task, result, images) if self.provenance else result.image
        if not self.media.put_once(key, image, result.content_type):
            # An earlier attempt stored the result and died before saying so: the result is written once.
            logger.info("result already stored by an earlier attempt", task_id=task.task_id)
        fault_point("after_result_upload")
        heartbeat.stop()
        completed = self.tasks.complete(
            task.task_id,
            self.worker_id,
            result_key=key,
            content_type=result.content_type,
            engine={k: str(v) for k, v in result.engine.items()},
            quality=result.quality,
        )
        if not completed:
            # Another worker re-took the task after our lease lapsed; it owns the message now.
            logger.warning("task moved under us; leaving it to its new holder", task_id=task.task_id)
            return Outcome.LEASE_LOST
        self._announce(task)
        self.queue.delete(message.receipt_handle)
        return Outcome.COMPLETED

    def _engine_error(self, task: Task, message: TaskMessage, error: EngineError) -> Outcome:
        body = error_from_engine(error)
        if body.code is ErrorCode.SERVER_ERROR:
            # Not the customer's input (e.g. models missing on this worker): another attempt may work.
            logger.error("engine failed; it will be retried", task_id=task.task_id, error=str(error))
            self._release(task, message, delay_seconds=self.config.retry_delay_seconds)
            return Outcome.RETRY
        if not self.tasks.fail(task.task_id, body, worker_id=self.worker_id):
            # Our lease lapsed and another worker holds the task: its message is the only thing that
            # still moves it if that worker dies too, so keep it (hidden until that lease could lapse).
            return self._not_claimed(message, lease_lost=True)
        logger.info("task failed on its input", task_id=task.task_id, code=body.code.value)
        self._announce(task)
        self.queue.delete(message.receipt_handle)
        return Outcome.FAILED

    def _announce(self, task: Task) -> None:
        """The final status is written: its webhook (if any) may go out now."""
        if self.webhooks is not None:
            schedule_first(task, self.webhooks)

    def _not_claimed(self, message: TaskMessage, *, lease_lost: bool = False) -> Outcome:
        task = self.tasks.get(message.task_id)
        if task is None:
            logger.warning("dropping a message for an unknown task", task_id=message.task_id)
            self.queue.delete(message.receipt_handle)
            return Outcome.MALFORMED
        if task.status in (TaskStatus.COMPLETED, TaskStatus.FAILED):
            if task.webhook is not None and not task.webhook.attempts:
                # The worker that finished it may have died before announcing its webhook: announce
                # again (attempt 1 is made once; receivers drop repeats by webhook-id).
                self._announce(task)
            self.queue.delete(message.receipt_handle)
            return Outcome.DUPLICATE
        # Processing under another worker's live lease: hide the message until that lease could have
        # lapsed, so a crash of that worker is noticed by one more receive, not by several early ones.
        remaining = (task.lease_expires_at or 0) - int(time.time())
        self._release_message(message, max(1, remaining + 1))
        return Outcome.LEASE_LOST if lease_lost else Outcome.BUSY

    def _release(self, task: Task, message: TaskMessage, *, delay_seconds: int) -> None:
        """Give the task back: its lease ends now and its message is visible again after the delay."""
        try:
            self.tasks.release(task.task_id, self.worker_id)  # False: someone else holds it already
        except Exception:
            logger.warning("could not release the lease; it lapses on its own", exc_info=True)
        self._release_message(message, delay_seconds)

    def _release_message(self, message: TaskMessage, delay_seconds: int = 0) -> None:
        try:
            self.queue.hide(message.receipt_handle, delay_seconds)
        except Exception:
            logger.warning("could not release the message; it returns after its visibility", exc_info=True)
