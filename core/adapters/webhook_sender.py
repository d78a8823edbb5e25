"""POST one signed webhook to a customer's URL, under the same SSRF rules as image URL fetches.

The host is resolved and every address checked again at each attempt (a name that pointed at a public
address when the task was submitted may point at 169.254.169.254 now), and the connection goes to a
checked address. Redirects are not followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.adapters.url_fetch import _NETWORK_ERRORS
from core.logic.webhook_url import webhook_fetcher
from core.models.errors import ApiError


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post_webhook(
    url: str, body: bytes, headers: dict[str, str], *, timeout_seconds: float, allow_loopback: bool
) -> SendResult:
    fetcher = webhook_fetcher(timeout_seconds=timeout_seconds, allow_loopback=allow_loopback)
    try:
        target, addresses = fetcher.checked_destination(url, "webhook_url")
    except ApiError as error:
        return SendResult(None, error.body.message)
    host = f"[{target.hostname}]" if ":" in target.hostname else target.hostname
    sent = {
        **headers,
        "Host": f"{host}:{target.port}" if target.explicit_port else host,
        "Content-Type": "application/json",
        "User-Agent": "FaceSwap-Webhooks/1",
    }
    last_error = "could not connect"
    for address in addresses:
        try:
            pool = fetcher.pool_for(target, address, "webhook_url")
        except ApiError as error:
            return SendResult(None, error.body.message)
        try:
            response = pool.urlopen(
                "POST", target.path, body=body, headers=sent, redirect=False, assert_same_host=False
            )
            status = response.status
            response.drain_conn()
        except _NETWORK_ERRORS as error:
            last_error = f"{type(error).__name__}: {error}"[:300]
            continue  # this address did not answer: the next one may
        finally:
            pool.close()
        error_text = None if 200 <= status < 300 else f"the receiver answered HTTP {status}"
        return SendResult(status, error_text)
    return SendResult(None, last_error)
