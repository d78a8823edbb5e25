"""boto3 clients and resources, made once per process.

Endpoints come from boto3's own configuration (AWS_ENDPOINT_URL and friends), so the same code talks to
moto on 127.0.0.1 in tests and the local stack, and to AWS in a stage. No endpoint code of our own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from core.logic.fault_injection import attach

_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"max_attempts": 4, "mode": "standard"},
    # Virtual-host addressing breaks against a loopback endpoint; path style works everywhere.
    s3={"addressing_style": "path"},
    signature_version="s3v4",
)


# botocore event handlers every client made here gets: (event name, handler). The test suite records
# each AWS call the code makes this way and checks it against the template's IAM roles.
_EVENT_HANDLERS: list[tuple[str, Callable[..., Any]]] = []


def on_every_call(event_name: str, handler: Callable[..., Any]) -> None:
    """Register a botocore event handler (e.g. `before-parameter-build`) on every client made from now."""
    _EVENT_HANDLERS.append((event_name, handler))
    reset()


def _hooked(made: Any) -> Any:
    for event_name, handler in _EVENT_HANDLERS:
        made.meta.events.register(event_name, handler)
    return made


@cache
def client(service: str) -> Any:
    # attach: the local stack's fault-injection tests can fail calls here (inert anywhere else).
    return _hooked(attach(boto3.session.Session().client(service, config=_CONFIG)))


@cache
def dynamodb_table(name: str) -> Any:
    resource = boto3.session.Session().resource("dynamodb", config=_CONFIG)
    _hooked(attach(resource.meta.client))
    return resource.Table(name)


def reset() -> None:
    """Forget cached clients (tests that move AWS_ENDPOINT_URL between servers)."""
    client.cache_clear()
    dynamodb_table.cache_clear()
