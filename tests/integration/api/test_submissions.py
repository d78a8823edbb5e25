"""Submissions through the real handler: what a good one stores, and that bad ones store nothing."""

from __future__ import annotations

import base64
import json

import pytest

from core.adapters.clients import client
from core.settings import Settings
from tests import face_photos
from tests.integration.api.helpers import Invoke, multipart, stored_state
from tests.unit.api.bad_images import gif, png_claiming

ONE = face_photos.one_face(1)
ONE_B = face_photos.one_face(4)
TWO = face_photos.two_faces((0, 2))
NOFACE = face_photos.no_face()


def _take_message(task_id: str) -> bool:
    """Find (and remove) this task's SQS message."""
    queue = Settings().task_queue_url
    for _ in range(10):
        messages = (
            client("sqs")
            .receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0)
            .get("Messages", [])
        )
        for message in messages:
            if json.loads(message["Body"]).get("task_id") == task_id:
                client("sqs").delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                return True
    return False


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/faceswap/basicswap", {"srcimage": ONE, "targetimage": ONE_B, "enhance": "true"}),
        ("/api/faceswap/faceswap2", {"srcimage": TWO, "targetimage": TWO, "swap_index": "2,1"}),
        ("/api/faceswap/swap1from2", {"srcimage": TWO, "targetimage1": ONE, "targetimage2": ONE_B}),
        ("/api/faceswap/swapfacesameimage", {"srcimage": TWO}),
    ],
)
def test_valid_submission_stores_inputs_task_and_one_message(invoke: Invoke, path: str, fields: dict) -> None:
    content_type, body = multipart(fields)
    answer = invoke("POST", path, body=body, content_type=content_type)
    assert answer.status == 201, answer.body
    task_id = answer.body["task_id"]
    assert answer.body == {
        "success": True,
        "task_id": task_id,
        "status": "queued",
        "status_url": f"/api/task-status/{task_id}",
    }
    settings = Settings()
    row = client("dynamodb").get_item(TableName=settings.tasks_table, Key={"task_id": {"S": task_id}})["Item"]
    assert row["status"]["S"] == "queued"
    images = [f for f, v in fields.items() if isinstance(v, bytes)]
    listed = client("s3").list_objects_v2(Bucket=settings.media_bucket, Prefix=f"tasks/{task_id}/inputs/")
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed.get("Contents", [])) == sorted(images)
    stored = client("s3").get_object(Bucket=settings.media_bucket, Key=f"tasks/{task_id}/inputs/{images[0]}")
    assert stored["Body"].read() == fields[images[0]]
    if path.endswith("faceswap2"):
        assert [int(v["N"]) for v in row["swap_index"]["L"]] == [1, 0]
    assert _take_message(task_id)


def test_json_body_with_data_uris_is_accepted(invoke: Invoke) -> None:
    document = {
        "source_image": "data:image/jpeg;base64," + base64.b64encode(ONE).decode(),
        "target_image": "data:image/jpeg;base64," + base64.b64encode(ONE_B).decode(),
    }
    answer = invoke(
        "POST", "/api/faceswap/basicswap", body=json.dumps(document).encode(), content_type="application/json"
    )
    assert answer.status == 201, answer.body
    assert _take_message(answer.body["task_id"])


