"""DynamoDB adapter for API keys (partition key: the key's SHA-256 hash; GSI KeyIdIndex on key_id)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from core.adapters.clients import dynamodb_table
from core.adapters.items import condition_failed, plain
from core.models.api_key import ApiKeyRecord, KeyStatus

KEY_ID_INDEX = "KeyIdIndex"
# Sparse: only keys a dashboard account owns carry owner_id.
OWNER_INDEX = "OwnerIndex"


class KeyTable:
    def __init__(self, table_name: str) -> None:
        self.table = dynamodb_table(table_name)

    def put_new(self, record: ApiKeyRecord) -> None:
        self.table.put_item(
            Item=record.model_dump(mode="json", exclude_none=True),
            ConditionExpression="attribute_not_exists(key_hash)",
        )

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        item = self.table.get_item(Key={"key_hash": key_hash}, ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def find_by_key_id(self, key_id: str) -> ApiKeyRecord | None:
        """The key with this public id (through the KeyIdIndex GSI, so eventually consistent)."""
        answer = self.table.query(IndexName=KEY_ID_INDEX, KeyConditionExpression=Key("key_id").eq(key_id))
        items = answer.get("Items", [])
        return _record(items[0]) if items else None

    def owned_by(self, owner_id: str) -> list[ApiKeyRecord]:
        """The keys of one dashboard account, oldest first (through the OwnerIndex GSI)."""
        records: list[ApiKeyRecord] = []
        kwargs: dict[str, Any] = {
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": Key("owner_id").eq(owner_id),
        }
        while True:
            answer = self.table.query(**kwargs)
            records += [_record(item) for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return records
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def scan(self) -> Iterator[ApiKeyRecord]:
        """Every key, page by page."""
        kwargs: dict[str, Any] = {}
        while True:
            answer = self.table.scan(**kwargs)
            for item in answer.get("Items", []):
                yield _record(item)
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def set_enabled(self, key_hash: str, enabled: bool) -> ApiKeyRecord | None:
        """Disable or re-enable a key that is not revoked. None if it is unknown or revoked."""
        status = KeyStatus.ACTIVE if enabled else KeyStatus.DISABLED
        return self._update_existing(
            key_hash,
            "SET #status = :status",
            {":status": status.value, ":revoked": KeyStatus.REVOKED.value},
            extra_condition=" AND #status <> :revoked",
        )

    def set_visible_label(self, key_hash: str, on: bool) -> ApiKeyRecord | None:
        """Set the key's visible-label option unless it is revoked. None if it is unknown or revoked."""
        return self._update_existing(
            key_hash,
            "SET visible_label = :on",
            {":on": on, ":revoked": KeyStatus.REVOKED.value},
            extra_condition=" AND #status <> :revoked",
        )

    def mark_revoked(self, key_hash: str, at: datetime) -> ApiKeyRecord | None:
        """Revoke the key (idempotent: a second revocation keeps the first time). None if it is unknown."""
        return self._update_existing(
            key_hash,
            "SET #status = :revoked, revoked_at = if_not_exists(revoked_at, :at)",
            {":revoked": KeyStatus.REVOKED.value, ":at": at.isoformat()},
        )

    def _update_existing(
        self, key_hash: str, expression: str, values: dict[str, Any], extra_condition: str = ""
    ) -> ApiKeyRecord | None:
        try:
            answer = self.table.update_item(
                Key={"key_hash": key_hash},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(key_hash)" + extra_condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return _record(answer["Attributes"])


def _record(item: dict[str, Any]) -> ApiKeyRecord:
    return ApiKeyRecord.model_validate(plain(item))
