"""Who is signed in: `Authorization: Bearer <Cognito ID or access token>`, verified in the function (the
stage's Cognito authorizer checks it first; the local stack has only this check). Never X-Api-Key, never
a cookie, so there is nothing for a cross-site request to ride on."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from core.adapters.cognito import Account, TokenVerifier, unauthorized
from core.models.errors import ApiError, ErrorCode
from core.settings import get_settings

ACCOUNT_CONTEXT = "account"


@cache
def verifier(user_pool_id: str, client_id: str, jwks_url: str) -> TokenVerifier:
    """One per process: it keeps the pool's JWKS between requests."""
    return TokenVerifier(user_pool_id, client_id, jwks_url)


def current_verifier() -> TokenVerifier:
    settings = get_settings()
    if not settings.cognito_user_pool_id or not settings.cognito_client_id:
        raise ApiError(ErrorCode.SERVER_ERROR, "Dashboard sign-in is not configured on this stage.")
    return verifier(settings.cognito_user_pool_id, settings.cognito_client_id, settings.cognito_jwks_url)


def signed_in(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    header = app.current_event.headers.get("authorization") or ""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Sign in first: send Authorization: Bearer <token>.")
    app.append_context(**{ACCOUNT_CONTEXT: current_verifier().verify(token.strip())})
    return next_middleware(app)


def current_account(app: APIGatewayRestResolver) -> Account:
    account: Account = app.context[ACCOUNT_CONTEXT]
    return account
