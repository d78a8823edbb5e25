"""Typed exceptions: one class per documented error code, built from the API's error envelope
`{"success": false, "error": {"code", "message", "details"}}`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar


class FaceSwapError(Exception):
    """Base of every error this package raises."""

    exit_code: ClassVar[int] = 1  # the `faceswap` CLI's exit status for this kind of error


class TransportError(FaceSwapError):
    """The API could not be reached, or answered something that is not the API's JSON."""


class WaitTimeout(FaceSwapError):
    """Task.wait() ran out of time before the task finished (the task goes on; wait again later)."""

    exit_code = 8


class WebhookVerificationError(FaceSwapError):
    """A webhook's signature, id or timestamp did not verify (see faceswap_sdk.webhooks)."""

    exit_code = 3


class ApiError(FaceSwapError):
    """An error answer of the API, or the error of a failed task (then `task` is set)."""

    code: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        task: Any = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.details: dict[str, Any] = dict(details or {})
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.task = task  # the failed Task, when the error is a task's
        if code is not None:
            self.code = code  # type: ignore[misc]  # an undocumented code keeps its own name

    @property
    def request_id(self) -> str | None:
        return self.details.get("request_id")

    def __str__(self) -> str:
        where = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{self.code}: {self.message}{where}"


class InvalidParameterError(ApiError):
    code = "invalid_parameter"
    exit_code = 3

    @property
    def parameter(self) -> str | None:
        return self.details.get("parameter")


class ApiKeyRequiredError(ApiError):
    code = "api_key_required"
    exit_code = 4


class InvalidApiKeyError(ApiError):
    code = "invalid_api_key"
    exit_code = 4


class ForbiddenError(ApiError):
    code = "forbidden"
    exit_code = 4


class NotFoundError(ApiError):
    code = "not_found"
    exit_code = 5


class PayloadTooLargeError(ApiError):
    code = "payload_too_large"
    exit_code = 3


class RateLimitExceededError(ApiError):
    code = "rate_limit_exceeded"
    exit_code = 6

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait: Retry-After, else details.retry_after, else until details.reset_at."""
        for value in (self.headers.get("retry-after"), self.details.get("retry_after")):
            try:
                if value is not None:
                    return max(0.0, float(value))
            except ValueError:
                pass
        reset_at = self.details.get("reset_at")
        if isinstance(reset_at, int | float):
            return max(0.0, reset_at - time.time())
        return None


class NoFaceDetectedError(ApiError):
    code = "no_face_detected"
    exit_code = 3


class FaceCountMismatchError(ApiError):
    code = "face_count_mismatch"
    exit_code = 3


class FaceIndexOutOfRangeError(ApiError):
    code = "face_index_out_of_range"
    exit_code = 3


class InvalidImageFormatError(ApiError):
    code = "invalid_image_format"
    exit_code = 3


class WebhookSecretMissingError(ApiError):
    code = "webhook_secret_missing"
    exit_code = 3


class IdempotencyKeyReusedError(ApiError):
    code = "idempotency_key_reused"
    exit_code = 3


class IdempotencyKeyInProgressError(ApiError):
    code = "idempotency_key_in_progress"
    exit_code = 6


class ServerError(ApiError):
    code = "server_error"
    exit_code = 1


class QueueTimeoutError(ApiError):
    """A task no worker took in time (a failed task's code only): submit again."""

    code = "queue_timeout"
    exit_code = 7


ERRORS_BY_CODE: dict[str, type[ApiError]] = {
    cls.code: cls
    for cls in (
        InvalidParameterError,
        ApiKeyRequiredError,
        InvalidApiKeyError,
        ForbiddenError,
        NotFoundError,
        PayloadTooLargeError,
        RateLimitExceededError,
        NoFaceDetectedError,
        FaceCountMismatchError,
        FaceIndexOutOfRangeError,
        InvalidImageFormatError,
        WebhookSecretMissingError,
        IdempotencyKeyReusedError,
        IdempotencyKeyInProgressError,
        ServerError,
        QueueTimeoutError,
    )
}


def error_from_body(
    error: Mapping[str, Any],
    *,
    status_code: int | None = None,
    headers: Mapping[str, str] | None = None,
    task: Any = None,
) -> ApiError:
    """The typed exception for an envelope's `error` object (or a failed task's `error`)."""
    code = str(error.get("code") or "")
    message = str(error.get("message") or "The API answered with an error.")
    details = error.get("details") if isinstance(error.get("details"), Mapping) else None
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        fallback = ServerError if (status_code or 500) >= 500 else ApiError
        return fallback(
            message, status_code=status_code, details=details, headers=headers, task=task, code=code
        )
    return cls(message, status_code=status_code, details=details, headers=headers, task=task)
