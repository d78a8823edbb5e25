"""Watermark id -> task: one small item per mark in the task table, keyed "mark#<5 hex digits>".

The mark id in a result's pixels is random (20 bits), not derived from the task id, so the picture alone
says nothing about the task; this item is the only way back, and POST /api/verify shows the task only to
the key in it. It expires with its task (same TTL attribute). Ids are reused only once their task has
expired: a new one is taken under a condition, and drawn again on a collision. The status route never
reads these items (it accepts 32-hex task ids only), nor does the sweeper (they have no sweep attributes).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from core.adapters.clients import dynamodb_table
from engine_layer.provenance.watermark import MARK_ID_BITS

MARK_PREFIX = "mark#"
_DRAWS = 16  # at 50% of ids taken, 16 collisions in a row happen once in 65 536 registrations


class MarkIdsExhausted(RuntimeError):
    """Every draw hit a live mark (the id space is too full for the task TTL and volume)."""


@dataclass(frozen=True)
class MarkOwner:
    task_id: str
    key_id: str


def mark_item_key(mark_id: int) -> str:
    return f"{MARK_PREFIX}{mark_id:05x}"


class MarkRegistry:
    def __init__(self, table_name: str) -> None:
        self.table = dynamodb_table(table_name)

    def register(self, task_id: str, key_id: str, expires_at: int) -> int:
        """A fresh mark id now pointing at `task_id` until `expires_at` (epoch seconds)."""
        now = int(time.time())
        for _ in range(_DRAWS):
            mark_id = secrets.randbelow(1 << MARK_ID_BITS)
            try:
                self.table.update_item(
                    Key={"task_id": mark_item_key(mark_id)},
                    UpdateExpression="SET mark_task_id = :task, key_id = :key, expires_at = :expires",
                    ConditionExpression="attribute_not_exists(task_id) OR expires_at < :now",
                    ExpressionAttributeValues={
                        ":task": task_id,
                        ":key": key_id,
                        ":expires": expires_at,
                        ":now": now,
                    },
                )
                return mark_id
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        raise MarkIdsExhausted(f"no free mark id in {_DRAWS} draws")

    def lookup(self, mark_id: int) -> MarkOwner | None:
        item = self.table.get_item(Key={"task_id": mark_item_key(mark_id)}).get("Item")
        if not item or int(str(item.get("expires_at", 0))) < int(time.time()):
            return None  # never issued, or its task expired (TTL deletion can lag by a day or two)
        return MarkOwner(task_id=str(item["mark_task_id"]), key_id=str(item["key_id"]))
