"""Create template.yaml's bucket, queues and tables in a moto server (or any endpoint boto3 points at).

Returns the environment the functions and the worker need, built from the same template variables
the deployed functions get, so code and template cannot drift.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3

from core.logic.local_certificate import local_signing_material
from infra.local.template import function_environment, resources

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType


def physical_name(stage: str, logical_id: str) -> str:
    slug = "".join("-" + c.lower() if c.isupper() else c for c in logical_id).lstrip("-")
    return f"faceswap-{stage}-{slug}"


def create_resources(stage: str = "local", region: str = "us-east-1") -> dict[str, str]:
    """Create every data resource; return env var name -> value (physical names, queue URLs)."""
    session = boto3.session.Session(region_name=region)
    refs: dict[str, str] = {}  # logical id -> what !Ref returns (bucket/table name, queue URL)
    arns: dict[str, str] = {}

    s3 = session.client("s3")
    for logical_id in resources("AWS::S3::Bucket"):
        name = physical_name(stage, logical_id)
        s3.create_bucket(Bucket=name)
        refs[logical_id] = name

    sqs = session.client("sqs")
    queues = resources("AWS::SQS::Queue")
    # Queues without a redrive policy first: the others point at their ARNs.
    for logical_id, resource in sorted(queues.items(), key=lambda kv: "RedrivePolicy" in kv[1]["Properties"]):
        url = sqs.create_queue(
            QueueName=physical_name(stage, logical_id),
            Attributes=_queue_attributes(resource["Properties"], arns),
        )["QueueUrl"]
        refs[logical_id] = url
        arns[logical_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    dynamodb = session.client("dynamodb")
    for logical_id, resource in resources("AWS::DynamoDB::Table").items():
        name = physical_name(stage, logical_id)
        props = resource["Properties"]
        kwargs: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        dynamodb.create_table(**kwargs)
        if "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"]
            )
        refs[logical_id] = name

    secrets = session.client("secretsmanager")
    for logical_id in resources("AWS::SecretsManager::Secret"):
        # The only secret is the Content Credentials key: a throwaway chain made now, never written to disk.
        # Named by its name (stable, so infra/local/env.json can hold it); on AWS the Ref is the ARN.
        name = physical_name(stage, logical_id)
        secrets.create_secret(Name=name, SecretString=local_signing_material().model_dump_json())
        refs[logical_id] = name

    env: dict[str, str] = {}
    for variable, value in function_environment().items():
        if isinstance(value, dict) and "Ref" in value:
            if value["Ref"] == "Stage":
                env[variable] = stage
            elif value["Ref"] in refs:
                env[variable] = refs[value["Ref"]]
            # Other parameters (LogLevel) keep the process's own default.
        elif isinstance(value, str | int | float):
            env[variable] = str(value)
    return env


_COPIED_QUEUE_ATTRIBUTES: tuple[QueueAttributeNameType, ...] = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
)


def _queue_attributes(props: dict[str, Any], arns: dict[str, str]) -> dict[QueueAttributeNameType, str]:
    attributes: dict[QueueAttributeNameType, str] = {}
    for key in _COPIED_QUEUE_ATTRIBUTES:
        if key in props:
            attributes[key] = str(props[key])
    redrive = props.get("RedrivePolicy")
    if redrive:
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": arns[target], "maxReceiveCount": str(redrive["maxReceiveCount"])}
        )
    return attributes
