"""Resolve each image a client named (bytes, data: URI or URL) and check it before anything is stored:
format and size from the header (no decoding of over-limit images), then faces (the pre-check)."""

from __future__ import annotations

import base64
import binascii
import re
from functools import cache
from pathlib import Path

from core.adapters.url_fetch import UrlFetcher
from core.models.errors import ApiError, ErrorCode, error_from_engine, invalid_parameter
from core.models.payload_limits import MAX_URL_IMAGE_BYTES
from engine_layer.decode import ImageInfo, sniff
from engine_layer.detection.ordering import require_count
from engine_layer.detection.scrfd_numpy import FaceCounter
from engine_layer.errors import EngineError

_DATA_URI = re.compile(
    r"^data:(image/[\w.+-]+)?(;[\w=.+-]+)*;base64,(?P<data>.*)$", re.DOTALL | re.IGNORECASE
)


def resolve(value: bytes | str, parameter: str, fetcher: UrlFetcher) -> bytes:
    """Bytes as sent, or the bytes a JSON value names."""
    if isinstance(value, bytes):
        return value
    text = value.strip()
    if text.lower().startswith("data:"):
        match = _DATA_URI.match(text)
        if not match:
            raise invalid_parameter(parameter, f"{parameter} must be a base64 data:image/... URI.")
        encoded = match.group("data")
        if len(encoded) * 3 // 4 > MAX_URL_IMAGE_BYTES:
            raise ApiError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"The image in {parameter} is too large.",
                {"parameter": parameter, "limit_bytes": MAX_URL_IMAGE_BYTES},
            )
        try:
            return base64.b64decode(re.sub(r"\s+", "", encoded), validate=True)
        except (binascii.Error, ValueError) as error:
            raise invalid_parameter(parameter, f"{parameter} holds invalid base64.") from error
    if text.lower().startswith(("https://", "http://")):
        return fetcher.fetch(text, parameter)
    raise invalid_parameter(parameter, f"{parameter} must be an https:// URL or a data:image/...;base64 URI.")


def check_format(data: bytes, field: str, label: str) -> ImageInfo:
    try:
        return sniff(data, field)
    except EngineError as error:
        raise _labelled(error, label) from error


@cache
def face_counter(model_path: Path) -> FaceCounter:
    """One detector session per process (Lambda keeps it warm between invocations)."""
    return FaceCounter(model_path)


def check_faces(data: bytes, field: str, label: str, expected: int, model_path: Path) -> None:
    """The same detector, threshold and background rule as the worker: answer face faults at once."""
    try:
        require_count(field, face_counter(model_path).faces_in_upload(data, field), expected)
    except EngineError as error:
        raise _labelled(error, label) from error


def _labelled(error: EngineError, label: str) -> ApiError:
    """The engine names images by multipart field; a JSON client named them otherwise."""
    body = error_from_engine(error)
    details = dict(body.details or {})
    if "image" in details:
        details["image"] = label
    return ApiError(body.code, body.message, details or None)
