"""Images named by URL: our own network stays out of reach; real fetches are capped."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from core.adapters.url_fetch import UrlFetcher, public_addresses_only
from core.models.errors import ApiError
from tests.unit.api.loopback_http import loopback_only, serving


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::",
    ],
)
def test_policy_refuses_internal_addresses(address: str) -> None:
    assert not public_addresses_only(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_policy_allows_public_addresses(address: str) -> None:
    assert public_addresses_only(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/a.jpg",
        "http://localhost/a.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::1]/a.jpg",
        "http://10.0.0.5:8080/x.png",
        "http://0x7f000001/a.jpg",
        "http://2130706433/a.jpg",
    ],
)
def test_real_policy_refuses_internal_urls_before_connecting(url: str) -> None:
    with pytest.raises(ApiError) as raised:
        UrlFetcher(allow_http=True).fetch(url, "source_image")
    assert raised.value.body.code == "invalid_parameter"
    assert raised.value.body.details == {"parameter": "source_image"}


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/a.jpg", "gopher://example.com/", "https://u:p@example.com/a"],
)
def test_non_http_schemes_and_credentials_are_refused(url: str) -> None:
    with pytest.raises(ApiError) as raised:
        UrlFetcher().fetch(url, "target_image")
    assert raised.value.body.code == "invalid_parameter"


class _Images(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    with serving(_Images) as url:
        yield url


def test_fetches_and_follows_an_allowed_redirect(image_server: str) -> None:
    _Images.routes = {
        "/a.jpg": (200, {"Content-Type": "image/jpeg"}, b"\xff\xd8 image bytes"),
        "/moved": (302, {"Location": "/a.jpg"}, b""),
    }
    fetcher = UrlFetcher(policy=loopback_only, allow_http=True)
    assert fetcher.fetch(f"{image_server}/a.jpg", "source_image") == b"\xff\xd8 image bytes"
    _Images.routes["/caf%C3%A9.jpg?v=1"] = (200, {}, b"\xff\xd8 accented")
    assert fetcher.fetch(f"{image_server}/café.jpg?v=1", "source_image") == b"\xff\xd8 accented"
    assert fetcher.fetch(f"{image_server}/moved", "source_image") == b"\xff\xd8 image bytes"


def test_redirect_into_a_refused_range_is_refused(image_server: str) -> None:
    _Images.routes = {"/evil": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")}
    with pytest.raises(ApiError) as raised:
        UrlFetcher(policy=loopback_only, allow_http=True).fetch(f"{image_server}/evil", "source_image")
    assert raised.value.body.code == "invalid_parameter"


def test_bodies_over_the_cap_are_413(image_server: str) -> None:
    _Images.routes = {"/big": (200, {}, b"x" * 5000)}
    with pytest.raises(ApiError) as raised:
        UrlFetcher(policy=loopback_only, allow_http=True, max_bytes=4096).fetch(
            f"{image_server}/big", "target_image"
        )
    assert raised.value.status == 413
    assert raised.value.body.details == {"parameter": "target_image", "limit_bytes": 4096}


def test_the_cap_holds_when_the_server_declares_no_length(image_server: str) -> None:
    # HTTP/1.0 with an empty Content-Length: the body ends at close; the stream itself is cut at the cap.
    _Images.routes = {"/unsized": (200, {"Content-Length": ""}, b"x" * 200_000)}
    with pytest.raises(ApiError) as raised:
        UrlFetcher(policy=loopback_only, allow_http=True, max_bytes=100_000).fetch(
            f"{image_server}/unsized", "source_image"
        )
    assert (raised.value.status, raised.value.body.code) == (413, "payload_too_large")
    assert raised.value.body.details == {"parameter": "source_image", "limit_bytes": 100_000}


def test_http_errors_and_redirect_loops_are_invalid_parameter(image_server: str) -> None:
    _Images.routes = {"/loop": (302, {"Location": "/loop"}, b"")}
    fetcher = UrlFetcher(policy=loopback_only, allow_http=True)
    for path in ("/nothing-here", "/loop"):
        with pytest.raises(ApiError) as raised:
            fetcher.fetch(f"{image_server}{path}", "source_image")
        assert raised.value.body.code == "invalid_parameter"


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://images.example:99999/a.jpg",
        "http://images.example:port/a.jpg",
        "http://images.example/a b.jpg",
        "http://images.example/a\r\nX-Injected: 1",
        "https:///a.jpg",
        "javascript:alert(1)",
    ],
)
def test_malformed_urls_are_invalid_parameter_not_a_server_error(url: str) -> None:
    with pytest.raises(ApiError) as raised:
        UrlFetcher().fetch(url, "target_image1")
    assert raised.value.body.code == "invalid_parameter"
    assert raised.value.body.details == {"parameter": "target_image1"}


class _Trickle(BaseHTTPRequestHandler):
    """Answers 200 and then one byte every 0.2 s: each read is quick, the whole is endless."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the fetcher gave up and closed the connection

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_trickling_bytes_is_cut_off_at_the_deadline() -> None:
    with serving(_Trickle) as base_url:
        started = time.monotonic()
        with pytest.raises(ApiError) as raised:
            UrlFetcher(policy=loopback_only, allow_http=True, timeout_seconds=1.0).fetch(
                f"{base_url}/slow.jpg", "source_image"
            )
        assert time.monotonic() - started < 3.0
        assert raised.value.body.details == {"parameter": "source_image"}


