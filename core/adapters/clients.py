"""boto3 clients and resources, made once per process.

Endpoints come from boto3's own configuration (AWS_ENDPOINT_URL and friends), so the same code talks to
moto on 127.0.0.1 in tests and the local stack, and to AWS in a stage. No endpoint code of our own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config

from core.logic.fault_injection import attach

if TYPE_CHECKING:  # boto3-stubs (dev extra): typed clients for the services we call
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

Service = Literal["s3", "sqs", "dynamodb", "cognito-idp", "secretsmanager"]

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


@overload
def client(service: Literal["s3"]) -> S3Client: ...
@overload
def client(service: Literal["sqs"]) -> SQSClient: ...
@overload
def client(service: Literal["dynamodb"]) -> DynamoDBClient: ...
@overload
def client(
    service: Literal["cognito-idp", "secretsmanager"],
) -> Any: ...  # no stubs installed
def client(service: Service) -> Any:
    return _client(service)


@cache
def _client(service: Service) -> Any:
    # The service is a runtime value here; the overloads above give each caller its typed client.
    make: Callable[..., Any] = boto3.session.Session().client
    # attach: the local stack's fault-injection tests can fail calls here (inert anywhere else).
    return _hooked(attach(make(service, config=_CONFIG)))


@cache
def dynamodb_table(name: str) -> Table:
    resource = boto3.session.Session().resource("dynamodb", config=_CONFIG)
    _hooked(attach(resource.meta.client))
    return resource.Table(name)


def reset() -> None:
    """Forget cached clients (tests that move AWS_ENDPOINT_URL between servers)."""
    _client.cache_clear()
    dynamodb_table.cache_clear()
