"""Plain helpers for calling the API function: its answers, multipart bodies, and what a refused
submission must leave unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.adapters.clients import client
from core.settings import Settings


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
