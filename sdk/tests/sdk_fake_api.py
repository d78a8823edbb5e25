"""A scripted stand-in for the API at the HTTP level (httpx.MockTransport), for hermetic SDK tests:
each route answers from a queue of (status, JSON body, headers), and every request is kept."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from typing import Any

import httpx

BASE = "https://api.test"
Answer = tuple[int, dict[str, Any] | bytes, dict[str, str]]


class FakeApi:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], deque[Answer]] = defaultdict(deque)
        self.requests: list[httpx.Request] = []

    def answer(
        self, method: str, url: str, status: int, body: dict[str, Any] | bytes, **headers: str
    ) -> None:
        """Queue an answer; the last one of a route repeats."""
        self.routes[(method, url if url.startswith("http") else BASE + url)].append((status, body, headers))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, str(request.url.copy_with(query=None)))
        queue = self.routes.get(key)
        if not queue:
            error = {"code": "not_found", "message": "No such endpoint."}
            return httpx.Response(404, json={"success": False, "error": error})
        status, body, headers = queue.popleft() if len(queue) > 1 else queue[0]
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(
            status, content=json.dumps(body).encode(), headers={"content-type": "application/json", **headers}
        )

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def queued(task_id: str = "t" * 32) -> dict[str, Any]:
    return {
        "success": True,
        "task_id": task_id,
        "status": "queued",
        "status_url": f"/api/task-status/{task_id}",
    }


def status(state: str, task_id: str = "t" * 32, **extra: Any) -> dict[str, Any]:
    return {"success": True, "task_id": task_id, "status": state, "operation": "basicswap", **extra}


def envelope(code: str, message: str = "no", **details: Any) -> dict[str, Any]:
    return {
        "success": False,
        "error": {"code": code, "message": message, **({"details": details} if details else {})},
    }
