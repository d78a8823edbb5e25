"""The data part of template.yaml, translated as `sam deploy` would and deployed into moto's CloudFormation
(the moto server on 127.0.0.1 from tests/conftest.py), carries real work: one task runs through the
deployed bucket, queue and table with the real worker and the real engine, and a message that keeps
failing goes through the deployed redrive to the DLQ, where the real DLQ handler fails its task.

Only the bucket, the queues and the tables are deployed: moto's CloudFormation cannot create API Gateway
from a SAM body, Lambda functions without Docker, nor ECS capacity on GPUs. It also ignores some
properties of what it does create (public access block, lifecycle, TTL, point-in-time recovery); those
are asserted on the translated template in test_template.py.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import numpy as np
import pytest
from PIL import Image

from core.adapters.clients import client
from core.adapters.s3 import MediaStore
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.models.errors import ErrorCode
from core.models.task import Task, TaskStatus, input_key, new_task_id
from core.settings import Settings, get_settings
from engine_layer.operations import Operation
from infra.local.lambda_context import LocalLambdaContext
from tests import face_photos
from tests.infra.translated import sam_template, translated
from tests.offline_models import offline_model_dir
from worker.worker import Worker

DEPLOYABLE_TYPES = {"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::DynamoDB::Table"}
STAGE = "cfn"


def data_stack_template() -> dict[str, Any]:
    """The translated template reduced to its data resources, the parameters they use and their outputs."""
    cfn = translated()
    resources = {name: res for name, res in cfn["Resources"].items() if res["Type"] in DEPLOYABLE_TYPES}
    used = json.dumps(resources)
    parameters = {name: p for name, p in cfn["Parameters"].items() if f'"Ref": "{name}"' in used}
    outputs = {
        name: output
        for name, output in cfn["Outputs"].items()
        if isinstance(output["Value"], dict) and output["Value"].get("Ref") in resources
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": outputs,
    }


class DeployedStack:
    def __init__(self, name: str) -> None:
        self.name = name
        cfn = boto3.client("cloudformation")
        self.status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        self.outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in cfn.describe_stacks(StackName=name)["Stacks"][0]["Outputs"]
        }
        self.physical = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
        }

    def environment(self) -> dict[str, str]:
        """What the template gives every function and the worker, resolved against this stack."""
        environment: dict[str, str] = {}
        for variable, value in sam_template()["Globals"]["Function"]["Environment"]["Variables"].items():
            if isinstance(value, dict) and value.get("Ref") == "Stage":
                environment[variable] = STAGE
            elif isinstance(value, dict) and value.get("Ref") in self.physical:
                environment[variable] = self.physical[value["Ref"]]
        return environment


@pytest.fixture(scope="module")
def stack(aws_env: dict[str, str]) -> Iterator[DeployedStack]:
    name = f"faceswap-{STAGE}-{uuid.uuid4().hex[:8]}"
    cfn = boto3.client("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(data_stack_template()),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": STAGE}],
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    try:
        yield DeployedStack(name)
    finally:
        cfn.delete_stack(StackName=name)


@pytest.fixture(scope="module")
def stack_settings(stack: DeployedStack) -> Settings:
    return Settings.model_validate(
        {**stack.environment(), "FACESWAP_MODEL_DIR": str(offline_model_dir()), "WORKER_POLL_WAIT_SECONDS": 1}
    )


def test_the_data_stack_deploys_with_the_templates_settings(stack: DeployedStack) -> None:
    template = data_stack_template()
    assert stack.status == "CREATE_COMPLETE"
    assert set(stack.physical) == set(template["Resources"])
    assert set(template["Resources"]) >= {"MediaBucket", "TaskQueue", "TaskDeadLetterQueue", "TasksTable"}
    # Outputs name the deployed resources (what a deployed-stage test or `faceswap-admin keys` would look up).
    assert stack.outputs["TaskQueueUrl"] == stack.physical["TaskQueue"]
    assert stack.outputs["MediaBucketName"] == stack.physical["MediaBucket"]

    attributes = client("sqs").get_queue_attributes(
        QueueUrl=stack.physical["TaskQueue"], AttributeNames=["All"]
    )["Attributes"]
    dlq_arn = client("sqs").get_queue_attributes(
        QueueUrl=stack.physical["TaskDeadLetterQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    redrive = json.loads(attributes["RedrivePolicy"])
    queue_props = template["Resources"]["TaskQueue"]["Properties"]
    assert redrive["deadLetterTargetArn"] == dlq_arn
    assert int(redrive["maxReceiveCount"]) == queue_props["RedrivePolicy"]["maxReceiveCount"]
    assert int(attributes["VisibilityTimeout"]) == queue_props["VisibilityTimeout"]
    assert int(attributes["ReceiveMessageWaitTimeSeconds"]) == queue_props["ReceiveMessageWaitTimeSeconds"]
    assert attributes["SqsManagedSseEnabled"] == "true"

    encryption = client("s3").get_bucket_encryption(Bucket=stack.physical["MediaBucket"])
    (rule,) = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            table = client("dynamodb").describe_table(TableName=stack.physical[logical_id])["Table"]
            assert table["KeySchema"] == resource["Properties"]["KeySchema"], logical_id
            assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", logical_id


def _submit(settings: Settings, operation: Operation, images: dict[str, bytes]) -> Task:
    """What the API does on a valid submission: inputs to S3, a `queued` task, one message."""
    task_id = new_task_id()
    inputs = {field: input_key(task_id, field) for field in images}
    media = MediaStore(settings.media_bucket)
    for field, data in images.items():
        media.put(inputs[field], data, "image/jpeg")
    task = Task.new(
        task_id=task_id,
        key_id="key_cfn_tests",
        operation=operation,
        inputs=inputs,
        ttl_days=settings.task_ttl_days,
    )
    TaskTable(settings.tasks_table).create(task)
    TaskQueue(settings.task_queue_url).send(task.task_id)
    return task


def _owed(queue_url: str) -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_a_task_runs_through_the_deployed_bucket_queue_and_table(stack_settings: Settings) -> None:
    scene = face_photos.one_face(4)
    task = _submit(
        stack_settings, Operation.BASICSWAP, {"srcimage": face_photos.one_face(1), "targetimage": scene}
    )

    worker = Worker.from_settings(stack_settings)  # the container's own path: real engine from the model dir
    assert worker.poll_once(wait_seconds=5) == 1

    stored = TaskTable(stack_settings.tasks_table).get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.COMPLETED, stored
    assert stored.result_key is not None and stored.result_key.startswith(f"tasks/{task.task_id}/")
    result = Image.open(io.BytesIO(MediaStore(stack_settings.media_bucket).get(stored.result_key)))
    result.load()
    original = Image.open(io.BytesIO(scene))
    assert (result.format, result.size) == (original.format, original.size)
    difference = np.abs(
        np.asarray(result.convert("RGB"), np.int16) - np.asarray(original.convert("RGB"), np.int16)
    )
    assert difference.mean() > 1.0  # a real swap, not the scene handed back
    assert _owed(stack_settings.task_queue_url) == 0  # deleted after the result and status were stored
    # The table's TTL attribute is set, so the deployed table forgets the task.
    item = client("dynamodb").get_item(
        TableName=stack_settings.tasks_table, Key={"task_id": {"S": task.task_id}}, ConsistentRead=True
    )["Item"]
    assert int(item["expires_at"]["N"]) > 0


def test_a_message_that_keeps_failing_reaches_the_deployed_dlq_and_fails_its_task(
    stack: DeployedStack, stack_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.dlq.handler import lambda_handler

    task = _submit(stack_settings, Operation.BASICSWAP, {"srcimage": b"x", "targetimage": b"y"})
    queue = TaskQueue(stack_settings.task_queue_url)
    # A worker that dies on every attempt: the message comes back until the redrive moves it.
    receives = 0
    while queue.receive(wait_seconds=0, visibility_timeout=0):
        receives += 1
        assert receives <= 10, "the deployed redrive policy never moved the message"
    assert (
        receives
        == data_stack_template()["Resources"]["TaskQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    )

    raw = client("sqs").receive_message(
        QueueUrl=stack_settings.task_dlq_url, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert [json.loads(m["Body"])["task_id"] for m in raw] == [task.task_id]
    event = {"Records": [_lambda_record(m) for m in raw]}

    # The DLQ function as its event source mapping would call it, configured as the template configures it.
    for variable, value in stack.environment().items():
        monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        answer = lambda_handler(event, LocalLambdaContext(function_name=f"faceswap-{STAGE}-dlq"))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert answer == {"batchItemFailures": []}
    failed = TaskTable(stack_settings.tasks_table).get(task.task_id)
    assert failed is not None and failed.status is TaskStatus.FAILED
    assert failed.error is not None and failed.error.code is ErrorCode.SERVER_ERROR


def _lambda_record(message: dict[str, Any]) -> dict[str, Any]:
    """An SQS message as Lambda's event source mapping hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:dead-letters",
        "awsRegion": "us-east-1",
    }
