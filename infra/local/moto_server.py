"""moto in server mode on loopback: the real AWS wire protocol, no account, no Docker."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterable
from contextlib import closing
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _DynamoDbOneAtATime:
    """DynamoDB applies each conditional write to an item atomically; moto's threaded server does not
    (its update_item reads, checks and writes with no lock, and concurrent `ADD`s can interleave).
    Serialising DynamoDB calls gives the local stack the guarantee our rate limits rely on, while S3
    and SQS (long polls) stay concurrent."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


class LocalMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = _DynamoDbOneAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def start_moto(port: int | None = None) -> tuple[ThreadedMotoServer, str]:
    """Start moto on 127.0.0.1 in this process; return the server and its endpoint URL."""
    port = port or free_port()
    server = LocalMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def point_boto3_at(endpoint: str) -> None:
    """boto3 reads AWS_ENDPOINT_URL itself; we only set it (and dummy credentials) for this process."""
    os.environ.update(LOCAL_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
