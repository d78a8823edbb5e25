"""Bodies as API Gateway delivers them: base64 multipart, JSON, and what is neither."""

from __future__ import annotations

import base64

import pytest

from core.models.errors import ApiError
from core.models.payload_limits import MAX_EVENT_BODY_BYTES
from functions.api.request_body import event_body_bytes, parse_inputs

BINARY = bytes(range(256)) * 4 + b"\r\n--not-the-boundary\r\n" + b"\x00\xff" * 100


def multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = "b0undary") -> tuple[str, bytes]:
    chunks = []
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        head += "Content-Type: image/jpeg\r\n" if filename else ""
        chunks.append(head.encode() + b"\r\n" + data + b"\r\n")
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks) + f"--{boundary}--\r\n".encode()


def test_multipart_files_arrive_byte_exact_through_base64() -> None:
    content_type, body = multipart(
        [("srcimage", BINARY, "s.jpg"), ("targetimage", b"\xff\xd8xyz", "t.jpg"), ("enhance", b"TRUE", None)]
    )
    event_body = base64.b64encode(body).decode()
    inputs = parse_inputs(content_type, event_body_bytes(event_body, is_base64=True))
    assert inputs.images == {"srcimage": BINARY, "targetimage": b"\xff\xd8xyz"}
    assert inputs.params == {"enhance": "TRUE"}


def test_multipart_ignores_unknown_fields_and_keeps_misnamed_ones_out() -> None:
    content_type, body = multipart([("source", b"x", "s.jpg"), ("swap_index", b"1,0", None)])
    inputs = parse_inputs(content_type, body)
    assert inputs.images == {}
    assert inputs.params == {"swap_index": "1,0"}


def test_json_body_maps_to_contract_fields() -> None:
    inputs = parse_inputs(
        "application/json; charset=utf-8",
        b'{"source_image": "https://a.example/s.jpg", "target_image": "data:image/png;base64,AAAA",'
        b' "enhance": true, "other": 1}',
    )
    assert inputs.images == {
        "srcimage": "https://a.example/s.jpg",
        "targetimage": "data:image/png;base64,AAAA",
    }
    assert inputs.params == {"enhance": True}
    assert inputs.name_of("srcimage") == "source_image"


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b'"text"', "body"),
        (b'{"source_image": 5}', "source_image"),
        (b'{"source_image": "x", "swap_index": {"a": 1}}', "swap_index"),
    ],
)
def test_bad_json_is_invalid_parameter(body: bytes, parameter: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_inputs("application/json", body)
    assert raised.value.body.code == "invalid_parameter"
    assert raised.value.body.details == {"parameter": parameter}


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "image/jpeg"])
def test_other_content_types_are_refused(content_type: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_inputs(content_type, b"hello")
    assert raised.value.body.code == "invalid_parameter"
    assert raised.value.body.details == {"parameter": "Content-Type"}


def test_event_body_over_the_lambda_limit_is_413() -> None:
    with pytest.raises(ApiError) as raised:
        event_body_bytes("A" * (MAX_EVENT_BODY_BYTES + 1), is_base64=True)
    assert raised.value.status == 413
    assert raised.value.body.code == "payload_too_large"
    assert raised.value.body.details == {"limit_bytes": MAX_EVENT_BODY_BYTES}
    assert event_body_bytes("A" * 8, is_base64=False) == b"A" * 8


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        (b'{"source_image": "x", "enhance": 1}', "enhance"),
        (b'{"source_image": "x", "enhance": null, "swap_index": [true, false]}', "swap_index"),
        (b'{"source_image": "x", "swap_index": [1.0, 0]}', "swap_index"),
        (b'{"source_image": ["https://a.example/s.jpg"]}', "source_image"),
    ],
)
def test_json_values_are_not_coerced(body: bytes, parameter: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_inputs("application/json", body)
    assert raised.value.body.details == {"parameter": parameter}


def test_multipart_reads_every_valid_form_of_content_disposition() -> None:
    # filename before name, and an unquoted name: both valid form-data that naive readers mis-name.
    body = (
        b'--B\r\nContent-Disposition: form-data; filename="s.jpg"; name="srcimage"\r\n\r\n\xff\xd8one\r\n'
        b"--B\r\nContent-Disposition: form-data; name=targetimage; filename=t.jpg\r\n\r\n\xff\xd8two\r\n"
        b"--B\r\nContent-Disposition: form-data; name=enhance\r\n\r\nfalse\r\n--B--\r\n"
    )
    inputs = parse_inputs("multipart/form-data; boundary=B", body)
    assert inputs.images == {"srcimage": b"\xff\xd8one", "targetimage": b"\xff\xd8two"}
    assert inputs.params == {"enhance": "false"}


def test_repeated_fields_keep_the_first_and_names_are_case_sensitive() -> None:
    content_type, body = multipart(
        [("srcimage", b"first", "a.jpg"), ("srcimage", b"second", "b.jpg"), ("SrcImage", b"x", "c.jpg")]
    )
    assert parse_inputs(content_type, body).images == {"srcimage": b"first"}


@pytest.mark.parametrize(
    ("content_type", "first_missing"),
    [
        (None, "srcimage"),
        ("multipart/form-data; boundary=B", "srcimage"),
        ("application/json", "source_image"),
    ],
)
def test_an_empty_body_is_an_empty_submission(content_type: str | None, first_missing: str) -> None:
    inputs = parse_inputs(content_type, b"")
    assert inputs.images == {} and inputs.params == {}
    assert inputs.name_of("srcimage") == first_missing


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=B", 'multipart/form-data; boundary=""'],
)
def test_unreadable_multipart_is_invalid_parameter(content_type: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_inputs(content_type, b"garbage without any boundary line")
    assert raised.value.body.details == {"parameter": "body"}
