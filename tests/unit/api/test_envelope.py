"""Answers the API gives before any key or AWS call: unknown routes, wrong methods, CORS preflight.

These run the real handler on API Gateway REST proxy events, and need no AWS: the routing and the envelope
answer before any key is looked up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from functions.api.handler import lambda_handler
from infra.local.http_adapter import binary_media_types, build_event
from infra.local.lambda_context import LocalLambdaContext


def _call(method: str, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = build_event(
        method=method,
        target=path,
        headers=list((headers or {}).items()),
        body=b"",
        source_ip="127.0.0.1",
        binary_types=binary_media_types(),
        request_id="unit-request",
    )
    return lambda_handler(event, LocalLambdaContext(aws_request_id="unit-request"))


def _headers(answer: dict[str, Any]) -> dict[str, str]:
    """REST proxy answers carry headers in either map; names compared case-insensitively."""
    merged = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        merged[name.lower()] = ", ".join(values)
    return merged


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/api/faceswap/nothing"),
        ("POST", "/api/faceswap/basicswap/extra"),
        ("GET", "/api/faceswap/basicswap"),  # a swap route answers POST only
        ("DELETE", "/api/task-status/" + "a" * 32),
        ("POST", "/api/faceswap/BasicSwap"),
    ],
)
def test_unknown_routes_and_methods_are_404_in_the_envelope(method: str, path: str) -> None:
    answer = _call(method, path, {"X-Api-Key": "fsk_any"})
    assert answer["statusCode"] == 404
    assert _headers(answer)["content-type"] == "application/json"
    body = json.loads(answer["body"])
    assert body == {"success": False, "error": {"code": "not_found", "message": body["error"]["message"]}}
    assert body["error"]["message"]


def test_cors_preflight_is_answered_without_a_key() -> None:
    answer = _call(
        "OPTIONS",
        "/api/faceswap/faceswap2",
        {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert answer["statusCode"] == 204
    headers = _headers(answer)
    assert headers["access-control-allow-origin"] == "*"
    assert "x-ratelimit-remaining" in headers["access-control-expose-headers"].lower()


def test_the_function_answers_with_the_stages_cors_origin() -> None:
    # A fresh process, as a Lambda cold start: the API module reads CORS_ALLOW_ORIGIN (CorsAllowOrigin).
    script = (
        "import json, tests.unit.api.test_envelope as t;"
        "a = t._call('OPTIONS', '/api/faceswap/basicswap',"
        " {'Origin': 'https://app.example', 'Access-Control-Request-Method': 'POST'});"
        "b = t._call('GET', '/api/nothing', {'Origin': 'https://app.example'});"
        "print(json.dumps([t._headers(a).get('access-control-allow-origin'),"
        " t._headers(b).get('access-control-allow-origin')]))"
    )
    env = {
        **os.environ,
        "CORS_ALLOW_ORIGIN": "https://app.example",
        "POWERTOOLS_METRICS_NAMESPACE": "FaceSwap",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["https://app.example", "https://app.example"]
