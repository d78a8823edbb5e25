"""Rate-limit middleware: whether the caller's plan allows this request, and the X-RateLimit-* headers.

Every authenticated submission is counted before validation, accepted or not. Status polls are not
counted against the plan but held to a few per second per key.

Every answer to a valid key carries X-RateLimit-Limit/Remaining/Reset. Powertools runs exception
handlers outside the middleware chain, so the limit middleware adds its headers to an ApiError before
re-raising it, and leaves them in app.context (`rate_limit_headers(app)`) for the handler of unexpected
errors.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from core.adapters.rate_limit_table import RateLimitTable
from core.clock import utc_now
from core.logic.rate_limit import Decision, RateLimiter, WindowKind
from core.models.errors import ApiError, ErrorCode
from core.settings import get_settings
from functions.api.auth import current_key

RATE_LIMIT_HEADERS_CONTEXT = "rate_limit_headers"


def rate_limit_headers(app: APIGatewayRestResolver) -> dict[str, str]:
    """The X-RateLimit-* headers decided for this request ({} before the limit middleware ran)."""
    return dict(app.context.get(RATE_LIMIT_HEADERS_CONTEXT) or {})


def limiter() -> RateLimiter:
    return RateLimiter(RateLimitTable(get_settings().rate_limits_table))


def limit_submissions(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Count this submission against the key's plan (before validation), or answer 429."""
    return _apply(limiter().consume(current_key(app)), app, next_middleware)


def report_usage(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """For routes that count nothing (uploads, verify): the headers of the key's usage as it stands."""
    return _apply(_usage_now(app), app, next_middleware)


def usage_headers(app: APIGatewayRestResolver) -> dict[str, str]:
    """The key's X-RateLimit-* headers, read without counting (an idempotent replay's answer)."""
    return headers_for(_usage_now(app))


def _usage_now(app: APIGatewayRestResolver) -> Decision:
    now = utc_now()
    return Decision(allowed=True, usage=limiter().usage(current_key(app), now), decided_at=now)


def limit_status_polls(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Hold status polls to the per-second rate (they do not count against the plan)."""
    return _apply(limiter().admit_status_poll(current_key(app)), app, next_middleware)


def headers_for(decision: Decision) -> dict[str, str]:
    """The contract's headers: the window (hour or day) with fewer requests left; Retry-After on a refusal."""
    window = decision.usage.tightest
    headers = {
        "X-RateLimit-Limit": str(window.limit),
        "X-RateLimit-Remaining": str(window.remaining),
        "X-RateLimit-Reset": str(window.reset_at),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(decision.retry_after_seconds)
    return headers


def rate_limit_error(decision: Decision) -> ApiError:
    refused = decision.refused_by
    assert refused is not None
    if refused.window.kind is WindowKind.SECOND:
        message = f"Too many status requests: at most {refused.limit} per second. Please slow down."
    else:
        message = "You have exceeded your rate limit. Please try again later."
    details = {"reset_at": decision.retry_at, "window": refused.window.kind.value, "limit": refused.limit}
    return ApiError(ErrorCode.RATE_LIMIT_EXCEEDED, message, details, headers=headers_for(decision))


def _apply(decision: Decision, app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    headers = headers_for(decision)
    app.append_context(**{RATE_LIMIT_HEADERS_CONTEXT: headers})
    if not decision.allowed:
        raise rate_limit_error(decision)
    try:
        response = next_middleware(app)
    except ApiError as error:
        error.headers.update(headers)
        raise
    response.headers.update(headers)
    return response
