"""Plain helpers for worker tests: the submit fixture's type, what is still queued, the results stored."""

from __future__ import annotations

from collections.abc import Callable

from core.adapters.clients import client
from core.models.task import Task
from core.settings import Settings

Submit = Callable[..., Task]


def queue_depth(url: str) -> int:
    """Messages visible plus in flight (what is still owed work)."""
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def result_objects(settings: Settings, task_id: str) -> list[str]:
    listing = client("s3").list_objects_v2(Bucket=settings.media_bucket, Prefix=f"tasks/{task_id}/result")
    return [item["Key"] for item in listing.get("Contents", [])]
