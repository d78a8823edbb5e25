"""Call the real dashboard function (and the API function, to see keys take effect) with API Gateway
proxy events, against the session's moto server with the template's Cognito user pool in it."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from core.settings import get_settings
from infra.local.cognito import create_user_pool
from infra.local.http_adapter import binary_media_types, build_event
from infra.local.lambda_context import LocalLambdaContext

PASSWORD = "Faceswap2026"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def code(self) -> str | None:
        return (self.body.get("error") or {}).get("code")


Call = Callable[..., Answer]


@pytest.fixture(scope="session")
def cognito_env(aws_env: dict[str, str]) -> dict[str, str]:
    env = create_user_pool(aws_env["AWS_ENDPOINT_URL"], stage="test")
    os.environ.update(env)
    get_settings.cache_clear()
    return env


def _invoke(
    handler: Callable[..., dict[str, Any]], method: str, path: str, body: bytes, headers: dict[str, str]
) -> Answer:
    event = build_event(
        method=method,
        target=path,
        headers=[("Host", "127.0.0.1"), *headers.items()],
        body=body,
        source_ip="127.0.0.1",
        binary_types=binary_media_types(),
        request_id="dashboard-test",
    )
    answer = handler(event, LocalLambdaContext(aws_request_id="dashboard-test"))
    raw = answer.get("body") or ""
    headers = dict(answer.get("headers") or {})
    headers |= {name: ", ".join(values) for name, values in (answer.get("multiValueHeaders") or {}).items()}
    return Answer(answer["statusCode"], json.loads(raw) if raw else {}, headers)


@pytest.fixture()
def dashboard(cognito_env: dict[str, str]) -> Call:
    """dashboard(method, path, json=..., token=..., body=..., content_type=...)."""
    from functions.dashboard.handler import lambda_handler

    def call(
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        token: str | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Answer:
        headers: dict[str, str] = {}
        if json_body is not None:
            body, content_type = json.dumps(json_body).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return _invoke(lambda_handler, method, path, body, headers)

    return call


@pytest.fixture()
def public_api(cognito_env: dict[str, str]) -> Callable[[str, str], Answer]:
    """An empty submission to the public API with a key (counted against the plan before validation)."""
    from functions.api.handler import lambda_handler

    def submit(key: str, path: str = "/api/faceswap/basicswap") -> Answer:
        return _invoke(lambda_handler, "POST", path, b"", {"X-Api-Key": key})

    return submit


@pytest.fixture()
def new_account(dashboard: Call) -> Callable[[], str]:
    """Sign up, confirm and sign in a fresh account; return its ID token."""

    def make() -> str:
        email = f"user-{secrets.token_hex(4)}@example.com"
        assert (
            dashboard(
                "POST", "/api/dashboard/auth/signup", json_body={"email": email, "password": PASSWORD}
            ).status
            == 201
        )
        assert (
            dashboard("POST", "/api/dashboard/auth/confirm", json_body={"email": email, "code": "1"}).status
            == 200
        )
        signed = dashboard(
            "POST", "/api/dashboard/auth/signin", json_body={"email": email, "password": PASSWORD}
        )
        assert signed.status == 200, signed.body
        return str(signed.body["id_token"])

    return make
