"""DynamoDB adapter for API keys (partition key: the key's SHA-256 hash)."""

from __future__ import annotations

from functions.core.aws.clients import dynamodb_table
from functions.core.aws.items import plain
from functions.core.keys import ApiKeyRecord


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
        return ApiKeyRecord.model_validate(plain(item)) if item else None
