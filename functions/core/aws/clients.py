"""boto3 clients and resources, made once per process.

Endpoints come from boto3's own configuration (AWS_ENDPOINT_URL and friends), so the same code talks to
moto on 127.0.0.1 in tests and the local stack, and to AWS in a stage. No endpoint code of our own.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from functions.core.fault_injection import attach

_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"max_attempts": 4, "mode": "standard"},
    # Virtual-host addressing breaks against a loopback endpoint; path style works everywhere.
    s3={"addressing_style": "path"},
    signature_version="s3v4",
)


@cache
def client(service: str) -> Any:
    # attach: the local stack's fault-injection tests can fail calls here (inert anywhere else).
    return attach(boto3.session.Session().client(service, config=_CONFIG))


# Health probes must answer well inside API Gateway's 29 s: short timeouts, no retries.
_PROBE_CONFIG = _CONFIG.merge(Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1}))


@cache
def probe_client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_PROBE_CONFIG)


@cache
def dynamodb_table(name: str) -> Any:
    resource = boto3.session.Session().resource("dynamodb", config=_CONFIG)
    attach(resource.meta.client)
    return resource.Table(name)


def reset() -> None:
    """Forget cached clients (tests that move AWS_ENDPOINT_URL between servers)."""
    client.cache_clear()
    probe_client.cache_clear()
    dynamodb_table.cache_clear()
