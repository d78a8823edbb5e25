"""`Prefer: wait=N` through the real handler: the 201 is held until the task ends (then 200 with its status)
or N s pass, and never past the function's own time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.adapters.clients import client
from core.adapters.s3 import MediaStore
from core.adapters.task_table import TaskTable
from core.models.errors import ErrorBody, ErrorCode
from core.settings import Settings
from functions.api.prefer_wait import ANSWER_MARGIN_SECONDS, MAX_WAIT_SECONDS, parse_prefer_wait
from infra.local.http_adapter import binary_media_types, build_event
from infra.local.lambda_context import LocalLambdaContext
from infra.local.template import load_template
from tests import face_photos
from tests.integration.api.helpers import Invoke, multipart

FIELDS = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}


class StandInWorker:
    """Takes this test's tasks off the queue and ends them through the task table, as the worker does."""

    def __init__(self, outcome: str) -> None:
        self.outcome = outcome
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        settings = Settings()
        tasks, media = TaskTable(settings.tasks_table), MediaStore(settings.media_bucket)
        while not self.stop.is_set():
            for message in (
                client("sqs")
                .receive_message(QueueUrl=settings.task_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                .get("Messages", [])
            ):
                task_id = json.loads(message["Body"])["task_id"]
                if tasks.claim(task_id, "stand-in", 60) is None:
                    continue
                time.sleep(0.5)  # the swap
                if self.outcome == "completed":
                    key = f"tasks/{task_id}/result.jpg"
                    media.put(key, FIELDS["targetimage"], "image/jpeg")
                    tasks.complete(task_id, "stand-in", result_key=key, content_type="image/jpeg", engine={})
                else:
                    tasks.fail(task_id, ErrorBody(code=ErrorCode.NO_FACE_DETECTED, message="x"), "stand-in")
                client("sqs").delete_message(
                    QueueUrl=settings.task_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


@pytest.fixture()
def worker(request: pytest.FixtureRequest, aws_env: dict[str, str]) -> Iterator[StandInWorker]:
    stand_in = StandInWorker(request.param)
    stand_in.thread.start()
    yield stand_in
    stand_in.stop.set()
    stand_in.thread.join(10)


def _submit(invoke: Invoke, prefer: str | None) -> Any:
    content_type, body = multipart(FIELDS)
    headers = {"Prefer": prefer} if prefer else {}
    return invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type, headers=headers)


@pytest.mark.parametrize("worker", ["completed", "failed"], indirect=True)
def test_a_task_that_ends_in_time_answers_200_with_its_status(invoke: Invoke, worker: StandInWorker) -> None:
    answer = _submit(invoke, "respond-async, wait=15")

    assert answer.status == 200, answer.body
    assert answer.headers["preference-applied"] == "wait=15"
    assert answer.headers["x-ratelimit-remaining"].isdigit()
    polled = invoke("GET", f"/api/task-status/{answer.body['task_id']}")
    assert answer.body["status"] == worker.outcome
    assert set(answer.body) == set(polled.body)  # exactly the task-status body
    assert {k: v for k, v in answer.body.items() if k not in {"image_url", "expires_at"}} == {
        k: v for k, v in polled.body.items() if k not in {"image_url", "expires_at"}
    }


def test_a_task_still_running_after_n_seconds_gets_the_usual_201(invoke: Invoke) -> None:
    started = time.monotonic()
    answer = _submit(invoke, "wait=1")
    assert answer.status == 201 and answer.body["status"] == "queued"
    assert "preference-applied" not in answer.headers
    assert time.monotonic() - started >= 1


def test_the_wait_ends_before_the_function_would_time_out(aws_env: dict[str, str], api_key: str) -> None:
    from functions.api.handler import lambda_handler

    content_type, body = multipart(FIELDS)
    event = build_event(
        method="POST",
        target="/api/faceswap/basicswap",
        headers=[("Content-Type", content_type), ("X-Api-Key", api_key), ("Prefer", "wait=20")],
        body=body,
        source_ip="127.0.0.1",
        binary_types=binary_media_types(),
        request_id="short-lived",
    )
    context = LocalLambdaContext(timeout_seconds=ANSWER_MARGIN_SECONDS + 1.5)
    answer = lambda_handler(event, context)
    assert answer["statusCode"] == 201
    assert context.get_remaining_time_in_millis() > 0  # answered on its own, before the timeout


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("wait=5", 5),
        ("WAIT = 20", 20),
        ('respond-async, wait="7"', 7),
        ("wait=1;foo=bar", 1),
        ("handling=lenient, wait=3", 3),
        ("wait=0", None),
        ("wait=21", None),
        ("wait=-1", None),
        ("wait=1.5", None),
        ("wait=\u0661", None),
        ("wait", None),
        ("respond-async", None),
        ("", None),
        (None, None),
    ],
)
def test_prefer_wait_values(header: str | None, seconds: int | None) -> None:
    assert parse_prefer_wait(header) == seconds


@given(st.text(max_size=200))
def test_any_prefer_header_is_a_wait_of_1_to_20_s_or_ignored(header: str) -> None:
    seconds = parse_prefer_wait(header)
    assert seconds is None or 1 <= seconds <= MAX_WAIT_SECONDS


def test_the_function_timeout_leaves_room_for_the_longest_wait() -> None:
    timeout = load_template()["Resources"]["ApiFunction"]["Properties"]["Timeout"]
    # The pre-check (a few seconds at most without URLs) + the longest wait + the answer margin, within
    # the limit tests/infra keeps under API Gateway's 29 s.
    assert MAX_WAIT_SECONDS + ANSWER_MARGIN_SECONDS + 2 <= timeout <= 24
