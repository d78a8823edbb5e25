"""POST /api/uploads and `<field>_upload_id` through the real handler, with the file POSTed over plain HTTP
to the presigned form on the moto server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.adapters.clients import client
from core.adapters.key_table import KeyTable
from core.logic.key_service import find_key
from core.logic.uploads import MAX_UPLOAD_BYTES, UPLOAD_USABLE_FOR, is_expired, upload_key
from core.models.errors import ApiError
from core.settings import Settings
from functions.api.uploads import create_upload
from tests import face_photos
from tests.infra import iam_policy
from tests.integration.api.helpers import Invoke, multipart

ONE, ONE_B = face_photos.one_face(1), face_photos.one_face(4)


def _upload(
    invoke: Invoke, data: bytes | None, key: str | None = None, content_type: str = "image/jpeg"
) -> str:
    """Create an upload (and POST `data` to it, unless None); its id."""
    size = len(data) if data is not None else 1000
    kwargs = {"key": key} if key is not None else {}
    created = invoke(
        "POST",
        "/api/uploads",
        body=json.dumps({"content_type": content_type, "content_length": size}).encode(),
        content_type="application/json",
        **kwargs,
    )
    assert created.status == 201, created.body
    if data is not None:
        body = created.body
        posted = requests.post(
            body["url"], data=body["fields"], files={"file": ("f", data, content_type)}, timeout=30
        )
        assert posted.status_code in (200, 201, 204), posted.text
    return created.body["upload_id"]


def test_an_upload_is_a_presigned_post_and_is_not_counted(invoke: Invoke) -> None:
    body = json.dumps({"content_type": "image/png", "content_length": 12345}).encode()
    first = invoke("POST", "/api/uploads", body=body, content_type="application/json")
    second = invoke("POST", "/api/uploads", body=body, content_type="application/json")

    assert first.status == second.status == 201
    answer = first.body
    assert set(answer) == {"success", "upload_id", "url", "fields", "expires_at", "max_bytes"}
    assert answer["success"] is True and answer["max_bytes"] == MAX_UPLOAD_BYTES == 26214400
    assert answer["upload_id"].startswith("upl_") and answer["upload_id"] != second.body["upload_id"]
    assert answer["fields"]["Content-Type"] == "image/png"
    left = datetime.fromisoformat(answer["expires_at"]) - datetime.now(UTC)
    assert timedelta(minutes=14) < left <= timedelta(minutes=15)
    assert first.headers["x-ratelimit-remaining"] == second.headers["x-ratelimit-remaining"]


def test_a_swap_names_uploads_by_id_in_multipart_and_json(invoke: Invoke) -> None:
    source, scene = _upload(invoke, ONE), _upload(invoke, ONE_B)
    content_type, form = multipart({"srcimage_upload_id": source, "targetimage_upload_id": scene})
    by_form = invoke("POST", "/api/faceswap/basicswap", body=form, content_type=content_type)
    by_json = invoke(
        "POST",
        "/api/faceswap/basicswap",
        body=json.dumps({"source_image_upload_id": source, "target_image": _data_uri(ONE_B)}).encode(),
        content_type="application/json",
    )

    assert by_form.status == by_json.status == 201, (by_form.body, by_json.body)
    settings = Settings()
    task = client("dynamodb").get_item(
        TableName=settings.tasks_table, Key={"task_id": {"S": by_form.body["task_id"]}}
    )["Item"]
    stored = client("s3").get_object(
        Bucket=settings.media_bucket, Key=task["inputs"]["M"]["targetimage"]["S"]
    )
    assert stored["Body"].read() == ONE_B  # the uploaded bytes became the task's input


def _data_uri(data: bytes) -> str:
    import base64

    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def test_an_upload_is_its_keys_only(invoke: Invoke, api_key: str, other_key: str) -> None:
    theirs = _upload(invoke, ONE, key=other_key)
    content_type, form = multipart({"srcimage_upload_id": theirs, "targetimage": ONE_B})
    answer = invoke("POST", "/api/faceswap/basicswap", body=form, content_type=content_type, key=api_key)
    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid_parameter"
    assert answer.body["error"]["details"] == {"parameter": "srcimage_upload_id"}


@pytest.mark.parametrize("upload_id", ["upl_" + "0" * 32, "../tasks/x", "", "upl_" + "g" * 32, "x" * 5000])
def test_unknown_or_malformed_ids_are_a_400_naming_the_field(invoke: Invoke, upload_id: str) -> None:
    body = json.dumps({"source_image": _data_uri(ONE), "target_image_upload_id": upload_id}).encode()
    answer = invoke("POST", "/api/faceswap/basicswap", body=body, content_type="application/json")
    assert answer.status == 400
    assert answer.body["error"]["details"] == {"parameter": "target_image_upload_id"}


def test_an_upload_not_yet_posted_is_a_400(invoke: Invoke) -> None:
    pending = _upload(invoke, None)
    content_type, form = multipart({"srcimage_upload_id": pending, "targetimage": ONE_B})
    answer = invoke("POST", "/api/faceswap/basicswap", body=form, content_type=content_type)
    assert answer.status == 400 and answer.body["error"]["details"] == {"parameter": "srcimage_upload_id"}


def test_an_image_sent_both_ways_is_a_400(invoke: Invoke) -> None:
    source = _upload(invoke, ONE)
    content_type, form = multipart({"srcimage": ONE, "srcimage_upload_id": source, "targetimage": ONE_B})
    answer = invoke("POST", "/api/faceswap/basicswap", body=form, content_type=content_type)
    assert answer.status == 400 and answer.body["error"]["details"] == {"parameter": "srcimage_upload_id"}


def test_an_uploaded_file_over_25_mb_is_a_413(invoke: Invoke, api_key: str) -> None:
    """S3 enforces the form's size condition; moto does not. The API checks the size again before reading."""
    upload_id = _upload(invoke, None)
    key_id = find_key(KeyTable(Settings().api_keys_table), api_key).key_id
    client("s3").put_object(
        Bucket=Settings().media_bucket,
        Key=upload_key(key_id, upload_id),
        Body=b"\xff" * (MAX_UPLOAD_BYTES + 1),
    )
    content_type, form = multipart({"srcimage_upload_id": upload_id, "targetimage": ONE_B})
    answer = invoke("POST", "/api/faceswap/basicswap", body=form, content_type=content_type)
    assert answer.status == 413
    assert answer.body["error"]["details"] == {
        "parameter": "srcimage_upload_id",
        "limit_bytes": MAX_UPLOAD_BYTES,
    }


