"""Load with a crash against a running local stack: many concurrent submissions across several keys, one
worker SIGKILLed halfway, then an account of every task (make bench's figures; a smaller run in the e2e
tests). Reads the stack's moto directly for what the API does not show: S3 result versions, attempts."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
import requests
from boto3.dynamodb.types import TypeSerializer

from core.models.api_key import ApiKeyRecord, generate_key, hash_key
from core.models.plan import Plan
from infra.local.api_client import FINISHED, FaceSwapClient
from infra.local.moto_server import LOCAL_CREDENTIALS
from infra.local.resources import physical_name
from infra.local.stack_process import LocalStackProcess


def local_name(logical_id: str) -> str:
    """A resource's name in the local stack (STAGE=local), as infra/local/resources.py names it."""
    return physical_name("local", logical_id)


def stack_aws(stack: LocalStackProcess, service: str) -> Any:
    """A boto3 client on the stack's moto server (not on this process's own AWS setup)."""
    make: Callable[..., Any] = boto3.session.Session(
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=LOCAL_CREDENTIALS["AWS_REGION"],
    ).client  # any service, named at run time
    return make(service, endpoint_url=stack.moto_url)


def keep_result_versions(stack: LocalStackProcess) -> None:
    """Turn on bucket versioning, so every write of a result is counted (a second write adds a version)."""
    stack_aws(stack, "s3").put_bucket_versioning(
        Bucket=local_name("MediaBucket"), VersioningConfiguration={"Status": "Enabled"}
    )


def result_versions(stack: LocalStackProcess, task_id: str) -> int:
    listing = stack_aws(stack, "s3").list_object_versions(
        Bucket=local_name("MediaBucket"), Prefix=f"tasks/{task_id}/result"
    )
    return len(listing.get("Versions", []))


def stored_task(stack: LocalStackProcess, task_id: str) -> dict[str, Any]:
    item: dict[str, Any] = stack_aws(stack, "dynamodb").get_item(
        TableName=local_name("TasksTable"), Key={"task_id": {"S": task_id}}, ConsistentRead=True
    )["Item"]
    return item


def unfinished_tasks(stack: LocalStackProcess) -> list[str]:
    """Ids of every task still queued or processing (the sparse SweepIndex holds exactly those)."""
    found: list[str] = []
    for status in ("queued", "processing"):
        answer = stack_aws(stack, "dynamodb").query(
            TableName=local_name("TasksTable"),
            IndexName="SweepIndex",
            KeyConditionExpression="sweep_status = :s",
            ExpressionAttributeValues={":s": {"S": status}},
        )
        found += [item["task_id"]["S"] for item in answer.get("Items", [])]
    return found


def messages_owed(stack: LocalStackProcess) -> int:
    queue = stack_aws(stack, "sqs")
    url = queue.get_queue_url(QueueName=local_name("TaskQueue"))["QueueUrl"]
    attributes = queue.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def create_keys(stack: LocalStackProcess, count: int, plan: Plan = Plan.PRO) -> list[str]:
    keys = []
    for number in range(count):
        plaintext = generate_key()
        record = ApiKeyRecord(key_hash=hash_key(plaintext), name=f"load {number}", plan=plan)
        stack_aws(stack, "dynamodb").put_item(
            TableName=local_name("ApiKeysTable"),
            Item=TypeSerializer().serialize(record.model_dump(mode="json", exclude_none=True))["M"],
        )
        keys.append(plaintext)
    return keys


