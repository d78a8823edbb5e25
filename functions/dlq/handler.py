"""Lambda on the task DLQ (SQS event source, ReportBatchItemFailures): each record fails its task."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core.aws.sqs import parse_message
from functions.core.aws.task_table import TaskTable
from functions.core.settings import get_settings
from functions.dlq.logic import fail_dead_letter

logger = Logger(service="faceswap-dlq")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> str:
    # A raised error marks only this record failed; SQS redelivers it alone.
    return fail_dead_letter(TaskTable(get_settings().tasks_table), parse_message(record.raw_event)).value


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
