"""Fetch an image named by URL without letting a client reach our own network (SSRF).

The host is resolved once, every address is checked against the policy, and the connection goes to
a checked address (so a second DNS answer cannot swap in 127.0.0.1); the addresses are tried in turn
until one connects. Redirects are followed by hand, each target checked again. The body is streamed and
cut at the size limit. One fetcher serves one request and holds one budget for all of its URLs: DNS
lookups, connections, redirects and bodies of every image together, so a few slow URLs cannot hold the
function past API Gateway's 29 s.

On a stage only `https://` on port 443 is fetched; the local stack sets URL_FETCH_ALLOW_HTTP for its
plain-HTTP test servers. Internationalised host names are looked up in their punycode (IDNA) form.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import SplitResult, quote, urljoin, urlsplit

import urllib3

from core.models.errors import ApiError, ErrorCode, invalid_parameter
from core.models.payload_limits import MAX_URL_IMAGE_BYTES

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IpAddress], bool]
# host, port -> the addresses it resolves to (textual, as getaddrinfo gives them)
Resolver = Callable[[str, int], list[str]]

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_PRINTABLE_ASCII = "".join(chr(code) for code in range(33, 127))
# What a remote server can make the HTTP stack raise: each is the client's bad URL, never our 500.
_NETWORK_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError)

# IPv6 ranges that carry an IPv4 address in their last 32 bits (RFC 6052 NAT64, RFC 4291 IPv4-compatible,
# RFC 7915 IPv4-translated): a packet to them reaches that IPv4 address, so that address is what counts.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
# RFC 8215 local-use NAT64: translates into whatever network the operator chose; never a public target.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches by translation or tunnelling (empty for plain IPv6)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.teredo is not None:  # 2001::/32: (server, client) — the client is where packets go
        return list(address.teredo)
    if address.sixtofour is not None:  # 2002::/16
        return [address.sixtofour]
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or address in _IPV4_TRANSLATED:
        return [low32]
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # ::a.b.c.d, but not :: or ::1
        return [low32]
    return []


def public_addresses_only(address: IpAddress) -> bool:
    """Only globally routable unicast addresses: no loopback, link-local (cloud metadata), private,
    reserved, multicast, unspecified or shared (CGNAT) ranges. IPv6 forms that embed an IPv4 address
    (mapped, compatible, NAT64, 6to4, Teredo) are judged by that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        inner = embedded_ipv4(address)
        if inner:
            return all(public_addresses_only(v4) for v4 in inner)
    return address.is_global and not address.is_multicast


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


class _Target(NamedTuple):
    scheme: str
    hostname: str  # ASCII (punycode for an internationalised name)
    port: int
    explicit_port: bool
    path: str


