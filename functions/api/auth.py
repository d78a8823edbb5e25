"""Authentication middleware: who is calling (X-Api-Key -> an active key record in app.context).

Rate limiting is its own middleware (rate_limiting.py); middlewares.py puts the two in order."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from core.adapters.key_table import KeyTable
from core.logic.key_service import find_key
from core.models.api_key import ApiKeyRecord
from core.models.errors import ApiError, ErrorCode
from core.settings import get_settings

API_KEY_CONTEXT = "api_key"


def authenticate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Resolve X-Api-Key (any case) to an active key record, stored in app.context['api_key']."""
    presented = app.current_event.headers.get("x-api-key")
    if not presented or not presented.strip():
        raise ApiError(
            ErrorCode.API_KEY_REQUIRED,
            "API key is required. Please include X-Api-Key header in your request.",
        )
    record = find_key(KeyTable(get_settings().api_keys_table), presented)
    if record is None:
        raise ApiError(ErrorCode.INVALID_API_KEY, "The provided API key is invalid or has been revoked.")
    if not record.active:
        raise ApiError(ErrorCode.FORBIDDEN, "This API key is disabled. Contact support to enable it.")
    app.append_context(**{API_KEY_CONTEXT: record})
    return next_middleware(app)


def current_key(app: APIGatewayRestResolver) -> ApiKeyRecord:
    record: ApiKeyRecord = app.context[API_KEY_CONTEXT]
    return record
