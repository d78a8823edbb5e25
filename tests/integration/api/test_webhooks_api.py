"""webhook_url on submissions, the per-key signing secret and its rotation, through the real API function."""

from __future__ import annotations

import base64
import json

import pytest

from core.adapters.clients import client
from core.adapters.key_table import KeyTable
from core.logic.key_service import create_key
from core.models.api_key import hash_key
from core.settings import Settings
from tests import face_photos
from tests.integration.api.helpers import Invoke, multipart, stored_state

BASICSWAP = "/api/faceswap/basicswap"


def _json_submission(invoke: Invoke, webhook_url: object, key: str | None = None) -> object:
    body = json.dumps({"source_image": "https://example.com/a.jpg", "webhook_url": webhook_url})
    kwargs = {"key": key} if key else {}
    return invoke("POST", BASICSWAP, body=body.encode(), content_type="application/json", **kwargs)


@pytest.mark.parametrize(
    "webhook_url",
    [
        "ftp://example.com/hook",
        "http://example.com/hook",  # stages send https only
        "https://example.com:8443/hook",  # on 443 only
        "https://user:secret@example.com/hook",
        "https://127.0.0.1/hook",  # loopback (not allowed on a stage)
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/hook",
        "https://[::1]/hook",
        "not a url",
        "https://" + "a" * 2100 + ".com/",
        12,
        ["https://example.com/"],
    ],
)
def test_a_bad_webhook_url_is_invalid_parameter_and_stores_nothing(invoke: Invoke, webhook_url: object):
    before = stored_state()
    answer = _json_submission(invoke, webhook_url)
    assert answer.status == 400, answer.body
    assert answer.code == "invalid_parameter"
    assert answer.body["error"]["details"]["parameter"] == "webhook_url"
    assert "data:" not in answer.body["error"]["message"]  # that is for images, not webhooks
    assert stored_state() == before


def test_a_multipart_webhook_url_is_checked_too(invoke: Invoke):
    content_type, body = multipart({"srcimage": b"x", "webhook_url": "http://10.1.1.1/"})
    answer = invoke("POST", BASICSWAP, body=body, content_type=content_type)
    assert (answer.status, answer.code) == (400, "invalid_parameter")
    assert answer.body["error"]["details"]["parameter"] == "webhook_url"


def test_a_key_without_a_secret_gets_webhook_secret_missing(invoke: Invoke, settings: Settings):
    plaintext, _ = create_key(KeyTable(settings.api_keys_table), name="no-secret")
    client("dynamodb").update_item(  # a key made before webhooks existed
        TableName=settings.api_keys_table,
        Key={"key_hash": {"S": hash_key(plaintext)}},
        UpdateExpression="REMOVE webhook_secret",
    )
    answer = _json_submission(invoke, "https://example.com/hook", key=plaintext)
    assert (answer.status, answer.code) == (400, "webhook_secret_missing")
    assert answer.body["error"]["message"]


def test_rotation_returns_a_new_secret_once_and_keeps_it(invoke: Invoke, settings: Settings):
    plaintext, record = create_key(KeyTable(settings.api_keys_table), name="rotating")
    assert record.webhook_secret and record.webhook_secret.startswith("whsec_")
    answer = invoke("POST", "/api/webhooks/secret", key=plaintext)
    assert answer.status == 201, answer.body
    secret = answer.body["webhook_secret"]
    assert answer.body["success"] is True and secret.startswith("whsec_") and secret != record.webhook_secret
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(answer.headers)
    stored = KeyTable(settings.api_keys_table).get(hash_key(plaintext))
    assert stored is not None and stored.webhook_secret == secret


def test_rotation_needs_a_key(invoke: Invoke):
    answer = invoke("POST", "/api/webhooks/secret", key=None)
    assert (answer.status, answer.code) == (401, "api_key_required")


def test_a_submission_with_a_webhook_shows_it_in_status(invoke: Invoke, set_stage_env):
    set_stage_env("WEBHOOK_ALLOW_LOOPBACK", "true")  # as the local stack sets it
    content_type, body = multipart(
        {
            "srcimage": face_photos.one_face(1),
            "targetimage": face_photos.one_face(4),
            "webhook_url": "http://127.0.0.1:8999/hook",
        }
    )
    answer = invoke("POST", BASICSWAP, body=body, content_type=content_type)
    assert answer.status == 201, answer.body
    status = invoke("GET", f"/api/task-status/{answer.body['task_id']}")
    assert status.body["webhook"] == {"url": "http://127.0.0.1:8999/hook", "delivered": False, "attempts": []}


def test_a_submission_without_a_webhook_has_no_webhook_in_status(invoke: Invoke):
    content_type, body = multipart(
        {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    )
    answer = invoke("POST", BASICSWAP, body=body, content_type=content_type)
    assert answer.status == 201, answer.body
    assert "webhook" not in invoke("GET", f"/api/task-status/{answer.body['task_id']}").body


def test_a_webhook_host_that_does_not_resolve_in_time_is_refused_within_its_short_budget(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    import socket
    import time

    real = socket.getaddrinfo

    def slow_dns(host: object, *args: object, **kwargs: object) -> list:
        if host != "slow-dns.example":
            return real(host, *args, **kwargs)  # moto on 127.0.0.1 resolves as usual
        time.sleep(5)
        raise socket.gaierror("too late")

    monkeypatch.setattr(socket, "getaddrinfo", slow_dns)
    started = time.monotonic()
    answer = _json_submission(invoke, "https://slow-dns.example/hook")
    assert (answer.status, answer.code) == (400, "invalid_parameter")
    assert "in time" in answer.body["error"]["message"]
    assert time.monotonic() - started < 4  # WEBHOOK_CHECK_SECONDS (2 s), not the image budget (10 s)