class UrlFetcher:
    """Fetches the images of one request. `timeout_seconds` is the budget for all of them together,
    counted from the first fetch."""

    def __init__(
        self,
        policy: AddressPolicy = public_addresses_only,
        timeout_seconds: float = 10.0,
        max_bytes: int = MAX_URL_IMAGE_BYTES,
        *,
        allow_http: bool = False,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.policy = policy
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self.allow_http = allow_http  # http:// and any port: the local stack's loopback servers only
        self.resolver = resolver
        self._deadline: float | None = None

    def fetch(self, url: str, parameter: str) -> bytes:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.timeout_seconds
        deadline = self._deadline
        for _ in range(MAX_REDIRECTS + 1):
            target = _parse(url, parameter, self.allow_http)
            response, pool = self._connect(target, deadline, parameter)
            try:
                if response.status in _REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise _unreachable(parameter, "redirected without a location")
                    url = urljoin(url, location)
                    continue
                if response.status != 200:
                    raise _unreachable(parameter, f"answered HTTP {response.status}")
                return self._read_capped(response, deadline, parameter)
            finally:
                response.release_conn()
                pool.close()
        raise _unreachable(parameter, "redirected too many times")

    def checked_destination(self, url: str, parameter: str) -> tuple[_Target, list[str]]:
        """`url` parsed and its host resolved, every address checked against the policy, within this
        fetcher's budget: what fetch() connects to, for callers that send instead (webhooks)."""
        if self._deadline is None:
            self._deadline = time.monotonic() + self.timeout_seconds
        target = _parse(url, parameter, self.allow_http)
        return target, self._checked_addresses(target, self._deadline, parameter)

    def pool_for(self, target: _Target, address: str, parameter: str) -> urllib3.HTTPConnectionPool:
        """A connection pool to one checked address (TLS verified against the URL's host name)."""
        if self._deadline is None:
            self._deadline = time.monotonic() + self.timeout_seconds
        return self._pool(target, address, self._deadline, parameter)

    def _connect(
        self, target: _Target, deadline: float, parameter: str
    ) -> tuple[urllib3.BaseHTTPResponse, urllib3.HTTPConnectionPool]:
        """The response headers from the first checked address that answers."""
        addresses = self._checked_addresses(target, deadline, parameter)
        for address in addresses:
            pool = self._pool(target, address, deadline, parameter)
            try:
                return self._get(pool, target), pool
            except _NETWORK_ERRORS:
                pool.close()  # this address did not answer: the next one may
        raise _unreachable(parameter, "could not be fetched")

    def _checked_addresses(self, target: _Target, deadline: float, parameter: str) -> list[str]:
        found = _within(deadline, lambda: self.resolver(target.hostname, target.port))
        if found is None:
            raise _unreachable(parameter, "names a host that did not resolve in time")
        if isinstance(found, BaseException):
            raise _unreachable(parameter, "names a host that does not resolve") from found
        try:
            addresses = [ipaddress.ip_address(a) for a in found]
        except ValueError as error:
            raise _unreachable(parameter, "names a host that does not resolve") from error
        if not addresses or not all(self.policy(a) for a in addresses):
            raise invalid_parameter(parameter, f"{parameter} points at an address that is not allowed.")
        return [str(a) for a in addresses]

    def _pool(
        self, target: _Target, address: str, deadline: float, parameter: str
    ) -> urllib3.HTTPConnectionPool:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _unreachable(parameter, "took too long to answer")
        timeout = urllib3.Timeout(connect=left, read=left)
        if target.scheme == "https":
            # Connect to the checked address; verify the certificate against the name the client gave.
            return urllib3.HTTPSConnectionPool(
                address,
                target.port,
                server_hostname=target.hostname,
                assert_hostname=target.hostname,
                timeout=timeout,
                retries=False,
                cert_reqs="CERT_REQUIRED",
            )
        return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)

    def _get(self, pool: urllib3.HTTPConnectionPool, target: _Target) -> urllib3.BaseHTTPResponse:
        host = f"[{target.hostname}]" if ":" in target.hostname else target.hostname
        host_header = f"{host}:{target.port}" if target.explicit_port else host
        return pool.urlopen(
            "GET",
            target.path,
            headers={"Host": host_header, "Accept": "image/*"},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )

    def _read_capped(self, response: urllib3.BaseHTTPResponse, deadline: float, parameter: str) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(parameter, self.max_bytes)
        body = bytearray()
        try:
            # read1 returns what has arrived (stream() waits for a whole chunk), so the deadline is seen.
            while chunk := response.read1(_CHUNK):
                body += chunk
                if len(body) > self.max_bytes:
                    raise _too_large(parameter, self.max_bytes)
                if time.monotonic() > deadline:
                    raise _unreachable(parameter, "took too long to answer")
        except _NETWORK_ERRORS as error:
            raise _unreachable(parameter, "could not be read") from error
        return bytes(body)


def _within(deadline: float, work: Callable[[], list[str]]) -> list[str] | BaseException | None:
    """Run `work` (a DNS lookup, which has no timeout of its own) in a daemon thread until the deadline.

    Returns its result, the exception it raised, or None when the deadline came first (the thread is
    left to finish on its own; it holds no lock and writes only its own slot)."""
    outcome: list[list[str] | BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:  # the lookup's failure is reported to the caller, not raised here
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True, name="url-fetch-dns")
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    return outcome[0] if outcome else None


def _parse(url: str, parameter: str, allow_http: bool) -> _Target:
    """Scheme, host, port and path of an https URL (http too when allowed); anything else is the
    client's invalid_parameter."""
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError as error:  # an unclosed IPv6 bracket, a port that is not 0..65535
        raise invalid_parameter(parameter, f"{parameter} is not a valid URL.") from error
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes or not hostname:
        raise invalid_parameter(parameter, f"{parameter} must be an https:// URL or a data: URI.")
    if parts.username or parts.password:
        raise invalid_parameter(parameter, f"{parameter} must not carry credentials.")
    default_port = 443 if parts.scheme == "https" else 80
    if port is not None and port != default_port and not allow_http:
        raise invalid_parameter(parameter, f"{parameter} must use the default https port (443).")
    if any(ord(c) < 33 or ord(c) == 127 for c in parts.path + parts.query):
        raise invalid_parameter(parameter, f"{parameter} has spaces or control characters in its path.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        path = quote(path, safe=_PRINTABLE_ASCII)  # a non-ASCII path is sent percent-encoded, as browsers do
        ascii_host = hostname if hostname.isascii() else hostname.encode("idna").decode("ascii")
    except UnicodeError as error:  # a lone surrogate, a label IDNA cannot encode
        raise invalid_parameter(parameter, f"{parameter} is not a valid URL.") from error
    return _Target(parts.scheme, ascii_host, port or default_port, port is not None, path)


def _unreachable(parameter: str, why: str) -> ApiError:
    return invalid_parameter(parameter, f"The image URL in {parameter} {why}.")


def _too_large(parameter: str, limit: int) -> ApiError:
    return ApiError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The image at {parameter} is larger than {limit} bytes.",
        {"parameter": parameter, "limit_bytes": limit},
    )
