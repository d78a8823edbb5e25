"""Our own faults and the limits on what is sent: the envelope every time, no lost task, no trace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.adapters.clients import client
from core.adapters.task_table import TaskTable
from core.models.errors import ErrorBody, ErrorCode
from core.models.payload_limits import MAX_EVENT_BODY_BYTES
from core.settings import Settings
from tests import face_photos
from tests.aws_calls import RECORDER
from tests.integration.api.helpers import Invoke, multipart, stored_state

ONE = face_photos.one_face(1)
ONE_B = face_photos.one_face(4)

SetEnv = Callable[[str, str], None]


def _task_rows() -> dict[str, dict]:
    items = client("dynamodb").scan(TableName=Settings().tasks_table)["Items"]
    return {item["task_id"]["S"]: item for item in items}


def test_queue_refusing_the_task_fails_it_and_answers_500(invoke: Invoke, set_stage_env: SetEnv) -> None:
    real_queue = Settings().task_queue_url
    set_stage_env("TASK_QUEUE_URL", real_queue.rsplit("/", 1)[0] + "/no-such-queue")
    before = _task_rows()
    content_type, body = multipart({"srcimage": ONE, "targetimage": ONE_B})
    answer = invoke(
        "POST", "/api/faceswap/basicswap", body=body, content_type=content_type, request_id="req-queue-down"
    )
    assert (answer.status, answer.code) == (500, "server_error")
    assert answer.body["error"]["details"]["request_id"] == "req-queue-down"
    assert "Traceback" not in answer.raw_body
    new = {k: v for k, v in _task_rows().items() if k not in before}
    assert len(new) == 1, "exactly one task, marked failed, so nobody polls a task that never runs"
    (row,) = new.values()
    assert row["status"]["S"] == "failed"
    assert row["error"]["M"]["code"]["S"] == "server_error"


def test_unexpected_fault_is_500_with_request_id_no_trace(invoke: Invoke, set_stage_env: SetEnv) -> None:
    set_stage_env("TASKS_TABLE", "faceswap-test-no-such-table")
    content_type, body = multipart({"srcimage": ONE, "targetimage": ONE_B})
    answer = invoke(
        "POST", "/api/faceswap/basicswap", body=body, content_type=content_type, request_id="req-table-gone"
    )
    assert (answer.status, answer.code) == (500, "server_error")
    assert answer.body == {
        "success": False,
        "error": {
            "code": "server_error",
            "message": "An unexpected error occurred.",
            "details": {"request_id": "req-table-gone"},
        },
    }
    assert answer.headers["content-type"] == "application/json"


def test_health_makes_no_aws_call_and_names_no_resource(
    invoke: Invoke, set_stage_env: SetEnv, tmp_path: Path
) -> None:
    first = len(RECORDER.calls)
    answer = invoke("GET", "/api/health", key=None)
    assert (answer.status, answer.body) == (200, {"success": True, "status": "ok"})
    assert RECORDER.calls[first:] == [], "liveness costs no AWS request (and the role grants no probes)"

    set_stage_env("FACESWAP_MODEL_DIR", str(tmp_path))  # no detector: submissions cannot be checked
    answer = invoke("GET", "/api/health", key=None)
    assert (answer.status, answer.code) == (503, "server_error")
    assert answer.headers["retry-after"] == "30"
    assert "details" not in answer.body["error"], "nothing about our resources for anonymous callers"
    assert RECORDER.calls[first:] == []


def test_body_over_the_lambda_limit_is_413_and_stores_nothing(invoke: Invoke) -> None:
    before = stored_state()
    # ~4.6 MB of multipart grows past 6 MB once API Gateway base64-encodes it.
    padding = b"\x00" * (MAX_EVENT_BODY_BYTES * 3 // 4 + 100_000)
    content_type, body = multipart({"srcimage": ONE + padding, "targetimage": ONE_B})
    answer = invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type)
    assert (answer.status, answer.code) == (413, "payload_too_large")
    assert answer.body["error"]["details"] == {"limit_bytes": MAX_EVENT_BODY_BYTES}
    assert stored_state() == before


def test_failed_task_status_carries_its_error(invoke: Invoke) -> None:
    content_type, body = multipart({"srcimage": face_photos.two_faces((3, 5))})
    task_id = invoke("POST", "/api/faceswap/swapfacesameimage", body=body, content_type=content_type).body[
        "task_id"
    ]
    error = ErrorBody(
        code=ErrorCode.FACE_COUNT_MISMATCH,
        message="srcimage must contain exactly 2 face(s); found 1.",
        details={"image": "srcimage", "expected": 2, "found": 1},
    )
    assert TaskTable(Settings().tasks_table).fail(task_id, error)
    answer = invoke("GET", f"/api/task-status/{task_id}")
    assert answer.status == 200
    assert answer.body["status"] == "failed" and "image_url" not in answer.body
    assert answer.body["error"] == error.model_dump(mode="json")


def test_cors_preflight_needs_no_key(invoke: Invoke) -> None:
    answer = invoke(
        "OPTIONS",
        "/api/faceswap/basicswap",
        key=None,
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert answer.status == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "x-api-key" in answer.headers["access-control-allow-headers"].lower()
