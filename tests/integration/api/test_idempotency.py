"""Idempotency-Key on submissions through the real handler, over moto's DynamoDB (Powertools' idempotency
utility with its DynamoDB persistence layer, table IdempotencyTable from template.yaml)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.adapters.idempotency import StillRunning, run_once
from core.adapters.key_table import KeyTable
from core.logic.idempotency import body_fingerprint, idempotent_request, is_valid_idempotency_key
from core.logic.key_service import create_key, find_key
from core.models.plan import Plan
from core.settings import Settings
from tests import face_photos
from tests.integration.api.helpers import Invoke, multipart, stored_state

BASICSWAP = "/api/faceswap/basicswap"
FIELDS = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}


@pytest.fixture()
def fresh_key(aws_env: dict[str, str]) -> str:
    """A key of its own, so its counters say exactly what this test spent."""
    plaintext, _ = create_key(KeyTable(Settings().api_keys_table), plan=Plan.PRO, name="idempotency")
    return plaintext


def _submit(invoke: Invoke, key: str, idempotency_key: str | None, fields: dict[str, Any] = FIELDS):
    content_type, body = multipart(fields)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else {}
    return invoke("POST", BASICSWAP, body=body, content_type=content_type, key=key, headers=headers)


def test_a_retry_gets_the_same_201_and_is_counted_once(invoke: Invoke, fresh_key: str) -> None:
    first = _submit(invoke, fresh_key, "order-42")
    after_first = stored_state()
    again = _submit(invoke, fresh_key, "order-42")

    assert first.status == again.status == 201, (first.body, again.body)
    assert again.body == first.body  # the same task id and body
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    # Counted once: the replay reports the same remaining count, and stores no second task.
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    assert stored_state() == after_first
    third = _submit(invoke, fresh_key, None)  # a submission without the header is counted as usual
    assert int(third.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1


def test_the_same_key_with_another_body_is_a_409(invoke: Invoke, fresh_key: str) -> None:
    first = _submit(invoke, fresh_key, "reused")
    other = _submit(invoke, fresh_key, "reused", {**FIELDS, "enhance": "true"})

    assert first.status == 201
    assert other.status == 409
    assert other.body["error"] == {
        "code": "idempotency_key_reused",
        "message": other.body["error"]["message"],
        "details": {"idempotency_key": "reused"},
    }
    assert other.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]  # not counted


def test_keys_are_per_api_key(invoke: Invoke, fresh_key: str, api_key: str) -> None:
    mine = _submit(invoke, fresh_key, "shared-name")
    theirs = _submit(invoke, api_key, "shared-name")
    assert mine.status == theirs.status == 201
    assert mine.body["task_id"] != theirs.body["task_id"]


def test_a_refused_submission_keeps_no_record_so_a_corrected_retry_runs(
    invoke: Invoke, fresh_key: str
) -> None:
    refused = _submit(invoke, fresh_key, "fix-me", {"srcimage": FIELDS["srcimage"]})
    assert refused.status == 400 and refused.body["error"]["code"] == "invalid_parameter"
    again = _submit(invoke, fresh_key, "fix-me", {"srcimage": FIELDS["srcimage"]})
    assert again.status == 400  # validated (and counted) again, not a stored answer
    assert int(again.headers["x-ratelimit-remaining"]) == int(refused.headers["x-ratelimit-remaining"]) - 1


def test_a_duplicate_while_the_first_still_runs_is_a_409_with_retry_after(
    invoke: Invoke, fresh_key: str
) -> None:
    content_type, body = multipart(FIELDS)
    key_id = find_key(KeyTable(Settings().api_keys_table), fresh_key).key_id
    request = idempotent_request(key_id, "slow-one", BASICSWAP, body, content_type)
    seen: dict[str, Any] = {}

    def first_request_still_running() -> dict[str, Any]:
        # The duplicate arrives (another Lambda environment) while the first holds the in-progress record.
        seen["answer"] = invoke(
            "POST",
            BASICSWAP,
            body=body,
            content_type=content_type,
            key=fresh_key,
            headers={"Idempotency-Key": "slow-one"},
        )
        with pytest.raises(StillRunning):
            run_once(Settings().idempotency_table, request, lambda: {})
        return {"status_code": 201, "body": {"first": True}}

    assert run_once(Settings().idempotency_table, request, first_request_still_running) == {
        "status_code": 201,
        "body": {"first": True},
    }
    duplicate = seen["answer"]
    assert duplicate.status == 409
    assert duplicate.body["error"]["code"] == "idempotency_key_in_progress"
    assert duplicate.headers["retry-after"] == "1"
    assert duplicate.headers["x-ratelimit-remaining"].isdigit()


@pytest.mark.parametrize("bad", ["", "x" * 256, "caf\u00e9", "tab\there", "nul\x00"])
def test_a_malformed_key_is_a_400_naming_the_header(invoke: Invoke, fresh_key: str, bad: str) -> None:
    answer = _submit(invoke, fresh_key, bad)
    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid_parameter"
    assert answer.body["error"]["details"] == {"parameter": "Idempotency-Key"}
    assert answer.headers["x-ratelimit-remaining"].isdigit()  # counted, as every refused submission


@given(st.text(max_size=300))
@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
def test_validity_is_exactly_1_to_255_printable_ascii(value: str) -> None:
    expected = 1 <= len(value) <= 255 and all(32 <= ord(c) <= 126 for c in value)
    assert is_valid_idempotency_key(value) is expected


def test_a_retry_with_a_new_multipart_boundary_is_the_same_request(invoke: Invoke, fresh_key: str) -> None:
    """curl and requests draw a new boundary for every send: the parts decide, not the raw bytes."""
    answers = []
    for boundary in ("----first-send", "----the-retry"):
        content_type, body = multipart(FIELDS, boundary=boundary)
        headers = {"Idempotency-Key": "new-boundary"}
        answers.append(
            invoke("POST", BASICSWAP, body=body, content_type=content_type, key=fresh_key, headers=headers)
        )
    assert answers[0].status == answers[1].status == 201
    assert answers[1].body["task_id"] == answers[0].body["task_id"]
    assert answers[1].headers["idempotent-replayed"] == "true"


def test_parts_that_differ_in_any_way_are_another_body() -> None:
    content_type, body = multipart(FIELDS)
    same = body_fingerprint(content_type, body)
    swapped = multipart({"srcimage": FIELDS["targetimage"], "targetimage": FIELDS["srcimage"]})
    renamed = multipart({"srcimage": FIELDS["srcimage"], "targetimage1": FIELDS["targetimage"]})
    extra = multipart({**FIELDS, "enhance": "false"})
    assert len({same, *(body_fingerprint(*other) for other in (swapped, renamed, extra))}) == 4
    assert body_fingerprint("application/json", b"{}") != body_fingerprint("application/json", b"{ }")


@given(
    st.binary(max_size=400), st.sampled_from(["multipart/form-data; boundary=x", "multipart/form-data", None])
)
@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
def test_any_body_has_a_fingerprint(body: bytes, content_type: str | None) -> None:
    assert len(body_fingerprint(content_type, body)) == 64
