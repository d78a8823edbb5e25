"""POST /api/uploads (a presigned S3 POST for one large image) and reading an upload named in a submission
as `<field>_upload_id`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from core.adapters.uploads import StoredUpload, UploadStore
from core.logic.uploads import (
    MAX_UPLOAD_BYTES,
    UPLOAD_URL_SECONDS,
    is_expired,
    is_upload_id,
    new_upload_id,
    upload_key,
)
from core.models.errors import ApiError, ErrorCode, invalid_parameter
from core.models.http_bodies import UploadCreated, UploadRequest
from core.settings import Settings


def create_upload(body: bytes, key_id: str, settings: Settings) -> UploadCreated:
    request = _parse(body)
    if request.content_length > MAX_UPLOAD_BYTES:
        raise ApiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"An upload is at most {MAX_UPLOAD_BYTES} bytes.",
            {"parameter": "content_length", "limit_bytes": MAX_UPLOAD_BYTES},
        )
    upload_id = new_upload_id()
    post = UploadStore(settings.media_bucket).presigned_post(
        upload_key(key_id, upload_id), request.content_type, request.content_length, UPLOAD_URL_SECONDS
    )
    return UploadCreated(
        upload_id=upload_id,
        url=post["url"],
        fields=post["fields"],
        expires_at=datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=UPLOAD_URL_SECONDS),
        max_bytes=MAX_UPLOAD_BYTES,
    )


def _parse(body: bytes) -> UploadRequest:
    try:
        document = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise invalid_parameter("body", "The request body is not valid JSON.") from error
    if not isinstance(document, dict):
        raise invalid_parameter("body", "The JSON body must be an object.")
    try:
        return UploadRequest.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        parameter = str(first["loc"][0]) if first.get("loc") else "body"
        if parameter == "content_type":
            message = "content_type must be image/jpeg, image/png or image/webp."
        else:
            message = f"{parameter} is required and must be a positive whole number of bytes."
        raise invalid_parameter(parameter, message) from error


def read_upload(upload_id: str, parameter: str, key_id: str, settings: Settings) -> bytes:
    """The bytes of this key's upload, or 400 invalid_parameter naming the field: an id that is malformed,
    unknown, another key's, not uploaded yet or expired."""
    found: StoredUpload | int | None = None
    if is_upload_id(upload_id):
        found = UploadStore(settings.media_bucket).read(upload_key(key_id, upload_id), MAX_UPLOAD_BYTES)
    if isinstance(found, int):  # S3 enforces the POST's size condition; this catches anything else
        raise ApiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"The upload named in {parameter} is too large.",
            {"parameter": parameter, "limit_bytes": MAX_UPLOAD_BYTES},
        )
    if found is None:
        raise invalid_parameter(
            parameter, f"{parameter} names no finished upload of this API key (unknown, or not uploaded yet)."
        )
    if is_expired(found.uploaded_at, datetime.now(UTC)):
        raise invalid_parameter(parameter, f"The upload named in {parameter} has expired.")
    return found.data
