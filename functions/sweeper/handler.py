"""Lambda on a schedule (template.yaml: every minute): one sweep of the tasks table's SweepIndex."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from core.logic.sweeper import sweep_from_settings
from core.observability import bind_request, logger


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    bind_request(context)
    return sweep_from_settings().as_dict()
