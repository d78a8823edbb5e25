"""Request-path middleware: who is calling (API key), and (issue 4) whether their plan allows it.

Powertools runs exception handlers outside the middleware chain, so a middleware that must decorate
error answers (X-RateLimit-* headers) adds its headers to the ApiError before re-raising it.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from functions.core.aws.key_table import KeyTable
from functions.core.errors import ApiError, ErrorCode
from functions.core.keys import ApiKeyRecord, hash_key
from functions.core.settings import get_settings

API_KEY_CONTEXT = "api_key"


def authenticate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """Resolve X-Api-Key (any case) to an active key record, stored in app.context['api_key']."""
    presented = app.current_event.headers.get("x-api-key") or app.current_event.headers.get("X-Api-Key")
    if not presented:
        raise ApiError(
            ErrorCode.API_KEY_REQUIRED,
            "API key is required. Please include X-Api-Key header in your request.",
        )
    record = KeyTable(get_settings().api_keys_table).get(hash_key(presented.strip()))
    if record is None or not record.active:
        raise ApiError(ErrorCode.INVALID_API_KEY, "The provided API key is invalid or has been revoked.")
    app.append_context(**{API_KEY_CONTEXT: record})
    return next_middleware(app)


def current_key(app: APIGatewayRestResolver) -> ApiKeyRecord:
    return app.context[API_KEY_CONTEXT]


# The middleware chains the app puts in front of each kind of route (issue 4 adds limits to both).
SWAP_MIDDLEWARES = [authenticate]
STATUS_MIDDLEWARES = [authenticate]
