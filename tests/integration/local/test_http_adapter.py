"""The local API Gateway stand-in: the events it builds and the answers it writes back.

The handler here reflects the event it was given, so each test sees exactly what a Lambda would."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from infra.local.http_adapter import LAMBDA_EVENT_BODY_LIMIT_BYTES, ApiServer

calls: list[dict[str, Any]] = []


def reflecting_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.append(event)
    if event["path"] == "/boom":
        raise RuntimeError("secret internals")
    if event["path"] == "/png":
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(b"\x89PNG\r\n\x1a\nrest").decode(),
            "isBase64Encoded": True,
        }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"X-Seen": ["a", "b"]},
        "body": json.dumps({"event": event, "request_id": context.aws_request_id}),
        "isBase64Encoded": False,
    }


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ApiServer(0, reflecting_handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.base_url
    server.shutdown()
    server.server_close()


def test_multipart_body_arrives_base64_encoded_with_headers_and_query(base_url: str) -> None:
    files = {"srcimage": ("a.jpg", b"\xff\xd8\xff\xe0binary\x00\xff", "image/jpeg")}
    response = requests.post(
        f"{base_url}/api/faceswap/basicswap?x=1&x=2&y=",
        files=files,
        data={"enhance": "true"},
        headers={"X-Api-Key": "k1"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["X-Seen"] == "a, b"
    event = response.json()["event"]
    assert event["httpMethod"] == "POST" and event["path"] == "/api/faceswap/basicswap"
    assert event["isBase64Encoded"] is True
    raw = base64.b64decode(event["body"])
    assert b"\xff\xd8\xff\xe0binary\x00\xff" in raw and b'name="enhance"' in raw
    assert event["headers"]["X-Api-Key"] == "k1"
    assert event["multiValueHeaders"]["X-Api-Key"] == ["k1"]
    assert event["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert event["queryStringParameters"] == {"x": "2", "y": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [""]}
    assert event["requestContext"]["requestId"] == response.json()["request_id"]
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_json_body_arrives_as_text_and_get_has_no_body(base_url: str) -> None:
    posted = requests.post(
        f"{base_url}/api/x", json={"source_image": "data:image/png;base64,AA=="}, timeout=10
    )
    event = posted.json()["event"]
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"source_image": "data:image/png;base64,AA=="}

    got = requests.get(f"{base_url}/api/task-status/abc", timeout=10).json()["event"]
    assert got["body"] is None and got["queryStringParameters"] is None
    assert got["httpMethod"] == "GET" and got["path"] == "/api/task-status/abc"
    assert posted.json()["request_id"] != requests.get(f"{base_url}/h", timeout=10).json()["request_id"]


def test_body_over_the_lambda_limit_is_413_and_never_reaches_the_handler(base_url: str) -> None:
    # 4.8 MB of multipart is 6.4 MB once base64-encoded: over Lambda's 6 MB.
    calls.clear()
    big = {"srcimage": ("a.jpg", b"\xff" * 4_800_000, "image/jpeg")}
    response = requests.post(f"{base_url}/api/faceswap/basicswap", files=big, timeout=30)
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "payload_too_large"
    assert body["error"]["details"] == {"limit_bytes": LAMBDA_EVENT_BODY_LIMIT_BYTES}
    assert calls == []
    # Just under the limit once encoded: passed through.
    fits = {"srcimage": ("a.jpg", b"\xff" * 4_400_000, "image/jpeg")}
    assert requests.post(f"{base_url}/api/faceswap/basicswap", files=fits, timeout=30).status_code == 200


def test_handler_failure_is_a_500_envelope_without_internals(base_url: str) -> None:
    response = requests.get(f"{base_url}/boom", timeout=10)
    assert response.status_code == 500
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "server_error"
    assert body["error"]["details"]["request_id"]
    assert "secret" not in response.text


def test_binary_answers_are_decoded(base_url: str) -> None:
    response = requests.get(f"{base_url}/png", timeout=10)
    assert response.content == b"\x89PNG\r\n\x1a\nrest"
    assert response.headers["Content-Type"] == "image/png"
