"""DynamoDB item helpers shared by the table adapters."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError


def condition_failed(error: ClientError) -> bool:
    """True when a conditional write was refused because its condition did not hold."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def plain(value: Any) -> Any:
    """boto3's resource API returns Decimal for every number; models want int/float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def dynamo_numbers(value: Any) -> Any:
    """JSON-like data with every float as a Decimal (boto3's resource API refuses floats); floats are
    written through their shortest repr, so 0.815 is stored as 0.815 and read back as 0.815."""
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: dynamo_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [dynamo_numbers(v) for v in value]
    return value
