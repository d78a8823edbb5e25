"""POST /api/verify: the image as the multipart field `image`, or JSON {"image": "<URL or data: URI>"}."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from typing import Any

from core.adapters.mark_registry import MarkRegistry
from core.adapters.url_fetch import UrlFetcher
from core.logic.verification import verify_image
from core.models.errors import invalid_parameter
from core.settings import Settings
from functions.api.images import resolve

FIELD = "image"


def image_from_body(content_type: str | None, body: bytes, settings: Settings) -> bytes:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
        message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
        if message.is_multipart():
            for part in message.iter_parts():
                if part.get_param("name", header="content-disposition") == FIELD:
                    payload = part.get_payload(decode=True)
                    if isinstance(payload, bytes) and payload:
                        return payload
        raise invalid_parameter(FIELD, "Send the image as the multipart field `image`.")
    if media_type == "application/json" or body.lstrip()[:1] == b"{":
        try:
            document: Any = json.loads(body)
        except (ValueError, RecursionError) as error:
            raise invalid_parameter("body", "The request body is not valid JSON.") from error
        value = document.get(FIELD) if isinstance(document, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise invalid_parameter(FIELD, "image must be an https:// URL or a data:image/...;base64 URI.")
        fetcher = UrlFetcher(
            timeout_seconds=settings.url_fetch_timeout_seconds, allow_http=settings.url_fetch_allow_http
        )
        return resolve(value, FIELD, fetcher)
    raise invalid_parameter("Content-Type", "Send multipart/form-data (field `image`) or application/json.")


def verify(content_type: str | None, body: bytes, key_id: str, settings: Settings) -> dict[str, Any]:
    data = image_from_body(content_type, body, settings)
    return verify_image(data, key_id, MarkRegistry(settings.tasks_table).lookup)
