"""TokenVerifier's key handling, with keys made here and a JWKS served by a plain function: a rotated-in
key is picked up by one early re-read, and garbage tokens cannot make it re-read more than once a minute."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from core.adapters.cognito import TokenVerifier, issuer_of
from core.models.errors import ApiError

POOL, CLIENT = "us-east-1_testpool", "client-1"


class Jwks:
    """What the pool publishes, and how often it was read."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys = list(keys)
        self.reads = 0

    def __call__(self, url: str) -> dict[str, Any]:
        assert url == f"{issuer_of(POOL)}/.well-known/jwks.json"
        self.reads += 1
        return KeySet(self.keys).as_dict(private=False)


def token(key: RSAKey, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer_of(POOL), "sub": "u1", "aud": CLIENT, "token_use": "id", "exp": now + 60, **claims}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)


def test_a_key_rotated_in_is_read_once_and_garbage_does_not_hammer_the_jwks() -> None:
    old = RSAKey.generate_key(2048, parameters={"kid": "old"})
    new = RSAKey.generate_key(2048, parameters={"kid": "new"})
    jwks = Jwks(old)
    clock = [1_000.0]
    verifier = TokenVerifier(POOL, CLIENT, fetch=jwks, clock=lambda: clock[0])
    # The registry checks exp against the injected clock, so tokens expire relative to it.
    assert verifier.verify(token(old, exp=2_000)).account_id == "u1"
    assert jwks.reads == 1

    jwks.keys.append(new)
    clock[0] += 61
    assert verifier.verify(token(new, exp=2_000)).account_id == "u1"  # unknown kid: one re-read
    assert jwks.reads == 2

    for _ in range(5):
        with pytest.raises(ApiError):
            verifier.verify("not.a.token")
    assert jwks.reads == 2  # within the minute: no re-read for garbage
    assert verifier.verify(token(old, exp=2_000)).account_id == "u1"
    assert jwks.reads == 2


def test_expiry_follows_the_clock_with_30_s_leeway() -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k"})
    clock = [10_000.0]
    verifier = TokenVerifier(POOL, CLIENT, fetch=Jwks(key), clock=lambda: clock[0])
    issued = token(key, exp=10_000)
    clock[0] = 10_029
    assert verifier.verify(issued).account_id == "u1"
    clock[0] = 10_031
    with pytest.raises(ApiError) as refused:
        verifier.verify(issued)
    assert refused.value.body.code.value == "unauthorized"


def test_an_unreachable_jwks_is_a_server_error_not_a_sign_in_failure() -> None:
    def down(url: str) -> dict[str, Any]:
        raise OSError("connection refused")

    key = RSAKey.generate_key(2048, parameters={"kid": "k"})
    with pytest.raises(ApiError) as failed:
        TokenVerifier(POOL, CLIENT, fetch=down).verify(token(key))
    assert failed.value.body.code.value == "server_error"
