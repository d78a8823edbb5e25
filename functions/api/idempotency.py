"""`Idempotency-Key` on submissions (README: API). Runs between authentication and the limit middleware,
so a replay is answered before anything is counted: the same request is counted once."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from core.adapters.idempotency import KeyReused, Replay, StillRunning, run_once
from core.logic.idempotency import idempotent_request, is_valid_idempotency_key
from core.models.errors import ApiError, ErrorCode, invalid_parameter
from core.settings import get_settings
from functions.api.auth import current_key
from functions.api.rate_limiting import limit_submissions, usage_headers
from functions.api.request_body import event_body_bytes

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def idempotent_submission(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    event = app.current_event
    presented = event.headers.get(IDEMPOTENCY_KEY_HEADER.lower())
    if presented is None:
        return next_middleware(app)
    if not is_valid_idempotency_key(presented):
        # Counted like any other refused submission.
        return limit_submissions(app, cast(NextMiddleware, _refuse_key))
    request = idempotent_request(
        current_key(app).key_id,
        presented,
        event.path,
        event_body_bytes(event.body, bool(event.is_base64_encoded)),
        event.headers.get("content-type"),
    )
    fresh: list[Response[Any]] = []

    def submit() -> dict[str, Any]:
        response = next_middleware(app)  # an error raises: no record is kept, a retry runs afresh
        fresh.append(response)
        return {"status_code": response.status_code, "body": _json_body(response)}

    try:
        answer = run_once(get_settings().idempotency_table, request, submit, app.lambda_context)
    except KeyReused:
        raise ApiError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This Idempotency-Key was already used with a different request.",
            {"idempotency_key": presented},
            headers=usage_headers(app),
        ) from None
    except StillRunning:
        raise ApiError(
            ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            {"idempotency_key": presented},
            headers={**usage_headers(app), "Retry-After": "1"},
        ) from None
    if not isinstance(answer, Replay):
        return fresh[0]
    return Response(
        status_code=int(answer.answer.get("status_code", HTTPStatus.CREATED)),
        content_type=content_types.APPLICATION_JSON,
        body=answer.answer["body"],
        headers={**usage_headers(app), REPLAYED_HEADER: "true"},
    )


def _json_body(response: Response[Any]) -> Any:
    body = response.body
    return json.loads(body) if isinstance(body, str | bytes) else body


def _refuse_key(_app: APIGatewayRestResolver) -> Response[Any]:
    raise invalid_parameter(
        IDEMPOTENCY_KEY_HEADER, "Idempotency-Key must be 1-255 printable ASCII characters."
    )
