"""A throwaway HTTP server on 127.0.0.1 for URL-fetch tests, and the policy that lets a fetcher reach it."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def loopback_only(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A test policy: the one host these tests may reach (the real policy refuses it)."""
    return address.is_loopback
