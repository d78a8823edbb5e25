"""The worker announces a finished task's webhook only after the final status is written (and only for
tasks that asked for one)."""

from __future__ import annotations

import json
import uuid

from core.adapters.clients import client, dynamodb_table
from core.adapters.task_table import TaskTable
from core.models.task import TaskStatus
from core.models.webhook import WebhookState
from engine_layer.errors import FaceCountMismatch
from engine_layer.operations import Operation
from tests import face_photos
from tests.integration.worker.engines import RaisingEngine


def test_a_task_failed_by_the_engine_announces_its_webhook(settings, tasks: TaskTable, submit, make_worker):
    webhook_queue = client("sqs").create_queue(QueueName=f"worker-webhooks-{uuid.uuid4().hex[:8]}")[
        "QueueUrl"
    ]
    worker = make_worker(
        RaisingEngine(FaceCountMismatch("targetimage", expected=1, found=2)), webhook_queue_url=webhook_queue
    )
    images = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    with_hook = submit(Operation.BASICSWAP, images)
    dynamodb_table(settings.tasks_table).update_item(
        Key={"task_id": with_hook.task_id},
        UpdateExpression="SET webhook = :w",
        ExpressionAttributeValues={":w": WebhookState(url="https://example.com/h").model_dump(mode="json")},
    )
    without_hook = submit(Operation.BASICSWAP, images)

    outcomes = [worker.poll_once(wait_seconds=1) for _ in range(2)]
    assert outcomes == [1, 1]
    for task in (with_hook, without_hook):
        stored = tasks.get(task.task_id)
        assert stored is not None and stored.status is TaskStatus.FAILED

    messages = client("sqs").receive_message(
        QueueUrl=webhook_queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
    )
    bodies = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    assert bodies == [{"task_id": with_hook.task_id, "attempt": 1, "deliver_at": 0.0}]


def test_a_duplicate_message_of_a_finished_task_announces_a_webhook_never_attempted(
    settings, tasks: TaskTable, submit, make_worker
):
    """A worker that died between writing `completed` and announcing leaves the message: its redelivery
    announces the webhook (and once an attempt is recorded, redeliveries announce nothing)."""
    webhook_queue = client("sqs").create_queue(QueueName=f"worker-webhooks-{uuid.uuid4().hex[:8]}")[
        "QueueUrl"
    ]
    worker = make_worker(RaisingEngine(RuntimeError("never called")), webhook_queue_url=webhook_queue)
    task = submit(Operation.BASICSWAP, {"srcimage": b"x", "targetimage": b"y"})
    state = WebhookState(url="https://example.com/h").model_dump(mode="json")
    dynamodb_table(settings.tasks_table).update_item(
        Key={"task_id": task.task_id},
        UpdateExpression="SET webhook = :w, #s = :done",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":w": state, ":done": "completed"},
    )
    assert worker.poll_once(wait_seconds=1) == 1
    messages = client("sqs").receive_message(QueueUrl=webhook_queue, WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"])["task_id"] for m in messages] == [task.task_id]
