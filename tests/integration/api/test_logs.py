"""The API logs structured JSON through the one service logger, each line of a request with its
request_id, and the most important error ("could not enqueue") with the task it lost."""

from __future__ import annotations

from collections.abc import Callable

from core.settings import Settings
from tests import face_photos
from tests.integration.api.helpers import Invoke, multipart
from tests.log_lines import logged_lines

PAIR = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
SetEnv = Callable[[str, str], None]


def test_could_not_enqueue_is_logged_with_request_and_task_ids(invoke: Invoke, set_stage_env: SetEnv) -> None:
    real_queue = Settings().task_queue_url
    set_stage_env("TASK_QUEUE_URL", real_queue.rsplit("/", 1)[0] + "/no-such-queue")
    content_type, body = multipart(
        {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    )
    with logged_lines() as lines:
        answer = invoke(
            "POST", "/api/faceswap/basicswap", body=body, content_type=content_type, request_id="req-logs-1"
        )
    assert answer.status == 500
    assert lines, "the refused enqueue is logged"
    assert all(line["request_id"] == "req-logs-1" for line in lines), lines
    assert all(line["service"] == "faceswap" for line in lines)
    lost = [line for line in lines if line["message"] == "could not enqueue task"]
    assert len(lost) == 1 and lost[0]["level"] == "ERROR"
    assert len(lost[0]["task_id"]) == 32 and "exception" in lost[0]


def test_request_ids_do_not_leak_into_the_next_request(invoke: Invoke) -> None:
    content_type, body = multipart(
        {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    )
    invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type, request_id="req-logs-2")
    with logged_lines() as lines:
        answer = invoke(
            "POST", "/api/faceswap/basicswap", body=body, content_type=content_type, request_id="req-logs-3"
        )
    assert answer.status == 201
    queued = [line for line in lines if line["message"] == "task queued"]
    assert len(queued) == 1
    assert queued[0]["request_id"] == "req-logs-3" and queued[0]["task_id"] == answer.body["task_id"]
