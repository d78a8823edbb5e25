"""One logging setup for every process: the API, DLQ and sweeper functions and the worker.

Powertools Logger: structured JSON, one object per line, on stdout (CloudWatch Logs takes it from
there). Service and level come from the environment, POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL,
which template.yaml sets once in Globals (and the worker's task definition to the same values).

Correlation ids: `bind_request` puts `request_id` (the Lambda request id, the one a 500 envelope hands the
client as details.request_id) on every line of an invocation; `bind_task` / `task_context` put
`task_id` on every line about one task. Both are thread-local keys: the local stack serves requests and
runs the DLQ and sweeper loops in threads of one process, and one request's id must not leak into
another thread's lines.

No tracer: template.yaml's `Tracing: Active` already records each request's API Gateway -> Lambda
timeline without code, and the X-Ray SDK (patching every boto call) would weigh on the size-limited
Lambda zip for per-call detail the structured logs and benchmarks already give.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICE = "faceswap"
# The AWS SDK's loggers stay at their WARNING default and out of our format.
_SDK_LOGGERS = {"botocore", "boto3", "urllib3", "s3transfer"}

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE)


def bind_request(context: LambdaContext) -> None:
    """Start an invocation's lines: request_id on each, nothing left from an earlier invocation."""
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(request_id=context.aws_request_id)


def bind_task(task_id: str) -> None:
    """task_id on every further line of this invocation (cleared by the next bind_request)."""
    logger.thread_safe_append_keys(task_id=task_id)


@contextmanager
def task_context(task_id: str | None) -> Iterator[None]:
    """task_id on every line logged inside the block (none when the message named no task)."""
    if task_id is None:
        yield
        return
    logger.thread_safe_append_keys(task_id=task_id)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(["task_id"])


def route_library_logs() -> None:
    """Give stdlib loggers already registered (engine_layer's) our JSON format and level."""
    copy_config_to_registered_loggers(source_logger=logger, exclude=_SDK_LOGGERS)
