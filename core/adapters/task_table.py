"""DynamoDB adapter for tasks. Every state change is a conditional write, so two workers (or a
duplicate SQS delivery) can never both move the same task, and a finished task never moves again.

An unfinished task also carries `sweep_status` (queued/processing) and `sweep_at` (epoch seconds: when it
was queued, or when its lease ends), removed when it finishes. They key the sparse SweepIndex, so the
sweeper finds tasks waiting too long without scanning the table.

One convention for a refused write: a condition DynamoDB refuses (the task is not in the state the
write requires: finished, missing, or held by another worker) is an answer, not an error. Every
state-changing method returns what it wrote on success (the claimed Task, or True) and None/False when
refused; callers branch on that. An exception always means the call itself failed (network, throttling,
permissions), never a refusal. `create` alone has nothing to branch on: its condition guards a fresh
random id against an impossible collision, so a refusal there raises as the bug it would be.
"""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from core.adapters.clients import dynamodb_table
from core.adapters.items import condition_failed, dynamo_numbers
from core.clock import utc_now
from core.models.errors import ErrorBody
from core.models.task import Task, TaskStatus

SWEEP_INDEX = "SweepIndex"
KEY_TASKS_INDEX = "KeyTasksIndex"
# Set on every write that finishes a task: the task leaves the sweep index.
_LEAVE_SWEEP = "REMOVE lease_expires_at, sweep_status, sweep_at"


