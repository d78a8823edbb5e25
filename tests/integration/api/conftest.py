"""Call the real API function with API Gateway REST proxy events, against the moto server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core.adapters.clients import client
from core.adapters.key_table import KeyTable
from core.logic.key_service import create_key
from core.models.plan import Plan
from core.settings import Settings, get_settings
from infra.local.http_adapter import binary_media_types, build_event
from infra.local.lambda_context import LocalLambdaContext
from tests.offline_models import offline_model_dir


@dataclass
class ApiAnswer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    raw_body: str = ""

    @property
    def code(self) -> str | None:
        return (self.body.get("error") or {}).get("code")


Invoke = Callable[..., ApiAnswer]


def stored_state() -> tuple[int, int]:
    """(task rows, objects under tasks/): what a refused submission must leave unchanged."""
    settings = Settings()
    tasks = client("dynamodb").scan(TableName=settings.tasks_table, Select="COUNT")["Count"]
    objects = client("s3").list_objects_v2(Bucket=settings.media_bucket, Prefix="tasks/").get("KeyCount", 0)
    return tasks, objects


@pytest.fixture()
def set_stage_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Change one of the stage's settings (a resource name, say) for one test; later tests get it back."""

    def set_env(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_env
    monkeypatch.undo()
    get_settings.cache_clear()


def multipart(fields: dict[str, bytes | str], boundary: str = "----faceswap-test") -> tuple[str, bytes]:
    chunks = []
    for name, value in fields.items():
        if isinstance(value, bytes):
            head = f'Content-Disposition: form-data; name="{name}"; filename="{name}.jpg"\r\n'
            head += "Content-Type: image/jpeg\r\n"
            data = value
        else:
            head = f'Content-Disposition: form-data; name="{name}"\r\n'
            data = value.encode()
        chunks.append(f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n")
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks) + f"--{boundary}--\r\n".encode()


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


@pytest.fixture(scope="session")
def other_key(aws_env: dict[str, str]) -> str:
    plaintext, _ = create_key(KeyTable(Settings().api_keys_table), plan=Plan.PRO, name="someone-else")
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
