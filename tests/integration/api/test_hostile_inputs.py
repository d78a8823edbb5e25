"""Inputs that used to answer 500 (and page the 5xx alarm) or pin the function: through the real handler,
each is the contract's 400 at once, and nothing is stored."""

from __future__ import annotations

import json
import time

import pytest

from tests import face_photos
from tests.integration.api.helpers import Invoke, multipart, stored_state

ONE = face_photos.one_face(1)


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("path", "content_type", "body", "parameter"),
    [
        ("/api/faceswap/basicswap", "application/json", b"[" * 50_000 + b"]" * 50_000, "body"),
        ("/api/faceswap/basicswap", "application/json", b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "body"),
        (
            "/api/faceswap/faceswap2",
            "application/json",
            b'{"swap_index": [' + b"9" * 5_000 + b", 0]}",
            "body",
        ),
        (
            "/api/faceswap/basicswap",
            "application/json",
            _json(
                {"source_image": "https://images.example/\ud800.jpg", "target_image": "https://x.example/a"}
            ),
            "source_image",
        ),
        (
            "/api/faceswap/faceswap2",
            "application/json",
            _json({"source_image": "https://a.example/1", "swap_index": " " * 3_000_000 + "x"}),
            "swap_index",
        ),
    ],
)
def test_hostile_json_is_400_at_once(
    invoke: Invoke, path: str, content_type: str, body: bytes, parameter: str
) -> None:
    before = stored_state()
    started = time.monotonic()
    answer = invoke("POST", path, body=body, content_type=content_type)
    assert (answer.status, answer.code) == (400, "invalid_parameter"), answer.body
    assert answer.body["error"]["details"]["parameter"] == parameter
    assert time.monotonic() - started < 5
    assert stored_state() == before


@pytest.mark.timeout(30)
def test_a_multipart_swap_index_of_thousands_of_digits_is_400(invoke: Invoke) -> None:
    content_type, body = multipart({"srcimage": ONE, "targetimage": ONE, "swap_index": "1" * 5_000 + ",0"})
    answer = invoke("POST", "/api/faceswap/faceswap2", body=body, content_type=content_type)
    assert (answer.status, answer.code) == (400, "invalid_parameter")
    assert answer.body["error"]["details"] == {"parameter": "swap_index"}
