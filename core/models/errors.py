"""The one error catalogue: every error answer the API gives, and the code a failed task carries."""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from engine_layer.errors import EngineError


class ErrorCode(StrEnum):
    INVALID_PARAMETER = "invalid_parameter"
    API_KEY_REQUIRED = "api_key_required"
    INVALID_API_KEY = "invalid_api_key"  # unknown or revoked (every function: within 1 s of revoking)
    UNAUTHORIZED = "unauthorized"  # dashboard only: a missing, invalid or expired Cognito token
    FORBIDDEN = "forbidden"  # a disabled key (within 1 s of disabling, until enabled again)
    NOT_FOUND = "not_found"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMIT_EXCEEDED = "rate_limit_exceeded"
    NO_FACE_DETECTED = "no_face_detected"
    FACE_COUNT_MISMATCH = "face_count_mismatch"
    FACE_INDEX_OUT_OF_RANGE = "face_index_out_of_range"
    INVALID_IMAGE_FORMAT = "invalid_image_format"
    SERVER_ERROR = "server_error"
    # Idempotency-Key (README: API): the key was used with another request, or its first request is running.
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"
    # webhook_url sent by a key that has no signing secret yet (POST /api/webhooks/secret makes one).
    WEBHOOK_SECRET_MISSING = "webhook_secret_missing"  # noqa: S105 (an error code)
    # Only ever a failed task's code (never an HTTP answer): no worker took the task within
    # TASK_MAX_QUEUED_SECONDS, so the sweeper ended it rather than let its client poll for ever.
    QUEUE_TIMEOUT = "queue_timeout"


HTTP_STATUS: dict[ErrorCode, HTTPStatus] = {
    ErrorCode.INVALID_PARAMETER: HTTPStatus.BAD_REQUEST,
    ErrorCode.API_KEY_REQUIRED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.INVALID_API_KEY: HTTPStatus.UNAUTHORIZED,
    ErrorCode.UNAUTHORIZED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.FORBIDDEN: HTTPStatus.FORBIDDEN,
    ErrorCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.PAYLOAD_TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    ErrorCode.RATE_LIMIT_EXCEEDED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.NO_FACE_DETECTED: HTTPStatus.BAD_REQUEST,
    ErrorCode.FACE_COUNT_MISMATCH: HTTPStatus.BAD_REQUEST,
    ErrorCode.FACE_INDEX_OUT_OF_RANGE: HTTPStatus.BAD_REQUEST,
    ErrorCode.INVALID_IMAGE_FORMAT: HTTPStatus.BAD_REQUEST,
    ErrorCode.SERVER_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: HTTPStatus.CONFLICT,
    ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS: HTTPStatus.CONFLICT,
    ErrorCode.WEBHOOK_SECRET_MISSING: HTTPStatus.BAD_REQUEST,
    ErrorCode.QUEUE_TIMEOUT: HTTPStatus.SERVICE_UNAVAILABLE,
}


class ErrorBody(BaseModel):
    """The `error` object of the envelope, and a failed task's `error`."""

    code: ErrorCode
    message: str
    details: dict[str, Any] | None = None

    def envelope(self) -> dict[str, Any]:
        return {"success": False, "error": self.model_dump(mode="json", exclude_none=True)}


class ApiError(Exception):
    """Raised anywhere in the request path; the API turns it into the envelope and status."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.body = ErrorBody(code=code, message=message, details=details or None)
        self.headers = headers or {}

    @property
    def status(self) -> HTTPStatus:
        return HTTP_STATUS[self.body.code]


def invalid_parameter(parameter: str, message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_PARAMETER, message, {"parameter": parameter})


def error_from_engine(error: EngineError) -> ErrorBody:
    """Engine errors carry the contract's code already; anything unknown is a server error."""
    try:
        code = ErrorCode(error.code)
    except ValueError:
        code = ErrorCode.SERVER_ERROR
    if code is ErrorCode.SERVER_ERROR:
        return ErrorBody(code=code, message="The swap could not be completed.")
    return ErrorBody(code=code, message=error.message, details=dict(error.details) or None)
