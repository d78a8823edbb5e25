"""Which webhook URLs we send to: the rules of image URL fetches (core.adapters.url_fetch), so a webhook
can never reach our own network. Stages: https on 443 to public addresses only. The local stack sets
WEBHOOK_ALLOW_LOOPBACK for receivers on 127.0.0.1 (http, any port); private ranges stay refused."""

from __future__ import annotations

from core.adapters.url_fetch import IpAddress, UrlFetcher, public_addresses_only
from core.models.api_key import ApiKeyRecord
from core.models.errors import ApiError, ErrorCode, invalid_parameter

MAX_WEBHOOK_URL_LENGTH = 2048
# The submission's DNS check of the webhook host: short, as it comes on top of the image URLs' own
# budget (URL_FETCH_TIMEOUT_SECONDS) inside the API function's 20 s.
WEBHOOK_CHECK_SECONDS = 2.0
PARAMETER = "webhook_url"


def _public_or_loopback(address: IpAddress) -> bool:
    return public_addresses_only(address) or address.is_loopback


def webhook_fetcher(*, timeout_seconds: float, allow_loopback: bool) -> UrlFetcher:
    policy = _public_or_loopback if allow_loopback else public_addresses_only
    return UrlFetcher(policy=policy, timeout_seconds=timeout_seconds, allow_http=allow_loopback)


def check_webhook_url(
    value: object, key: ApiKeyRecord, *, timeout_seconds: float, allow_loopback: bool
) -> str | None:
    """The submission's webhook_url, checked (None when not given). Raises the contract's 400s."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_WEBHOOK_URL_LENGTH:
        raise invalid_parameter(
            PARAMETER, f"webhook_url must be a URL of at most {MAX_WEBHOOK_URL_LENGTH} characters."
        )
    url = value.strip()
    if not key.webhook_secret:
        raise ApiError(
            ErrorCode.WEBHOOK_SECRET_MISSING,
            "This API key has no webhook signing secret yet; create one with POST /api/webhooks/secret.",
        )
    fetcher = webhook_fetcher(timeout_seconds=timeout_seconds, allow_loopback=allow_loopback)
    try:
        fetcher.checked_destination(url, PARAMETER)
    except ApiError as error:
        # Every refusal of the URL itself is the client's invalid_parameter naming webhook_url.
        message = error.body.message.replace("image URL", "URL").replace(" or a data: URI", "")
        raise invalid_parameter(PARAMETER, message) from error
    return url