SRC_IMAGE = {"image": "srcimage"}
TARGET_IMAGE = {"image": "targetimage"}
BAD = [
    ("nothing sent", {}, 400, "invalid_parameter", {"parameter": "srcimage"}),
    ("missing target", {"srcimage": ONE}, 400, "invalid_parameter", {"parameter": "targetimage"}),
    (
        "misnamed field",
        {"source": ONE, "targetimage": ONE},
        400,
        "invalid_parameter",
        {"parameter": "srcimage"},
    ),
    (
        "wrong case",
        {"SrcImage": ONE, "targetimage": ONE},
        400,
        "invalid_parameter",
        {"parameter": "srcimage"},
    ),
    ("empty file", {"srcimage": b"", "targetimage": ONE}, 400, "invalid_image_format", SRC_IMAGE),
    (
        "not an image",
        {"srcimage": ONE, "targetimage": b"hello, world"},
        400,
        "invalid_image_format",
        TARGET_IMAGE,
    ),
    (
        "truncated jpeg",
        {"srcimage": ONE[: len(ONE) // 3], "targetimage": ONE},
        400,
        "invalid_image_format",
        SRC_IMAGE,
    ),
    ("gif", {"srcimage": gif(), "targetimage": ONE}, 400, "invalid_image_format", SRC_IMAGE),
    (
        "bomb header",
        {"srcimage": png_claiming(8000, 8000), "targetimage": ONE},
        400,
        "invalid_image_format",
        SRC_IMAGE,
    ),
    (
        "over 8192 a side",
        {"srcimage": ONE, "targetimage": png_claiming(9000, 10)},
        400,
        "invalid_image_format",
        TARGET_IMAGE,
    ),
    ("no face", {"srcimage": NOFACE, "targetimage": ONE}, 400, "no_face_detected", SRC_IMAGE),
    (
        "two faces for one",
        {"srcimage": ONE, "targetimage": TWO},
        400,
        "face_count_mismatch",
        {"image": "targetimage", "expected": 1, "found": 2},
    ),
    (
        "bad enhance",
        {"srcimage": ONE, "targetimage": ONE, "enhance": "maybe"},
        400,
        "invalid_parameter",
        {"parameter": "enhance"},
    ),
]


@pytest.mark.parametrize(("label", "fields", "status", "code", "details"), BAD, ids=[b[0] for b in BAD])
def test_bad_basicswap_inputs_answer_4xx_and_store_nothing(
    invoke: Invoke, label: str, fields: dict, status: int, code: str, details: dict
) -> None:
    before = stored_state()
    content_type, body = multipart(fields)
    answer = invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type)
    assert (answer.status, answer.code) == (status, code), answer.body
    assert answer.body["success"] is False and answer.body["error"]["message"]
    assert answer.body["error"]["details"] == details
    assert answer.headers["content-type"] == "application/json"
    assert stored_state() == before


@pytest.mark.parametrize(
    ("swap_index", "code"),
    [("0,0", "invalid_parameter"), ("x", "invalid_parameter"), ("0,2", "face_index_out_of_range")],
)
def test_bad_swap_index(invoke: Invoke, swap_index: str, code: str) -> None:
    content_type, body = multipart({"srcimage": TWO, "targetimage": TWO, "swap_index": swap_index})
    answer = invoke("POST", "/api/faceswap/faceswap2", body=body, content_type=content_type)
    assert (answer.status, answer.code) == (400, code)
    assert answer.body["error"]["details"]["parameter"] == "swap_index"


@pytest.mark.parametrize(
    ("body", "content_type", "parameter"),
    [
        (b"{oops", "application/json", "body"),
        (b'["source_image"]', "application/json", "body"),
        (b'{"source_image": 12, "target_image": "x"}', "application/json", "source_image"),
        (b'{"source_image": "file:///etc/passwd", "target_image": "x"}', "application/json", "source_image"),
        (
            b'{"source_image": "http://169.254.169.254/latest", "target_image": "x"}',
            "application/json",
            "source_image",
        ),
        (
            b'{"source_image": "https://127.0.0.1/a.jpg", "target_image": "x"}',
            "application/json",
            "source_image",
        ),
        (
            b'{"source_image": "https://10.0.0.8/a.jpg", "target_image": "x"}',
            "application/json",
            "source_image",
        ),
        (
            b'{"source_image": "data:image/png;base64,@@@", "target_image": "x"}',
            "application/json",
            "source_image",
        ),
        (b'{"target_image": "x"}', "application/json", "source_image"),
        (b"plain words", "text/plain", "Content-Type"),
    ],
)
def test_bad_json_bodies(invoke: Invoke, body: bytes, content_type: str, parameter: str) -> None:
    before = stored_state()
    answer = invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type)
    assert (answer.status, answer.code) == (400, "invalid_parameter"), answer.body
    assert answer.body["error"]["details"] == {"parameter": parameter}
    assert stored_state() == before


def test_auth_errors_and_unknown_routes(invoke: Invoke) -> None:
    content_type, body = multipart({"srcimage": ONE, "targetimage": ONE})
    missing = invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type, key=None)
    assert (missing.status, missing.code) == (401, "api_key_required")
    wrong = invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type, key="fsk_nope")
    assert (wrong.status, wrong.code) == (401, "invalid_api_key")
    lower = invoke("GET", "/api/task-status/" + "0" * 32, key=None, headers={"x-api-key": "fsk_nope"})
    assert lower.code == "invalid_api_key"
    unknown = invoke("GET", "/api/faceswap/nothing")
    assert (unknown.status, unknown.code) == (404, "not_found")


def test_health_needs_no_key(invoke: Invoke) -> None:
    answer = invoke("GET", "/api/health", key=None)
    assert answer.status == 200 and answer.body["status"] == "ok"


def test_disabled_key_is_forbidden_until_enabled(invoke: Invoke) -> None:
    from core.adapters.key_table import KeyTable
    from core.logic.key_service import create_key, revoke_key, set_key_enabled
    from core.models.plan import Plan

    table = KeyTable(Settings().api_keys_table)
    key, record = create_key(table, plan=Plan.FREE, name="to-disable")
    assert invoke("GET", "/api/task-status/" + "0" * 32, key=key).code == "not_found"
    set_key_enabled(table, record.key_id, enabled=False)
    refused = invoke("GET", "/api/task-status/" + "0" * 32, key=key)
    assert (refused.status, refused.code) == (403, "forbidden")
    content_type, body = multipart({"srcimage": ONE, "targetimage": ONE})
    before = stored_state()
    post = invoke("POST", "/api/faceswap/basicswap", body=body, content_type=content_type, key=key)
    assert (post.status, post.code) == (403, "forbidden")
    assert stored_state() == before
    set_key_enabled(table, record.key_id, enabled=True)
    assert invoke("GET", "/api/task-status/" + "0" * 32, key=key).code == "not_found"
    revoke_key(table, record.key_id)
    assert invoke("GET", "/api/task-status/" + "0" * 32, key=key).code == "invalid_api_key"
