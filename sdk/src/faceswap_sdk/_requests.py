"""What goes over the wire, with no I/O: image inputs, submission bodies, answers turned into dicts or
typed errors, and the waiting rules of Task.wait(). The sync and async clients share all of it."""

from __future__ import annotations

import base64
import mimetypes
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from faceswap_sdk.errors import (
    ApiError,
    IdempotencyKeyInProgressError,
    RateLimitExceededError,
    ServerError,
    TransportError,
    error_from_body,
)

# A path (str or PathLike), raw bytes, or an https:// URL / data: URI the API fetches itself.
ImageInput = str | os.PathLike[str] | bytes

# Files above this go to S3 first (POST /api/uploads) where the API offers it: a multipart body of about
# 4.5 MB is the most API Gateway + Lambda accept.
LARGE_IMAGE_BYTES = 4 * 1024 * 1024
MAX_PREFER_WAIT_SECONDS = 20

# operation -> (multipart field, JSON field) of each image, in the order the methods take them.
IMAGE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "basicswap": (("srcimage", "source_image"), ("targetimage", "target_image")),
    "faceswap2": (("srcimage", "source_image"), ("targetimage", "target_image")),
    "swap1from2": (
        ("srcimage", "source_image"),
        ("targetimage1", "target_image1"),
        ("targetimage2", "target_image2"),
    ),
    "swapfacesameimage": (("srcimage", "source_image"),),
}


@dataclass
class ImagePart:
    field: str  # multipart name
    json_name: str
    url: str | None = None  # given by reference (https:// or data:)
    data: bytes | None = None
    filename: str = "image"
    content_type: str = "application/octet-stream"
    upload_id: str | None = None  # set once the bytes are in S3 (large files)

    @property
    def large(self) -> bool:
        return self.data is not None and len(self.data) > LARGE_IMAGE_BYTES


def sniff_content_type(data: bytes, filename: str = "") -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def image_part(value: ImageInput, field: str, json_name: str) -> ImagePart:
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        content_type = sniff_content_type(data)
        extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(content_type, "bin")
        return ImagePart(
            field, json_name, data=data, filename=f"{field}.{extension}", content_type=content_type
        )
    if isinstance(value, str) and value.startswith(("https://", "http://", "data:")):
        return ImagePart(field, json_name, url=value)
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        data = path.read_bytes()
        return ImagePart(
            field, json_name, data=data, filename=path.name, content_type=sniff_content_type(data, path.name)
        )
    raise TypeError(f"{field}: give a file path, bytes, or an https:// URL (got {type(value).__name__})")


def swap_index_text(swap_index: str | tuple[int, int] | list[int] | None) -> str | None:
    if swap_index is None or isinstance(swap_index, str):
        return swap_index
    first, second = swap_index
    return f"{int(first)},{int(second)}"


@dataclass
class Submission:
    operation: str
    images: list[ImagePart]
    enhance: bool = False
    swap_index: str | None = None
    webhook_url: str | None = None
    idempotency_key: str | None = None
    wait: int | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/api/faceswap/{self.operation}"

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", **self.extra_headers}
        if self.idempotency_key is not None:
            headers["Idempotency-Key"] = self.idempotency_key
        if self.wait is not None:
            if not 1 <= self.wait <= MAX_PREFER_WAIT_SECONDS:
                raise ValueError(f"wait must be 1..{MAX_PREFER_WAIT_SECONDS} seconds")
            headers["Prefer"] = f"wait={self.wait}"
        return headers

    def request_kwargs(self) -> dict[str, Any]:
        """httpx keyword arguments: JSON (`<json_name>_upload_id` for uploaded images) or multipart
        (`<field>_upload_id`)."""
        params: dict[str, Any] = {}
        if self.swap_index is not None:
            params["swap_index"] = self.swap_index
        if self.webhook_url is not None:
            params["webhook_url"] = self.webhook_url
        # JSON when any image is a URL, or when every image went to S3 first: a form with no file
        # part would go out as application/x-www-form-urlencoded, which the API does not read.
        if any(part.url for part in self.images) or all(part.upload_id for part in self.images):
            body: dict[str, Any] = {"enhance": self.enhance, **params}
            for part in self.images:
                if part.upload_id:
                    body[f"{part.json_name}_upload_id"] = part.upload_id
                elif part.url:
                    body[part.json_name] = part.url
                else:
                    assert part.data is not None
                    encoded = base64.b64encode(part.data).decode("ascii")
                    body[part.json_name] = f"data:{part.content_type};base64,{encoded}"
            return {"json": body}
        data = {"enhance": "true" if self.enhance else "false", **params}
        files = []
        for part in self.images:
            if part.upload_id:
                data[f"{part.field}_upload_id"] = part.upload_id
            else:
                files.append((part.field, (part.filename, part.data, part.content_type)))
        return {"data": data, "files": files}


def answer_body(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a 2xx answer, or the typed error of any other."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and isinstance(body, dict):
        return body
    if isinstance(body, dict) and isinstance(body.get("error"), Mapping):
        raise error_from_body(body["error"], status_code=response.status_code, headers=response.headers)
    if response.status_code >= 500:
        raise ServerError(
            f"The API answered HTTP {response.status_code} without its JSON envelope.",
            status_code=response.status_code,
            headers=response.headers,
        )
    raise TransportError(f"Unexpected answer: HTTP {response.status_code} {response.text[:200]!r}")


# ---- waiting ------------------------------------------------------------------------------------

FIRST_POLL_SECONDS = 0.5
MAX_POLL_SECONDS = 5.0


def next_poll_delay(previous: float | None) -> float:
    """0.5 s, then 1.5x each time, up to 5 s: quick tasks answer fast, long ones cost few polls."""
    return FIRST_POLL_SECONDS if previous is None else min(MAX_POLL_SECONDS, previous * 1.5)


SUBMIT_ATTEMPTS_WITH_IDEMPOTENCY_KEY = 4


def submit_retry_delay(error: Exception, attempt: int, submission: Submission) -> float | None:
    """A submission is resent only when that cannot make a second task: it carries an Idempotency-Key,
    and the first try was lost on the network or is still in flight on the server (409 in progress)."""
    if submission.idempotency_key is None or attempt >= SUBMIT_ATTEMPTS_WITH_IDEMPOTENCY_KEY:
        return None
    if isinstance(error, IdempotencyKeyInProgressError):
        after = error.headers.get("retry-after")
        return float(after) if after and after.isdigit() else 1.0
    if isinstance(error, TransportError):
        return 0.5 * float(2 ** (attempt - 1))
    return None


def retry_delay(error: Exception, now: float | None = None) -> float | None:
    """How long to wait before polling again after `error`, or None when waiting cannot help.

    429: Retry-After (or the error's retry_after / reset_at), else X-RateLimit-Reset, else 1 s.
    5xx and network errors: Retry-After when given, else the normal backoff (returned as 0)."""
    now = time.time() if now is None else now
    if isinstance(error, RateLimitExceededError):
        if error.retry_after is not None:
            return error.retry_after
        reset = error.headers.get("x-ratelimit-reset")
        if reset and reset.isdigit():
            return max(0.0, int(reset) - now)
        return 1.0
    if isinstance(error, ServerError) and error.task is None:
        after = error.headers.get("retry-after")
        return float(after) if after and after.isdigit() else 0.0
    if isinstance(error, TransportError | httpx.TransportError):
        return 0.0
    if isinstance(error, ApiError):
        return None
    return None
