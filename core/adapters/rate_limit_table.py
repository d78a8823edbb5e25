"""DynamoDB adapter for rate-limit counters (partition key: counter_id; TTL attribute: expires_at).

Each counter is one item whose `used` attribute only moves by DynamoDB's atomic `ADD`. An increment is
conditional on the counter being below its limit, so DynamoDB itself decides, item by item, which of
many simultaneous requests get the last units: no read-then-write race in our code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from core.adapters.clients import dynamodb_table
from core.adapters.items import condition_failed, plain

_USED = "used"
# BatchGetItem reads at most 100 keys per call.
_BATCH_GET_LIMIT = 100


class RateLimitTable:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = dynamodb_table(table_name)

    def increment_below(self, counter_id: str, limit: int, expires_at: int) -> int | None:
        """Add one to the counter if it is below `limit`; return the new count, or None when it is not.

        The counter (and its TTL) is created by the first increment of its window."""
        try:
            answer = self.table.update_item(
                Key={"counter_id": counter_id},
                UpdateExpression="ADD #used :one SET expires_at = if_not_exists(expires_at, :expires_at)",
                ConditionExpression="attribute_not_exists(#used) OR #used < :limit",
                ExpressionAttributeNames={"#used": _USED},
                ExpressionAttributeValues={":one": 1, ":limit": limit, ":expires_at": expires_at},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return int(plain(answer["Attributes"][_USED]))

    def give_back(self, counter_id: str) -> None:
        """Undo one increment (a request admitted by this counter but refused by another window)."""
        self.table.update_item(
            Key={"counter_id": counter_id},
            UpdateExpression="ADD #used :minus_one",
            ConditionExpression="attribute_exists(#used) AND #used > :zero",
            ExpressionAttributeNames={"#used": _USED},
            ExpressionAttributeValues={":minus_one": -1, ":zero": 0},
        )

    def read(self, counter_ids: Iterable[str]) -> dict[str, int]:
        """Current counts (strongly consistent); counters not yet created read as 0."""
        wanted = list(dict.fromkeys(counter_ids))
        counts = dict.fromkeys(wanted, 0)
        # The table resource's own client: it takes and returns plain values, as the resource does.
        dynamodb = self.table.meta.client
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self.table_name: {
                    "Keys": [{"counter_id": cid} for cid in wanted[start : start + _BATCH_GET_LIMIT]],
                    "ConsistentRead": True,
                    "ProjectionExpression": "counter_id, #used",
                    "ExpressionAttributeNames": {"#used": _USED},
                }
            }
            while pending:
                answer = dynamodb.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    if _USED in item:
                        counts[str(item["counter_id"])] = int(plain(item[_USED]))
                pending = answer.get("UnprocessedKeys") or {}
        return counts
