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

    def increment_below(
        self, counter_id: str, limit: int, expires_at: int, used_at: int | None = None
    ) -> int | None:
        """Add one to the counter if it is below `limit`; return the new count, or None when it is not.

        The counter (and its TTL) is created by the first increment of its window. `used_at` (epoch
        seconds) is kept on the counter as `last_used_at`."""
        update = "ADD #used :one SET expires_at = if_not_exists(expires_at, :expires_at)"
        values: dict[str, Any] = {":one": 1, ":limit": limit, ":expires_at": expires_at}
        if used_at is not None:
            update += ", last_used_at = :used_at"
            values[":used_at"] = used_at
        try:
            answer = self.table.update_item(
                Key={"counter_id": counter_id},
                UpdateExpression=update,
                ConditionExpression="attribute_not_exists(#used) OR #used < :limit",
                ExpressionAttributeNames={"#used": _USED},
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return int(plain(answer["Attributes"][_USED]))

    def add(self, counter_id: str, expires_at: int) -> None:
        """Count one, unconditionally (a tally, not a limit)."""
        self.table.update_item(
            Key={"counter_id": counter_id},
            UpdateExpression="ADD #used :one SET expires_at = if_not_exists(expires_at, :expires_at)",
            ExpressionAttributeNames={"#used": _USED},
            ExpressionAttributeValues={":one": 1, ":expires_at": expires_at},
        )

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
        return {cid: used for cid, (used, _) in self.read_with_last_use(counter_ids).items()}

    def read_with_last_use(self, counter_ids: Iterable[str]) -> dict[str, tuple[int, int | None]]:
        """(count, last_used_at epoch seconds or None) per counter; missing counters read (0, None)."""
        wanted = list(dict.fromkeys(counter_ids))
        counts: dict[str, tuple[int, int | None]] = dict.fromkeys(wanted, (0, None))
        # The table resource's own client: it takes and returns plain values, as the resource does.
        dynamodb = self.table.meta.client
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self.table_name: {
                    "Keys": [{"counter_id": cid} for cid in wanted[start : start + _BATCH_GET_LIMIT]],
                    "ConsistentRead": True,
                    "ProjectionExpression": "counter_id, #used, last_used_at",
                    "ExpressionAttributeNames": {"#used": _USED},
                }
            }
            while pending:
                answer = dynamodb.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    if _USED in item:
                        last = item.get("last_used_at")
                        counts[str(item["counter_id"])] = (
                            int(plain(item[_USED])),
                            int(plain(last)) if last is not None else None,
                        )
                pending = answer.get("UnprocessedKeys") or {}
        return counts
