"""The SDK's own Standard Webhooks verification, checked against the `standardwebhooks` package (the
reference implementation the server signs with)."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime

import pytest
from faceswap_sdk.errors import WebhookVerificationError
from faceswap_sdk.webhooks import sign, verify_webhook
from standardwebhooks.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
BODY = json.dumps(
    {"type": "task.completed", "timestamp": "2026-12-03T22:00:00+00:00", "data": {"task_id": "a"}}
)


def reference_headers(
    body: str | bytes = BODY, secret: str = SECRET, at: float | None = None
) -> dict[str, str]:
    moment = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    return {
        "webhook-id": "msg_a",
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_a", moment, body),
    }


def test_what_the_reference_signs_verifies():
    event = verify_webhook(BODY.encode(), reference_headers(), SECRET)
    assert event["type"] == "task.completed" and event["data"]["task_id"] == "a"


def test_what_the_sdk_signs_the_reference_verifies():
    stamp = int(time.time())
    headers = {
        "webhook-id": "msg_b",
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(SECRET, "msg_b", stamp, BODY.encode()),
    }
    assert Webhook(SECRET).verify(BODY, headers)["data"]["task_id"] == "a"
    assert headers["webhook-signature"] == Webhook(SECRET).sign(
        "msg_b", datetime.fromtimestamp(stamp, UTC), BODY
    )


def test_header_names_are_case_insensitive_and_any_listed_signature_may_match():
    headers = {k.upper(): v for k, v in reference_headers().items()}
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    wrong = sign(other, "msg_a", int(headers["WEBHOOK-TIMESTAMP"]), BODY.encode())
    headers["WEBHOOK-SIGNATURE"] = f"{wrong} {headers['WEBHOOK-SIGNATURE']}"
    assert verify_webhook(BODY, headers, SECRET)["type"] == "task.completed"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b'"a"', b'"b"')),  # body changed
        lambda h, b: ({**h, "webhook-id": "msg_x"}, b),  # id changed
        lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
        lambda h, b: ({**h, "webhook-signature": "v1,"}, b),
        lambda h, b: ({**h, "webhook-timestamp": "soon"}, b),
    ],
)
def test_anything_changed_fails(tamper):
    headers, body = tamper(reference_headers(), BODY.encode())
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, SECRET)


def test_another_secret_fails():
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, reference_headers(), "whsec_" + base64.b64encode(b"y" * 32).decode())


def test_old_and_future_timestamps_fail_as_in_the_reference():
    for offset in (-301, 301):
        headers = reference_headers(at=time.time() + offset)
        with pytest.raises(WebhookVerificationError):
            verify_webhook(BODY, headers, SECRET)
        with pytest.raises(Exception, match="too"):
            Webhook(SECRET).verify(BODY, headers)
    assert verify_webhook(BODY, reference_headers(at=time.time() - 200), SECRET)
