"""Idempotency-Key rules (README: API): what a valid key is and what makes two submissions "the same".

Two submissions are the same request when they come from the same API key with the same Idempotency-Key;
they must then also have the same route and body (sha256 of the raw body), else the key was reused.
A multipart body is compared by its parts (name, filename, type, content), not its bytes: clients (curl,
requests) draw a new random boundary for every send, so a retry's raw bytes differ though nothing else does.
"""

from __future__ import annotations

import hashlib
from email import policy
from email.parser import BytesParser
from typing import TypedDict

# How long a key's first answer is kept and replayed.
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600
MAX_IDEMPOTENCY_KEY_LENGTH = 255


class IdempotentRequest(TypedDict):
    key_id: str  # the API key's public id: keys of different customers never meet
    idempotency_key: str
    route: str
    body_sha256: str


def is_valid_idempotency_key(value: str) -> bool:
    """1-255 printable ASCII characters (space through tilde)."""
    return 1 <= len(value) <= MAX_IDEMPOTENCY_KEY_LENGTH and all(" " <= c <= "~" for c in value)


def idempotent_request(
    key_id: str, idempotency_key: str, route: str, body: bytes, content_type: str | None = None
) -> IdempotentRequest:
    return IdempotentRequest(
        key_id=key_id,
        idempotency_key=idempotency_key,
        route=route,
        body_sha256=body_fingerprint(content_type, body),
    )


def body_fingerprint(content_type: str | None, body: bytes) -> str:
    """sha256 of the body; of a multipart body, of its parts in order with the boundary left out."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
        message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
        if message.is_multipart() and not message.defects:
            digest = hashlib.sha256(b"multipart")
            for part in message.iter_parts():
                payload = part.get_payload(decode=True)
                described = [
                    part.get_param("name", header="content-disposition"),
                    part.get_filename(),
                    part.get_content_type(),
                ]
                digest.update(repr(described).encode("utf-8", "replace") + b"\0")
                digest.update(hashlib.sha256(payload if isinstance(payload, bytes) else b"").digest())
            return digest.hexdigest()
    return hashlib.sha256(body).hexdigest()


# Powertools' JMESPath over IdempotentRequest: what names the record, and what must match on a replay.
RECORD_KEY_PATH = "[key_id, idempotency_key]"
SAME_REQUEST_PATH = "[route, body_sha256]"
