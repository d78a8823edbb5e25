"""Lambda on the task DLQ (SQS event source, ReportBatchItemFailures): each record fails its task."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.adapters.sqs import TaskQueue, parse_message
from core.adapters.task_table import TaskTable
from core.adapters.webhook_queue import WebhookQueue
from core.logic.dlq import LeaseStillLive, fail_dead_letter
from core.observability import bind_request, logger
from core.settings import get_settings

# A batch whose every record is deferred is an answer, not an error (no Lambda error alarm for it).
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> str:
    # A raised error marks only this record failed; SQS redelivers it alone.
    settings = get_settings()
    message = parse_message(record.raw_event)
    try:
        webhooks = WebhookQueue(settings.webhook_queue_url) if settings.webhook_queue_url else None
        return fail_dead_letter(TaskTable(settings.tasks_table), message, webhooks).value
    except LeaseStillLive as live:
        # A worker still holds the task: hide this dead letter until its lease could have lapsed, and
        # report the record failed so it stays on the DLQ for that look.
        try:
            TaskQueue(settings.task_dlq_url).hide(message.receipt_handle, live.seconds)
        except Exception:
            logger.warning("could not hide the deferred dead letter", exc_info=True)
        raise


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    bind_request(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
