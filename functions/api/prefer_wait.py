"""`Prefer: wait=N` on submissions (RFC 7240; README: API): hold the 201 up to N s and, if the task ends
in time, answer 200 with its status instead. Runs outside the idempotency middleware, so a replayed 201
can be waited on too."""

from __future__ import annotations

import json
import time
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from core.adapters.task_table import TaskTable
from core.models.task import TaskStatus
from core.settings import get_settings
from functions.api import status
from functions.api.auth import current_key

MAX_WAIT_SECONDS = 20
# The function answers on its own this long before its timeout (template ApiFunction Timeout).
ANSWER_MARGIN_SECONDS = 2.0
_FINAL = {TaskStatus.COMPLETED, TaskStatus.FAILED}
_POLL_FIRST, _POLL_MAX = 0.2, 1.0


def parse_prefer_wait(header: str | None) -> int | None:
    """N from `Prefer: wait=N` (1 <= N <= 20, among other preferences); anything else is ignored (None)."""
    if not header:
        return None
    for preference in header.split(","):
        token = preference.split(";", 1)[0]
        name, _, value = token.partition("=")
        if name.strip().lower() != "wait":
            continue
        value = value.strip().strip('"')
        if value.isascii() and value.isdigit() and len(value) <= 2 and 1 <= int(value) <= MAX_WAIT_SECONDS:
            return int(value)
        return None
    return None


def prefer_wait(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    seconds = parse_prefer_wait(app.current_event.headers.get("prefer"))
    response = next_middleware(app)
    if seconds is None or response.status_code != HTTPStatus.CREATED:
        return response
    task_id = _body(response)["task_id"]
    budget = float(seconds)
    if app.lambda_context is not None:
        budget = min(budget, app.lambda_context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_SECONDS)
    key_id = current_key(app).key_id
    if not wait_until_final(task_id, budget):
        return response
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    return Response(
        status_code=HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=status.task_view(task_id, key_id, get_settings()).body(),
        headers={**headers, "Preference-Applied": f"wait={seconds}"},
    )


def wait_until_final(task_id: str, budget_seconds: float) -> bool:
    """True once the task is completed or failed; False when `budget_seconds` ran out first."""
    tasks = TaskTable(get_settings().tasks_table)
    deadline = time.monotonic() + budget_seconds
    pause = _POLL_FIRST
    while True:
        task = tasks.get(task_id)
        if task is not None and task.status in _FINAL:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, _POLL_MAX)


def _body(response: Response[Any]) -> dict[str, Any]:
    body = response.body
    parsed: dict[str, Any] = json.loads(body) if isinstance(body, str | bytes) else (body or {})
    return parsed
