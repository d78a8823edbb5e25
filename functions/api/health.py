"""GET /api/health: can this deployment take work right now?"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from functions.core.aws.clients import probe_client
from functions.core.settings import Settings


def problems(settings: Settings) -> list[str]:
    """What is unreachable or missing; empty when the API can accept tasks."""
    found: list[str] = []
    checks = {
        "tasks table": lambda: probe_client("dynamodb").describe_table(TableName=settings.tasks_table),
        "api keys table": lambda: probe_client("dynamodb").describe_table(TableName=settings.api_keys_table),
        "rate limits table": lambda: probe_client("dynamodb").describe_table(
            TableName=settings.rate_limits_table
        ),
        "media bucket": lambda: probe_client("s3").head_bucket(Bucket=settings.media_bucket),
        "task queue": lambda: probe_client("sqs").get_queue_attributes(
            QueueUrl=settings.task_queue_url, AttributeNames=["QueueArn"]
        ),
    }
    for name, probe in checks.items():
        try:
            probe()
        except (BotoCoreError, ClientError, ValueError):
            found.append(name)
    if not (settings.model_dir / "scrfd.onnx").is_file():
        found.append("face detector model")
    return found
