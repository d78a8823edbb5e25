"""Fetch an image named by URL without letting a client reach our own network (SSRF).

The host is resolved once, every address is checked against the policy, and the connection goes to
the checked address (so a second DNS answer cannot swap in 127.0.0.1). Redirects are followed by
hand, each target checked again. The body is streamed and cut at the size limit, and the whole fetch
(every redirect included) has one deadline, so a server trickling bytes cannot hold the function.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import SplitResult, quote, urljoin, urlsplit

import urllib3

from functions.api.limits import MAX_URL_IMAGE_BYTES
from functions.core.errors import ApiError, ErrorCode, invalid_parameter

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IpAddress], bool]

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_PRINTABLE_ASCII = "".join(chr(code) for code in range(33, 127))
# What a remote server can make the HTTP stack raise: each is the client's bad URL, never our 500.
_NETWORK_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError)


def public_addresses_only(address: IpAddress) -> bool:
    """Only globally routable unicast addresses: no loopback, link-local (cloud metadata), private,
    reserved, multicast, unspecified or shared (CGNAT) ranges, IPv4-mapped IPv6 judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class _Target(NamedTuple):
    scheme: str
    hostname: str
    port: int
    explicit_port: bool
    path: str


@dataclass(frozen=True)
class UrlFetcher:
    policy: AddressPolicy = public_addresses_only
    timeout_seconds: float = 10.0  # for the whole fetch, redirects included
    max_bytes: int = MAX_URL_IMAGE_BYTES

    def fetch(self, url: str, parameter: str) -> bytes:
        deadline = time.monotonic() + self.timeout_seconds
        for _ in range(MAX_REDIRECTS + 1):
            target = _parse(url, parameter)
            address = self._checked_address(target, parameter)
            pool = self._pool(target, address, deadline, parameter)
            try:
                response = self._get(pool, target, parameter)
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
            finally:
                pool.close()
        raise _unreachable(parameter, "redirected too many times")

    def _checked_address(self, target: _Target, parameter: str) -> str:
        try:
            infos = socket.getaddrinfo(target.hostname, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise _unreachable(parameter, "names a host that does not resolve") from error
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses or not all(self.policy(a) for a in addresses):
            raise invalid_parameter(parameter, f"{parameter} points at an address that is not allowed.")
        return str(addresses[0])

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

    def _get(
        self, pool: urllib3.HTTPConnectionPool, target: _Target, parameter: str
    ) -> urllib3.BaseHTTPResponse:
        host = f"[{target.hostname}]" if ":" in target.hostname else target.hostname
        host_header = f"{host}:{target.port}" if target.explicit_port else host
        try:
            return pool.urlopen(
                "GET",
                target.path,
                headers={"Host": host_header, "Accept": "image/*"},
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
        except _NETWORK_ERRORS as error:
            raise _unreachable(parameter, "could not be fetched") from error

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


def _parse(url: str, parameter: str) -> _Target:
    """Scheme, host, port and path of an http(s) URL; anything else is the client's invalid_parameter."""
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError as error:  # an unclosed IPv6 bracket, a port that is not 0..65535
        raise invalid_parameter(parameter, f"{parameter} is not a valid URL.") from error
    if parts.scheme not in {"http", "https"} or not hostname:
        raise invalid_parameter(parameter, f"{parameter} must be an https:// URL or a data: URI.")
    if parts.username or parts.password:
        raise invalid_parameter(parameter, f"{parameter} must not carry credentials.")
    if any(ord(c) < 33 or ord(c) == 127 for c in parts.path + parts.query):
        raise invalid_parameter(parameter, f"{parameter} has spaces or control characters in its path.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path = quote(path, safe=_PRINTABLE_ASCII)  # a non-ASCII path is sent percent-encoded, as browsers do
    default_port = 443 if parts.scheme == "https" else 80
    return _Target(parts.scheme, hostname, port or default_port, port is not None, path)


def _unreachable(parameter: str, why: str) -> ApiError:
    return invalid_parameter(parameter, f"The image URL in {parameter} {why}.")


def _too_large(parameter: str, limit: int) -> ApiError:
    return ApiError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The image at {parameter} is larger than {limit} bytes.",
        {"parameter": parameter, "limit_bytes": limit},
    )