class TaskTable:
    def __init__(self, table_name: str) -> None:
        self.table = dynamodb_table(table_name)

    def create(self, task: Task) -> None:
        item = task.to_item()
        if task.status is TaskStatus.QUEUED:
            item |= {"sweep_status": TaskStatus.QUEUED.value, "sweep_at": int(task.created_at.timestamp())}
        self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(task_id)")

    def get(self, task_id: str) -> Task | None:
        item = self.table.get_item(Key={"task_id": task_id}, ConsistentRead=True).get("Item")
        return Task.from_item(item) if item else None

    def claim(self, task_id: str, worker_id: str, lease_seconds: int) -> Task | None:
        """queued -> processing, or re-take a processing task whose lease ran out.

        Returns the claimed task, or None when the task is finished, missing, or held by a live worker.
        """
        now = int(time.time())
        try:
            item = self.table.update_item(
                Key={"task_id": task_id},
                UpdateExpression="SET #s = :processing, worker_id = :worker, lease_expires_at = :lease, "
                "sweep_status = :processing, sweep_at = :lease, updated_at = :now ADD attempts :one",
                ConditionExpression="attribute_exists(task_id) AND (#s = :queued OR "
                "(#s = :processing AND lease_expires_at < :epoch))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":processing": TaskStatus.PROCESSING.value,
                    ":queued": TaskStatus.QUEUED.value,
                    ":worker": worker_id,
                    ":lease": now + lease_seconds,
                    ":epoch": now,
                    ":now": utc_now().isoformat(),
                    ":one": 1,
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return Task.from_item(item)

    def extend_lease(self, task_id: str, worker_id: str, lease_seconds: int) -> bool:
        """Push the lease on. False when `worker_id` no longer holds the task."""
        return self._update_owned(
            task_id,
            worker_id,
            "SET lease_expires_at = :lease, sweep_at = :lease",
            {":lease": int(time.time()) + lease_seconds},
        )

    def release(self, task_id: str, worker_id: str) -> bool:
        """Give the task back (its lease ends now) so the next delivery of its message re-takes it.
        False when `worker_id` no longer holds the task."""
        return self._update_owned(
            task_id,
            worker_id,
            "SET lease_expires_at = :ended, sweep_at = :now",
            {":ended": 0, ":now": int(time.time())},
        )

    def complete(
        self,
        task_id: str,
        worker_id: str,
        *,
        result_key: str,
        content_type: str,
        engine: dict[str, str],
        quality: dict[str, Any] | None = None,
    ) -> bool:
        """processing -> completed. False when `worker_id` no longer holds the task."""
        values: dict[str, Any] = {
            ":completed": TaskStatus.COMPLETED.value,
            ":key": result_key,
            ":ct": content_type,
            ":engine": engine,
            ":now": utc_now().isoformat(),
        }
        update = "SET #s = :completed, result_key = :key, result_content_type = :ct, engine = :engine, "
        if quality is not None:
            update += "quality = :quality, "
            values[":quality"] = dynamo_numbers(quality)
        return self._update_owned(task_id, worker_id, update + "updated_at = :now " + _LEAVE_SWEEP, values)

    def fail(
        self,
        task_id: str,
        error: ErrorBody,
        worker_id: str | None = None,
        *,
        unless_leased: bool = False,
        queued_before: int | None = None,
    ) -> bool:
        """Mark a task failed unless it already finished. With worker_id, only if that worker holds it;
        with unless_leased, only if no worker holds a live lease on it; with queued_before, only if it is
        still queued since before that epoch second.

        Returns False when the task was already completed/failed (or held by someone else)."""
        condition = "attribute_exists(task_id) AND #s IN (:queued, :processing)"
        values: dict[str, Any] = {
            ":failed": TaskStatus.FAILED.value,
            ":queued": TaskStatus.QUEUED.value,
            ":processing": TaskStatus.PROCESSING.value,
            ":error": error.model_dump(mode="json", exclude_none=True),
            ":now": utc_now().isoformat(),
        }
        if worker_id is not None:
            condition += " AND worker_id = :worker"
            values[":worker"] = worker_id
        if unless_leased:
            condition += " AND (attribute_not_exists(lease_expires_at) OR lease_expires_at < :epoch)"
            values[":epoch"] = int(time.time())
        if queued_before is not None:
            condition += " AND #s = :queued AND sweep_at < :before"
            values[":before"] = queued_before
        try:
            self.table.update_item(
                Key={"task_id": task_id},
                UpdateExpression="SET #s = :failed, #e = :error, updated_at = :now " + _LEAVE_SWEEP,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status", "#e": "error"},
                ExpressionAttributeValues=values,
            )
        except ClientError as err:
            if condition_failed(err):
                return False
            raise
        return True

    def overdue(self, status: TaskStatus, before: int, limit: int = 100) -> list[str]:
        """Ids of unfinished tasks in `status` whose sweep_at is earlier than `before` (oldest first)."""
        response = self.table.query(
            IndexName=SWEEP_INDEX,
            KeyConditionExpression=Key("sweep_status").eq(status.value) & Key("sweep_at").lt(before),
            Limit=limit,
        )
        return [str(item["task_id"]) for item in response.get("Items", [])]

    def recent_for_key(self, key_id: str, limit: int) -> list[Task]:
        """A key's newest tasks (through KeyTasksIndex, so eventually consistent), newest first."""
        response = self.table.query(
            IndexName=KEY_TASKS_INDEX,
            KeyConditionExpression=Key("key_id").eq(key_id),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Task.from_item(item) for item in response.get("Items", [])]

    def mark_redriven(self, task_id: str, now: int) -> bool:
        """Note that a processing task whose lease lapsed by `now` is sent a new message (so the next sweeps
        leave it alone for a while). False when the task moved on meanwhile: then no message is sent."""
        try:
            self.table.update_item(
                Key={"task_id": task_id},
                UpdateExpression="SET sweep_at = :now",
                ConditionExpression="#s = :processing AND lease_expires_at < :now",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":processing": TaskStatus.PROCESSING.value, ":now": now},
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def _update_owned(self, task_id: str, worker_id: str, expression: str, values: dict[str, Any]) -> bool:
        try:
            self.table.update_item(
                Key={"task_id": task_id},
                UpdateExpression=expression,
                ConditionExpression="#s = :processing_now AND worker_id = :me",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    **values,
                    ":processing_now": TaskStatus.PROCESSING.value,
                    ":me": worker_id,
                },
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True
