"""X-RateLimit-* headers for answers that count nothing (uploads, idempotent replays): the key's usage as
it stands, read without counting."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from core.clock import utc_now
from core.logic.rate_limit import Decision
from functions.api.auth import current_key
from functions.api.rate_limiting import RATE_LIMIT_HEADERS_CONTEXT, headers_for, limiter


def usage_headers(app: APIGatewayRestResolver) -> dict[str, str]:
    now = utc_now()
    usage = limiter().usage(current_key(app), now)
    return headers_for(Decision(allowed=True, usage=usage, decided_at=now))


def report_usage(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Like the limit middleware, minus the counting: every answer to a valid key carries the headers."""
    headers = usage_headers(app)
    app.append_context(**{RATE_LIMIT_HEADERS_CONTEXT: headers})
    response = next_middleware(app)
    response.headers.update(headers)
    return response