@dataclass
class LoadReport:
    submitted: int
    workers: int
    accepted: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # HTTP status of submissions not accepted
    completed: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # error code -> tasks
    lost: list[str] = field(default_factory=list)  # accepted, not finished by the deadline
    written_twice: list[str] = field(default_factory=list)  # tasks with more than one result version
    unfinished_in_table: int = 0  # queued/processing tasks left in the table at the end
    killed_pid: int | None = None
    post_to_completed_ms: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0
    first_post: float | None = None  # epoch seconds
    last_completed: float | None = None  # epoch seconds, from the task records

    def percentile(self, q: float) -> float:
        values = sorted(self.post_to_completed_ms)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, round(q * (len(values) - 1)))]

    @property
    def completed_per_second(self) -> float | None:
        """Completions per second from the first POST to the last completion."""
        if self.first_post is None or self.last_completed is None or self.last_completed <= self.first_post:
            return None
        return round(self.completed / (self.last_completed - self.first_post), 2)

    def summary(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "workers": self.workers,
            "accepted": self.accepted,
            "refused": dict(self.refused),
            "completed": self.completed,
            "failed": dict(self.failed),
            "lost": len(self.lost),
            "written_twice": len(self.written_twice),
            "unfinished_in_table": self.unfinished_in_table,
            "killed_worker_pid": self.killed_pid,
            "post_to_completed_p50_ms": round(self.percentile(0.5)),
            "post_to_completed_p95_ms": round(self.percentile(0.95)),
            "wall_seconds": round(self.wall_seconds, 1),
            "completed_per_second": self.completed_per_second,
        }


def run_load(
    stack: LocalStackProcess,
    images: dict[str, tuple[str, bytes, str]],
    *,
    submissions: int,
    keys: list[str],
    kill_one_worker_halfway: bool,
    concurrency: int = 32,
    deadline_seconds: float = 600,
) -> LoadReport:
    """POST `submissions` basicswaps, `concurrency` at a time, round-robin over `keys`; SIGKILL one worker
    once half of them finished; poll every task (each key within its 10/s status hold) until all finished.

    POST -> completed is measured from the client's clock at the POST to the task's `updated_at` as the
    worker wrote it (same machine, same clock), so polling does not blur it."""
    report = LoadReport(submitted=submissions, workers=stack.workers)
    clients = [FaceSwapClient(stack.base_url, key) for key in keys]
    posted_at: dict[str, tuple[float, FaceSwapClient]] = {}
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + deadline_seconds

    def post(number: int) -> None:
        api = clients[number % len(clients)]
        posted = time.time()
        try:
            response = api.submit("basicswap", images)
        except requests.RequestException as error:  # no answer in time: counted, and checked below
            with lock:
                report.refused[type(error).__name__] += 1
            return
        with lock:
            report.first_post = min(posted, report.first_post or posted)
            if response.status_code == 201:
                report.accepted += 1
                posted_at[response.json()["task_id"]] = (posted, api)
            else:
                report.refused[str(response.status_code)] += 1

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(post, range(submissions)))

    pending = dict(posted_at)
    finished: set[str] = set()
    while pending and time.monotonic() < deadline:
        for task_id, (posted, api) in list(pending.items()):
            status = api.status(task_id)
            if status.status_code == 429:  # the per-key poll hold: this key waits for the next round
                continue
            body = status.json()
            if body.get("status") not in FINISHED:
                continue
            del pending[task_id]
            finished.add(task_id)
            if body["status"] == "completed":
                report.completed += 1
                done = datetime.fromisoformat(body["updated_at"]).timestamp()
                report.post_to_completed_ms.append((done - posted) * 1000)
                report.last_completed = max(done, report.last_completed or done)
            else:
                report.failed[body["error"]["code"]] += 1
        if kill_one_worker_halfway and report.killed_pid is None and len(finished) >= report.accepted // 2:
            pids = stack.worker_pids()
            if pids:
                report.killed_pid = pids[0]
                os.kill(pids[0], signal.SIGKILL)
        time.sleep(0.1)
    report.lost = sorted(pending)
    # Tasks the harness never heard of (a POST that timed out on our side may still have been accepted)
    # must not be left unfinished either.
    report.unfinished_in_table = len(unfinished_tasks(stack))
    report.wall_seconds = time.monotonic() - started
    report.written_twice = [task for task in finished if result_versions(stack, task) > 1]
    return report
