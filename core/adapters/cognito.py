"""Amazon Cognito user pool adapter for the dashboard's accounts.

Sign-up, confirmation and sign-in (USER_PASSWORD_AUTH) are Cognito's public, unauthenticated calls; the
tokens Cognito issues are verified here, server-side, before any dashboard route runs: RS256 signature
against the pool's JWKS, issuer, audience (ID token) or client_id (access token), expiry, token_use.
The same code runs against moto's cognito-idp locally (its JWKS is served by the moto endpoint, hence
COGNITO_JWKS_URL) and against Cognito on a stage.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from core.adapters.clients import client
from core.models.errors import ApiError, ErrorCode, invalid_parameter

# How long a fetched JWKS is trusted before it is read again (Cognito rotates keys rarely; an unknown
# kid triggers one early re-read).
JWKS_MAX_AGE_SECONDS = 3600.0
JWKS_MIN_REFRESH_SECONDS = 60.0
# Clock skew tolerated on exp/iat between Cognito and the function.
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Account:
    """The signed-in user: Cognito's `sub` is the account id keys and tasks are owned by."""

    account_id: str
    email: str | None


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    expires_in: int


def issuer_of(user_pool_id: str) -> str:
    region = user_pool_id.split("_", 1)[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def unauthorized(message: str = "Sign in again: the session is missing, invalid or expired.") -> ApiError:
    return ApiError(ErrorCode.UNAUTHORIZED, message)


class UserPool:
    """Sign-up, confirmation and sign-in through one app client (no client secret: a browser app)."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id

    def sign_up(self, email: str, password: str) -> bool:
        """Create the user; True when Cognito confirmed it at once (else a code was sent by e-mail)."""
        answer = self._call(
            "sign_up",
            ClientId=self.client_id,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        return bool(answer.get("UserConfirmed"))

    def confirm(self, email: str, code: str) -> None:
        self._call("confirm_sign_up", ClientId=self.client_id, Username=email, ConfirmationCode=code)

    def sign_in(self, email: str, password: str) -> Tokens:
        answer = self._call(
            "initiate_auth",
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        result = answer.get("AuthenticationResult")
        if not result:  # a challenge (e.g. a new password) the dashboard does not offer
            raise ApiError(ErrorCode.FORBIDDEN, "This account needs an action the dashboard cannot do.")
        return Tokens(result["IdToken"], result["AccessToken"], int(result.get("ExpiresIn", 3600)))

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = getattr(client("cognito-idp"), operation)(**params)
            return answer
        except ClientError as error:
            raise _account_error(error) from error


def _account_error(error: ClientError) -> ApiError:
    """Cognito's refusals as the contract's envelope (no internals, no hint which e-mails exist beyond
    what Cognito's own sign-up reveals)."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "UsernameExistsException":
        return invalid_parameter("email", "An account with this e-mail already exists; sign in instead.")
    if code == "InvalidPasswordException":
        return invalid_parameter(
            "password", "The password is too weak: 8+ characters with upper and lower case and digits."
        )
    if code in {"CodeMismatchException", "ExpiredCodeException"}:
        return invalid_parameter("code", "The confirmation code is wrong or has expired.")
    if code == "InvalidParameterException":
        return invalid_parameter("email", "Enter a valid e-mail address and password.")
    if code in {"NotAuthorizedException", "UserNotFoundException"}:
        return unauthorized("Wrong e-mail or password.")
    if code == "UserNotConfirmedException":
        return ApiError(ErrorCode.FORBIDDEN, "Confirm the account with the code sent by e-mail first.")
    if code in {"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"}:
        return ApiError(ErrorCode.RATE_LIMIT_EXCEEDED, "Too many attempts; wait a minute and retry.")
    return ApiError(ErrorCode.SERVER_ERROR, "The account service did not answer; retry shortly.")


def fetch_json(url: str, timeout: float = 5.0) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - a configured https/loopback URL
        document: dict[str, Any] = json.loads(answer.read())
        return document


class TokenVerifier:
    def __init__(
        self,
        user_pool_id: str,
        client_id: str,
        jwks_url: str = "",
        fetch: Callable[[str], dict[str, Any]] = fetch_json,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer_of(user_pool_id)
        self.client_id = client_id
        self.jwks_url = jwks_url or f"{self.issuer}/.well-known/jwks.json"
        self.fetch = fetch
        self.clock = clock
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def verify(self, token: str) -> Account:
        """The account a bearer token belongs to, or ApiError unauthorized."""
        try:
            decoded = jwt.decode(token, self._key_set(), algorithms=["RS256"])
        except (JoseError, ValueError):
            # Maybe a key Cognito rotated in since the last read: read the JWKS once more.
            try:
                decoded = jwt.decode(token, self._key_set(refresh=True), algorithms=["RS256"])
            except (JoseError, ValueError) as error:
                raise unauthorized() from error
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self.clock()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            sub={"essential": True},
            exp={"essential": True},
            token_use={"essential": True, "values": ["id", "access"]},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise unauthorized() from error
        # An ID token names the app client as its audience; an access token carries it as client_id.
        is_id_token = claims["token_use"] == "id"  # noqa: S105 - a claim value, not a secret
        audience = claims.get("aud") if is_id_token else claims.get("client_id")
        if audience != self.client_id:
            raise unauthorized()
        return Account(account_id=str(claims["sub"]), email=claims.get("email"))

    def _key_set(self, refresh: bool = False) -> KeySet:
        with self._lock:
            stale = self.clock() - self._fetched_at > JWKS_MAX_AGE_SECONDS
            # A refresh for an unknown kid at most once a minute: garbage tokens cannot make us hammer it.
            refresh = refresh and self.clock() - self._fetched_at > JWKS_MIN_REFRESH_SECONDS
            if self._keys is None or stale or refresh:
                try:
                    self._keys = KeySet.import_key_set(self.fetch(self.jwks_url))  # type: ignore[arg-type]
                except Exception as error:
                    raise ApiError(
                        ErrorCode.SERVER_ERROR, "Sign-in cannot be checked right now; retry shortly."
                    ) from error
                self._fetched_at = self.clock()
            return self._keys
