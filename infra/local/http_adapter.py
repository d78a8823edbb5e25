"""A small HTTP server that plays API Gateway (REST API, Lambda proxy integration) for the local stack.

Each request becomes the event API Gateway would send: headers and multiValueHeaders, query strings,
a requestContext with a requestId, and a body that is base64-encoded when its Content-Type is one of
the API's BinaryMediaTypes (as API Gateway does). The real handler runs in-process and its answer is
written back. Bodies whose event form would pass Lambda's 6 MB limit are answered 413 in the
contract's envelope without calling the handler, as the deployed API would (there, Lambda refuses).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from core.models.errors import ApiError, ErrorBody, ErrorCode
from core.models.payload_limits import MAX_EVENT_BODY_BYTES
from infra.local.lambda_context import LocalLambdaContext
from infra.local.template import load_template, resources

logger = logging.getLogger("local_stack.api")

# Lambda's synchronous invocation payload limit; API Gateway's base64 of binary bodies counts.
LAMBDA_EVENT_BODY_LIMIT_BYTES = MAX_EVENT_BODY_BYTES
# Past the limit we still read (and drop) this much so the client gets our 413, not a reset.
_DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def binary_media_types() -> tuple[str, ...]:
    """The API's BinaryMediaTypes from template.yaml ('~1' is CloudFormation's escaped '/')."""
    template = load_template()
    declared: list[str] = list(template.get("Globals", {}).get("Api", {}).get("BinaryMediaTypes", []))
    for kind in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
        for resource in resources(kind).values():
            declared += resource.get("Properties", {}).get("BinaryMediaTypes", [])
    types = tuple(str(t).replace("~1", "/") for t in declared if isinstance(t, str))
    # Before the API is declared in the template: what the contract says the API treats as binary.
    return types or ("multipart/form-data", "image/*", "application/octet-stream")


def is_binary(content_type: str | None, types: tuple[str, ...]) -> bool:
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(mime, pattern.lower()) for pattern in types)


def build_event(
    *,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    binary_types: tuple[str, ...],
    request_id: str,
) -> dict[str, Any]:
    """The API Gateway REST proxy event for one request."""
    url = urlsplit(target)
    path = unquote(url.path) or "/"
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    for name, value in (("X-Forwarded-For", source_ip), ("X-Forwarded-Proto", "http")):
        single.setdefault(name, value)
        multi.setdefault(name, [value])
    query = parse_qsl(url.query, keep_blank_values=True)
    query_single = {k: v for k, v in query} or None
    query_multi: dict[str, list[str]] = {}
    for k, v in query:
        query_multi.setdefault(k, []).append(v)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    encoded = is_binary(content_type, binary_types)
    if not body:
        event_body = None
    elif encoded:
        event_body = base64.b64encode(body).decode("ascii")
    else:
        event_body = body.decode("utf-8", errors="replace")
    now = datetime.now(UTC)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": query_single,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "domainName": single.get("Host", single.get("host", "127.0.0.1")),
            "identity": {"sourceIp": source_ip, "userAgent": single.get("User-Agent")},
        },
        "body": event_body,
        "isBase64Encoded": bool(event_body) and encoded,
    }


def encoded_length(raw_length: int, binary: bool) -> int:
    """How long the body is once in the event (base64 grows it by 4/3, rounded up to whole quanta)."""
    return 4 * ((raw_length + 2) // 3) if binary else raw_length


class BodyTooLarge(Exception):
    def __init__(self, drained: bool) -> None:
        self.drained = drained


class ApiRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway offers
    server: ApiServer

    # http.server dispatches on do_<METHOD>; every method goes to the handler, as in a {proxy+} route.
    def do_GET(self) -> None:
        self._proxy()

    def do_POST(self) -> None:
        self._proxy()

    def do_PUT(self) -> None:
        self._proxy()

    def do_PATCH(self) -> None:
        self._proxy()

    def do_DELETE(self) -> None:
        self._proxy()

    def do_OPTIONS(self) -> None:
        self._proxy()

    def do_HEAD(self) -> None:
        self._proxy()

    def _proxy(self) -> None:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        binary = is_binary(self.headers.get("Content-Type"), self.server.binary_types)
        try:
            body = self._read_body(binary)
        except BodyTooLarge as too_large:
            error = ApiError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                "The request body is larger than the API accepts; send images by URL instead.",
                {"limit_bytes": LAMBDA_EVENT_BODY_LIMIT_BYTES},
            )
            self.close_connection = not too_large.drained
            self._send(error.status.value, {"Content-Type": "application/json"}, _json(error.body.envelope()))
            self._log(413, started)
            return
        except ValueError:
            error = ApiError(
                ErrorCode.INVALID_PARAMETER, "The request body is malformed.", {"parameter": "body"}
            )
            self.close_connection = True
            self._send(error.status.value, {"Content-Type": "application/json"}, _json(error.body.envelope()))
            self._log(400, started)
            return
        event = build_event(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            binary_types=self.server.binary_types,
            request_id=request_id,
        )
        status, headers, payload = self.server.invoke(event, request_id)
        self._send(status, headers, payload)
        self._log(status, started)

    def _read_body(self, binary: bool) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(binary)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if encoded_length(length, binary) > LAMBDA_EVENT_BODY_LIMIT_BYTES:
            drained = length <= _DRAIN_LIMIT_BYTES
            if drained:
                self._discard(length)
            raise BodyTooLarge(drained)
        return self.rfile.read(length)

    def _read_chunked(self, binary: bool) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                break
            total += size
            if total > _DRAIN_LIMIT_BYTES:
                raise BodyTooLarge(drained=False)
            chunk = self.rfile.read(size)
            self.rfile.readline(16)
            if encoded_length(total, binary) <= LAMBDA_EVENT_BODY_LIMIT_BYTES:
                parts.append(chunk)
        if encoded_length(total, binary) > LAMBDA_EVENT_BODY_LIMIT_BYTES:
            raise BodyTooLarge(drained=True)
        return b"".join(parts)

    def _discard(self, length: int) -> None:
        while length > 0:
            read = self.rfile.read(min(_CHUNK, length))
            if not read:
                break
            length -= len(read)

    def _send(self, status: int, headers: dict[str, list[str] | str], payload: bytes) -> None:
        self.send_response(status)
        for name, values in headers.items():
            if name.lower() in _HOP_BY_HOP:
                continue
            for value in values if isinstance(values, list) else [values]:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _log(self, status: int, started: float) -> None:
        logger.info(
            "%s %s -> %d (%.0f ms)", self.command, self.path, status, (time.perf_counter() - started) * 1000
        )

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)


class ApiServer(ThreadingHTTPServer):
    """Serves one Lambda handler. Calls into it one at a time: a Powertools resolver keeps the current
    event on the app object, so, as in Lambda, one execution environment handles one event at a time."""

    daemon_threads = True
    # socketserver's default backlog (5) resets bursts of simultaneous clients; API Gateway queues them.
    request_queue_size = 128

    def __init__(self, port: int, handler: LambdaHandler, host: str = "127.0.0.1") -> None:
        super().__init__((host, port), ApiRequestHandler)
        self.handler = handler
        self.binary_types = binary_media_types()
        self._invoke_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server's address
        return f"http://{host}:{port}"

    def invoke(self, event: dict[str, Any], request_id: str) -> tuple[int, dict[str, list[str] | str], bytes]:
        """Run the handler; turn its proxy response into status, headers and body bytes."""
        try:
            with self._invoke_lock:
                response = self.handler(event, LocalLambdaContext(aws_request_id=request_id))
            status = int(response["statusCode"])
            headers: dict[str, list[str] | str] = {}
            for name, value in (response.get("headers") or {}).items():
                headers[name] = [str(value)]
            for name, values in (response.get("multiValueHeaders") or {}).items():
                merged = headers.get(name, [])
                assert isinstance(merged, list)
                headers[name] = merged + [str(v) for v in values if str(v) not in merged]
            body = response.get("body") or ""
            payload = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode("utf-8")
        except Exception:
            # What API Gateway does when the function fails, in our envelope: a 500 with no internals.
            logger.exception("handler failed for request %s", request_id)
            error = ErrorBody(
                code=ErrorCode.SERVER_ERROR,
                message="An unexpected error occurred.",
                details={"request_id": request_id},
            )
            return 500, {"Content-Type": "application/json"}, _json(error.envelope())
        return status, headers, payload


def _json(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def api_handler() -> LambdaHandler:
    """The real API function, imported when the server starts (it reads settings at import)."""
    from functions.api.handler import lambda_handler

    return lambda_handler


def serve(port: int, handler: LambdaHandler | None = None) -> ApiServer:
    """Bind the server (not yet serving: call serve_forever on a thread)."""
    return ApiServer(port, handler or api_handler())
