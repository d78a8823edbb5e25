"""DynamoDB item helpers shared by the table adapters."""

from __future__ import annotations

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
