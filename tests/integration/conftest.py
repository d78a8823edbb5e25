"""Fixtures every integration suite may use: a key on the session's tables and a call of the real API
function (the worker's quality tests submit through it)."""

from __future__ import annotations

import json

import pytest

from core.adapters.key_table import KeyTable
from core.logic.key_service import create_key
from core.models.plan import Plan
from core.settings import Settings
from infra.local.http_adapter import binary_media_types, build_event
from infra.local.lambda_context import LocalLambdaContext
from tests.integration.api.helpers import ApiAnswer, Invoke
from tests.offline_models import offline_model_dir


@pytest.fixture(scope="session")
def api_key(aws_env: dict[str, str]) -> str:
    offline_model_dir()  # the pre-check's detector
    plaintext, _ = create_key(
        KeyTable(Settings().api_keys_table),
        plan=Plan.ENTERPRISE,
        name="api-tests",
        hourly_limit=100_000,
        daily_limit=100_000,
    )
    return plaintext


@pytest.fixture()
def invoke(aws_env: dict[str, str], api_key: str) -> Invoke:
    from functions.api.handler import lambda_handler

    def call(
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        key: str | None = api_key,
        headers: dict[str, str] | None = None,
        request_id: str = "test-request",
    ) -> ApiAnswer:
        sent = [("Host", "127.0.0.1")]
        if content_type:
            sent.append(("Content-Type", content_type))
        if key is not None:
            sent.append(("X-Api-Key", key))
        sent += list((headers or {}).items())
        event = build_event(
            method=method,
            target=path,
            headers=sent,
            body=body,
            source_ip="127.0.0.1",
            binary_types=binary_media_types(),
            request_id=request_id,
        )
        answer = lambda_handler(event, LocalLambdaContext(aws_request_id=request_id))
        headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ", ".join(values)
        raw_body = answer.get("body") or ""
        return ApiAnswer(answer["statusCode"], headers, json.loads(raw_body) if raw_body else {}, raw_body)

    return call
