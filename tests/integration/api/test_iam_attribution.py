"""The IAM recorder (tests/aws_calls.py) attributes each AWS call to the process whose code made it."""

from __future__ import annotations

from core.adapters.sqs import TaskMessage, TaskQueue
from core.adapters.task_table import TaskTable
from core.logic.dlq import fail_dead_letter
from core.settings import Settings
from tests import face_photos
from tests.aws_calls import RECORDER
from tests.integration.api.helpers import Invoke, multipart, stored_state


def test_api_calls_are_the_api_functions_and_test_code_is_not_recorded(invoke: Invoke) -> None:
    first = len(RECORDER.calls)
    stored_state()  # the test's own scan and listing: not a process of ours
    assert RECORDER.calls[first:] == []
    content_type, body = multipart(
        {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    )
    answer = invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type)
    assert answer.status == 201
    made = RECORDER.calls[first:]
    assert {call.principal for call in made} == {"ApiFunction"}
    actions = {call.action for call in made}
    # The key lookup may come from the cache; the rate-limit counter, inputs, task row and message may not.
    assert {"dynamodb:UpdateItem", "s3:PutObject", "dynamodb:PutItem", "sqs:SendMessage"} <= actions
    (send,) = [call for call in made if call.action == "sqs:SendMessage"]
    assert send.resources[0].endswith(":faceswap-test-task-queue")
    assert send.where.startswith("functions.api.submission:")


def test_dlq_calls_are_the_dlq_functions(aws_env: dict[str, str]) -> None:
    settings = Settings()
    first = len(RECORDER.calls)
    fail_dead_letter(TaskTable(settings.tasks_table), TaskMessage("0" * 32, "receipt", 4))
    made = RECORDER.calls[first:]
    assert made and {call.principal for call in made} == {"DlqFunction"}
    TaskQueue(settings.task_dlq_url)  # constructing makes no call
    assert len(RECORDER.calls) == first + len(made)


def test_worker_calls_are_the_worker_task_roles(aws_env: dict[str, str]) -> None:
    from core.adapters.s3 import MediaStore
    from tests.integration.worker.engines import RaisingEngine
    from worker.config import WorkerConfig
    from worker.worker import Worker

    settings = Settings()
    worker = Worker(
        engine=RaisingEngine(RuntimeError("never runs")),
        queue=TaskQueue(settings.task_queue_url),
        tasks=TaskTable(settings.tasks_table),
        media=MediaStore(settings.media_bucket),
        config=WorkerConfig.from_settings(settings, poll_wait_seconds=0),
    )
    first = len(RECORDER.calls)
    # A message for a task that does not exist: claimed in vain, looked up, and its message dropped.
    worker.handle(TaskMessage("f" * 32, "not-a-receipt", 1))
    made = RECORDER.calls[first:]
    assert {call.principal for call in made} == {"WorkerTaskDefinition"}
    assert {"dynamodb:UpdateItem", "dynamodb:GetItem", "sqs:DeleteMessage"} <= {call.action for call in made}
    assert any(call.resources[0].endswith(":faceswap-test-task-queue") for call in made)