def test_an_upload_not_an_image_is_the_usual_400(invoke: Invoke) -> None:
    upload_id = _upload(invoke, b"GIF89a not really")
    content_type, form = multipart({"srcimage_upload_id": upload_id, "targetimage": ONE_B})
    answer = invoke("POST", "/api/faceswap/basicswap", body=form, content_type=content_type)
    assert answer.status == 400 and answer.body["error"]["code"] == "invalid_image_format"


@pytest.mark.parametrize(
    ("body", "status", "parameter"),
    [
        ({"content_type": "image/gif", "content_length": 10}, 400, "content_type"),
        ({"content_length": 10}, 400, "content_type"),
        ({"content_type": "image/png"}, 400, "content_length"),
        ({"content_type": "image/png", "content_length": 0}, 400, "content_length"),
        ({"content_type": "image/png", "content_length": "10"}, 400, "content_length"),
        ({"content_type": "image/png", "content_length": MAX_UPLOAD_BYTES + 1}, 413, "content_length"),
        ([1, 2], 400, "body"),
    ],
)
def test_bad_upload_requests_get_the_envelope(
    invoke: Invoke, body: object, status: int, parameter: str
) -> None:
    answer = invoke("POST", "/api/uploads", body=json.dumps(body).encode(), content_type="application/json")
    assert answer.status == status
    assert answer.body["error"]["details"]["parameter"] == parameter


def test_uploads_need_a_key(invoke: Invoke) -> None:
    answer = invoke("POST", "/api/uploads", body=b"{}", content_type="application/json", key=None)
    assert answer.status == 401 and answer.body["error"]["code"] == "api_key_required"


@given(
    st.one_of(
        st.binary(max_size=200),
        st.recursive(st.none() | st.integers() | st.text(), st.lists, max_leaves=8).map(
            lambda v: json.dumps({"content_type": "image/png", "content_length": v}).encode()
        ),
    )
)
@settings(max_examples=200, suppress_health_check=list(HealthCheck), deadline=None)
def test_any_upload_body_is_a_form_or_a_4xx(aws_env: dict[str, str], body: bytes) -> None:
    try:
        created = create_upload(body, "key_property", Settings())
    except ApiError as error:
        assert error.status in (400, 413)
    else:
        assert created.fields["Content-Type"] == "image/png"


def test_the_api_role_may_sign_the_upload_form() -> None:
    """The presigned POST carries the signer's rights (s3:PutObject on the upload's key); botocore signs it
    without an API call, so the IAM recorder does not see it: checked here."""
    role = iam_policy.roles("test")[iam_policy.role_of("ApiFunction")]
    arn = f"arn:aws:s3:::faceswap-test-media-bucket/{upload_key('key1', 'upl_' + '0' * 32)}"
    assert role.allows("s3:PutObject", arn) and role.allows("s3:GetObject", arn)
    assert not role.allows("s3:PutObject", "arn:aws:s3:::faceswap-test-media-bucket/elsewhere")


def test_an_upload_expires_a_day_after_it_was_made() -> None:
    now = datetime.now(UTC)
    assert not is_expired(now - UPLOAD_USABLE_FOR + timedelta(seconds=1), now)
    assert is_expired(now - UPLOAD_USABLE_FOR - timedelta(seconds=1), now)
