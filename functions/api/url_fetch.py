"""Fetch an image named by URL without letting a client reach our own network (SSRF).

The host is resolved once, every address is checked against the policy, and the connection goes to
the checked address (so a second DNS answer cannot swap in 127.0.0.1). Redirects are followed by
hand, each target checked again. The body is streamed and cut at the size limit.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3

from functions.api.limits import MAX_URL_IMAGE_BYTES
from functions.core.errors import ApiError, ErrorCode, invalid_parameter

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IpAddress], bool]

MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


def public_addresses_only(address: IpAddress) -> bool:
    """Only globally routable unicast addresses: no loopback, link-local (cloud metadata), private,
    reserved, multicast, unspecified or shared (CGNAT) ranges, IPv4-mapped IPv6 judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class UrlFetcher:
    policy: AddressPolicy = public_addresses_only
    timeout_seconds: float = 10.0
    max_bytes: int = MAX_URL_IMAGE_BYTES

    def fetch(self, url: str, parameter: str) -> bytes:
        for _ in range(MAX_REDIRECTS + 1):
            response = self._request(url, parameter)
            try:
                if response.status in {301, 302, 303, 307, 308}:
                    location = response.headers.get("Location")
                    if not location:
                        raise _unreachable(parameter, "redirected without a location")
                    url = urljoin(url, location)
                    continue
                if response.status != 200:
                    raise _unreachable(parameter, f"answered HTTP {response.status}")
                return self._read_capped(response, parameter)
            finally:
                response.release_conn()
        raise _unreachable(parameter, "redirected too many times")

    def _request(self, url: str, parameter: str) -> urllib3.BaseHTTPResponse:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise invalid_parameter(parameter, f"{parameter} must be an https:// URL or a data: URI.")
        if parts.username or parts.password:
            raise invalid_parameter(parameter, f"{parameter} must not carry credentials.")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = self._checked_address(parts.hostname, port, parameter)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        timeout = urllib3.Timeout(connect=self.timeout_seconds, read=self.timeout_seconds)
        pool: urllib3.HTTPConnectionPool
        if parts.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                port,
                server_hostname=parts.hostname,
                assert_hostname=parts.hostname,
                timeout=timeout,
                retries=False,
                cert_reqs="CERT_REQUIRED",
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
        host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        try:
            return pool.urlopen(
                "GET",
                path,
                headers={"Host": host_header, "Accept": "image/*"},
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
        except urllib3.exceptions.HTTPError as error:
            raise _unreachable(parameter, "could not be fetched") from error

    def _checked_address(self, hostname: str, port: int, parameter: str) -> str:
        try:
            infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise _unreachable(parameter, "names a host that does not resolve") from error
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        if not addresses or not all(self.policy(a) for a in addresses):
            raise invalid_parameter(parameter, f"{parameter} points at an address that is not allowed.")
        return str(addresses[0])

    def _read_capped(self, response: urllib3.BaseHTTPResponse, parameter: str) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(parameter, self.max_bytes)
        body = bytearray()
        try:
            for chunk in response.stream(_CHUNK):
                body += chunk
                if len(body) > self.max_bytes:
                    raise _too_large(parameter, self.max_bytes)
        except urllib3.exceptions.HTTPError as error:
            raise _unreachable(parameter, "could not be read") from error
        return bytes(body)


def _unreachable(parameter: str, why: str) -> ApiError:
    return invalid_parameter(parameter, f"The image URL in {parameter} {why}.")


def _too_large(parameter: str, limit: int) -> ApiError:
    return ApiError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The image at {parameter} is larger than {limit} bytes.",
        {"parameter": parameter, "limit_bytes": limit},
    )
