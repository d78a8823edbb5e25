"""Sign-up, sign-in and the server-side token checks, against moto's Cognito (real RS256 tokens)."""

from __future__ import annotations

import gzip
import json
import time
from importlib import resources
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from core.adapters.cognito import issuer_of
from tests.integration.dashboard.conftest import PASSWORD, Call


def moto_signing_key() -> RSAKey:
    """The private key moto signs its Cognito tokens with (shipped in the moto package)."""
    data = (resources.files("moto.cognitoidp") / "resources" / "jwks-private.json.gz").read_bytes()
    return RSAKey.import_key(json.loads(gzip.decompress(data)))


def forged(cognito_env: dict[str, str], key: RSAKey | None = None, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer_of(cognito_env["COGNITO_USER_POOL_ID"]),
        "sub": "someone",
        "aud": cognito_env["COGNITO_CLIENT_ID"],
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        "email": "someone@example.com",
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    signer = key or moto_signing_key()
    return jwt.encode({"alg": "RS256", "kid": signer.kid or "dummy"}, claims, signer)


def test_sign_up_confirm_and_sign_in_give_a_token_the_dashboard_accepts(dashboard: Call) -> None:
    email = "Jane.Doe@Example.com"
    created = dashboard(
        "POST", "/api/dashboard/auth/signup", json_body={"email": email, "password": PASSWORD}
    )
    assert created.status == 201 and created.body == {"success": True, "confirmed": False}
    early = dashboard("POST", "/api/dashboard/auth/signin", json_body={"email": email, "password": PASSWORD})
    assert (early.status, early.code) == (403, "forbidden")  # not confirmed yet

    assert (
        dashboard("POST", "/api/dashboard/auth/confirm", json_body={"email": email, "code": "42"}).status
        == 200
    )
    wrong = dashboard(
        "POST", "/api/dashboard/auth/signin", json_body={"email": email, "password": "Nope12345"}
    )
    assert (wrong.status, wrong.code) == (401, "unauthorized")
    signed = dashboard("POST", "/api/dashboard/auth/signin", json_body={"email": email, "password": PASSWORD})
    assert signed.status == 200 and signed.headers["Cache-Control"] == "no-store"

    for token in (signed.body["id_token"], signed.body["access_token"]):
        me = dashboard("GET", "/api/dashboard/me", token=token)
        assert me.status == 200, me.body
        assert me.body["account_id"]
    again = dashboard("POST", "/api/dashboard/auth/signup", json_body={"email": email, "password": PASSWORD})
    assert (again.status, again.code) == (400, "invalid_parameter")


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "admin": True}, "admin"),
    ],
)
def test_bad_sign_up_bodies_are_400_naming_the_field(
    dashboard: Call, body: dict[str, Any], parameter: str
) -> None:
    answer = dashboard("POST", "/api/dashboard/auth/signup", json_body=body)
    assert (answer.status, answer.code) == (400, "invalid_parameter"), answer.body
    assert answer.body["error"]["details"]["parameter"] == parameter


def test_a_forged_token_with_the_right_claims_is_accepted(
    dashboard: Call, cognito_env: dict[str, str]
) -> None:
    # The control for the refusals below: only the one changed claim makes them fail.
    answer = dashboard("GET", "/api/dashboard/me", token=forged(cognito_env))
    assert answer.status == 200 and answer.body["account_id"] == "someone"


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": int(time.time()) - 120},  # expired (past the 30 s leeway)
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"},
        {"aud": "another-app-client"},
        {"token_use": "refresh"},
        {"sub": None},
        {"token_use": "access", "aud": None},  # an access token without our client_id
    ],
    ids=["expired", "issuer", "audience", "token_use", "no-sub", "access-without-client_id"],
)
def test_tokens_failing_a_check_are_401(
    dashboard: Call, cognito_env: dict[str, str], changes: dict[str, Any]
) -> None:
    answer = dashboard("GET", "/api/dashboard/me", token=forged(cognito_env, **changes))
    assert (answer.status, answer.code) == (401, "unauthorized"), answer.body


def test_a_token_signed_by_another_key_or_tampered_with_is_401(
    dashboard: Call, cognito_env: dict[str, str]
) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "dummy"})
    answer = dashboard("GET", "/api/dashboard/me", token=forged(cognito_env, key=stranger))
    assert (answer.status, answer.code) == (401, "unauthorized")
    head, payload, signature = forged(cognito_env).split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert dashboard("GET", "/api/dashboard/me", token=f"{head}.{payload}.{flipped}").status == 401


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "Bearer not.a.jwt"])
def test_missing_or_malformed_authorization_is_401(dashboard: Call, header: str | None) -> None:
    from functions.dashboard.handler import lambda_handler
    from tests.integration.dashboard.conftest import _invoke

    headers = {"Authorization": header} if header is not None else {}
    answer = _invoke(lambda_handler, "GET", "/api/dashboard/keys", b"", headers)
    assert (answer.status, answer.code) == (401, "unauthorized")


def test_an_api_key_is_not_a_dashboard_credential(dashboard: Call, cognito_env: dict[str, str]) -> None:
    from functions.dashboard.handler import lambda_handler
    from tests.integration.dashboard.conftest import _invoke

    answer = _invoke(lambda_handler, "GET", "/api/dashboard/keys", b"", {"X-Api-Key": "fsk_anything"})
    assert answer.status == 401
