"""moto in server mode on loopback: the real AWS wire protocol, no account, no Docker."""

from __future__ import annotations

import os
import socket
from contextlib import closing

from moto.server import ThreadedMotoServer

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


def start_moto(port: int | None = None) -> tuple[ThreadedMotoServer, str]:
    """Start moto on 127.0.0.1 in this process; return the server and its endpoint URL."""
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def point_boto3_at(endpoint: str) -> None:
    """boto3 reads AWS_ENDPOINT_URL itself; we only set it (and dummy credentials) for this process."""
    os.environ.update(LOCAL_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
