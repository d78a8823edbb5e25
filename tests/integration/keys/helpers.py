"""Plain helpers for keys and limits: a clock moved by hand, the key maker's type, a handler served
over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from core.models.api_key import ApiKeyRecord
from infra.local.http_adapter import ApiServer, LambdaHandler


class HandClock:
    """A frozen UTC clock that only moves when a test says so."""

    def __init__(self, start: str = "2026-03-01T10:20:00") -> None:
        self.now = self.parse(start)

    @staticmethod
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    def set(self, text: str) -> None:
        self.now = self.parse(text)

    def __call__(self) -> datetime:
        return self.now


MakeKey = Callable[..., tuple[str, ApiKeyRecord]]


@contextmanager
def serving(handler: LambdaHandler) -> Iterator[str]:
    """The handler behind the local stack's API Gateway stand-in on 127.0.0.1; yields its base URL."""
    server = ApiServer(0, handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
