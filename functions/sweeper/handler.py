"""Lambda on a schedule (template.yaml: every minute): one sweep of the tasks table's SweepIndex."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.logic.sweeper import sweep_from_settings

logger = Logger(service="faceswap-sweeper")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return sweep_from_settings().as_dict()
