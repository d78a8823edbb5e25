"""Verify a FaceSwap webhook (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).

    event = verify_webhook(request_body_bytes, request_headers, secret="whsec_...")

The signature is base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}")), where key is the
base64-decoded part of the secret after `whsec_`; the header may list several space-separated
`v1,<signature>` entries (during a secret rotation), any one matching is enough. Timestamps more than
`tolerance_seconds` away from now are refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from faceswap_sdk.errors import WebhookVerificationError

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
DEFAULT_TOLERANCE_SECONDS = 5 * 60


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the webhook secret is not whsec_<base64>") from error
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for this message (v1 scheme)."""
    digest = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | bytes,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The event (`type`, `timestamp`, `data`) if the request is signed with `secret`; else raises
    WebhookVerificationError. Pass the raw body exactly as received."""
    payload = body.encode() if isinstance(body, str) else bytes(body)
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not stamp.isdigit():
        raise WebhookVerificationError("webhook-timestamp is not a number of seconds")
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is too far from now (replayed or clock skew)")
    expected = sign(secret, msg_id, int(stamp), payload).encode()
    if not any(hmac.compare_digest(expected, given.encode()) for given in signatures.split(" ") if given):
        raise WebhookVerificationError("no signature matches this secret")
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise WebhookVerificationError("the body is not JSON") from error
    if not isinstance(event, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return event
