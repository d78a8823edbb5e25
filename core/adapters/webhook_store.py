"""DynamoDB access for webhooks: attempts on the task's record, signing secrets on the key's record."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from core.adapters.clients import dynamodb_table
from core.adapters.items import condition_failed
from core.adapters.key_table import KEY_ID_INDEX
from core.models.api_key import KeyStatus
from core.models.webhook import WebhookAttempt, new_webhook_secret


class WebhookAttempts:
    """The `webhook` map of a task record (TasksTable)."""

    def __init__(self, tasks_table: str) -> None:
        self.table = dynamodb_table(tasks_table)

    def record(self, task_id: str, attempt: WebhookAttempt, *, number: int, delivered: bool) -> bool:
        """Append attempt `number` (1-based). False when that attempt is already recorded (a duplicate
        delivery of its queue message): the caller then schedules nothing more."""
        try:
            self.table.update_item(
                Key={"task_id": task_id},
                UpdateExpression="SET webhook.attempts = list_append(webhook.attempts, :attempt), "
                "webhook.delivered = :delivered",
                ConditionExpression="attribute_exists(webhook) AND size(webhook.attempts) = :before",
                ExpressionAttributeValues={
                    ":attempt": [attempt.model_dump(mode="json")],
                    ":delivered": delivered,
                    ":before": number - 1,
                },
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True


class WebhookSecrets:
    """The per-key signing secret (ApiKeysTable, beside the key's hash)."""

    def __init__(self, keys_table: str) -> None:
        self.table = dynamodb_table(keys_table)

    def rotate(self, key_hash: str) -> str | None:
        """A new secret for an active key (the old one stops signing at once); None if not active."""
        secret = new_webhook_secret()
        try:
            self.table.update_item(
                Key={"key_hash": key_hash},
                UpdateExpression="SET webhook_secret = :secret",
                ConditionExpression="attribute_exists(key_hash) AND #status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":secret": secret, ":active": KeyStatus.ACTIVE.value},
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return secret

    def secret_of(self, key_id: str) -> str | None:
        """The current secret of the key with this public id (the KeyIdIndex projects every attribute)."""
        answer = self.table.query(IndexName=KEY_ID_INDEX, KeyConditionExpression=Key("key_id").eq(key_id))
        items = answer.get("Items", [])
        secret = items[0].get("webhook_secret") if items else None
        return str(secret) if secret else None