# --- IPv6 forms that carry an IPv4 address are judged by that address -----------------------------


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::808:808",  # local-use NAT64: never public
        "::7f00:1",  # IPv4-compatible ::127.0.0.1
        "::a00:1",  # ::10.0.0.1
        "::ffff:0:a9fe:a9fe",  # IPv4-translated 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_policy_judges_embedded_ipv4_by_the_ipv4(address: str) -> None:
    assert not public_addresses_only(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::808:808", "::ffff:8.8.8.8", "2002:808:808::1", "2001:0:4136:e378:8000:63bf:f7f7:f7f7"],
)
def test_policy_allows_embedded_public_ipv4(address: str) -> None:
    assert public_addresses_only(ipaddress.ip_address(address))


# --- stages: https on 443 only ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://images.example/a.jpg", "https://images.example:8443/a.jpg", "https://images.example:22/"]
)
def test_stages_fetch_only_https_on_its_default_port(url: str) -> None:
    asked: list[str] = []
    fetcher = UrlFetcher(resolver=lambda host, port: asked.append(host) or ["93.184.215.14"])
    with pytest.raises(ApiError) as raised:
        fetcher.fetch(url, "source_image")
    assert raised.value.body.code == "invalid_parameter"
    assert asked == [], "refused before any lookup"


# --- one budget per request, DNS included; every address tried; IDN hosts ---------------------------


def test_a_dns_lookup_that_hangs_is_cut_at_the_budget() -> None:
    def stuck_resolver(host: str, port: int) -> list[str]:
        time.sleep(5)
        return ["127.0.0.1"]

    fetcher = UrlFetcher(policy=loopback_only, timeout_seconds=0.5, allow_http=True, resolver=stuck_resolver)
    started = time.monotonic()
    with pytest.raises(ApiError) as raised:
        fetcher.fetch("http://slow-dns.example/a.jpg", "source_image")
    assert time.monotonic() - started < 1.5
    assert raised.value.body.details == {"parameter": "source_image"}


class _Sleepy(BaseHTTPRequestHandler):
    """Answers every GET after 0.6 s, and records the Host header it was sent."""

    hosts: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        time.sleep(0.6)
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"\xff\xd8ok")

    def log_message(self, *args: object) -> None:
        pass


def test_one_budget_covers_every_url_of_a_request() -> None:
    with serving(_Sleepy) as base_url:
        fetcher = UrlFetcher(policy=loopback_only, timeout_seconds=1.0, allow_http=True)
        assert fetcher.fetch(f"{base_url}/first.jpg", "source_image") == b"\xff\xd8ok"
        started = time.monotonic()
        with pytest.raises(ApiError) as raised:
            fetcher.fetch(f"{base_url}/second.jpg", "target_image")
        assert time.monotonic() - started < 0.9, "the second URL gets only what the first left"
        assert raised.value.body.details == {"parameter": "target_image"}


def test_every_resolved_address_is_tried_in_turn() -> None:
    with serving(_Sleepy) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        # 127.0.0.2 is loopback too, but nothing listens there: the connection is refused.
        fetcher = UrlFetcher(
            policy=loopback_only, allow_http=True, resolver=lambda host, p: ["127.0.0.2", "127.0.0.1"]
        )
        assert fetcher.fetch(f"http://two-addresses.example:{port}/a.jpg", "source_image") == b"\xff\xd8ok"


def test_internationalised_host_names_are_looked_up_and_sent_as_punycode() -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    with serving(_Sleepy) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        _Sleepy.hosts.clear()
        fetcher = UrlFetcher(policy=loopback_only, allow_http=True, resolver=resolver)
        assert fetcher.fetch(f"http://bücher.example:{port}/a.jpg", "source_image") == b"\xff\xd8ok"
    assert asked == ["xn--bcher-kva.example"]
    assert _Sleepy.hosts == [f"xn--bcher-kva.example:{port}"]


@pytest.mark.parametrize(
    "url",
    ["https://images.example/\ud800.jpg", "https://\ud800.example/a.jpg", "https://" + "a" * 70 + "ü.de/"],
)
def test_unencodable_urls_are_invalid_parameter(url: str) -> None:
    with pytest.raises(ApiError) as raised:
        UrlFetcher().fetch(url, "source_image")
    assert raised.value.body.details == {"parameter": "source_image"}
