"""A small Powertools app with the real key and limit middlewares in front of one swap route and the
status route, served over HTTP by the local stack's adapter. Its swap route only checks that an image
field is present, as the first step of the real validation does, so tests can submit valid and
invalid requests cheaply; everything about keys and limits is the production code."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from core.models.errors import ApiError, ErrorBody, ErrorCode, invalid_parameter
from functions.api.auth import current_key
from functions.api.middlewares import STATUS_MIDDLEWARES, SWAP_MIDDLEWARES
from functions.api.rate_limiting import rate_limit_headers

app = APIGatewayRestResolver()


@app.post("/api/faceswap/basicswap", middlewares=SWAP_MIDDLEWARES)
def basicswap() -> Response:
    body = app.current_event.json_body if app.current_event.body else {}
    if not isinstance(body, dict) or "source_image" not in body:
        raise invalid_parameter("source_image", "source_image is required.")
    if body["source_image"] == "explode":
        raise RuntimeError("an unexpected failure")
    return Response(201, content_types.APPLICATION_JSON, json.dumps({"success": True, "task_id": "t1"}))


@app.get("/api/task-status/<task_id>", middlewares=STATUS_MIDDLEWARES)
def task_status(task_id: str) -> Response:
    if task_id == "missing":
        raise ApiError(ErrorCode.NOT_FOUND, "Task not found.")
    body = {"success": True, "task_id": task_id, "key_id": current_key(app).key_id}
    return Response(200, content_types.APPLICATION_JSON, json.dumps(body))


@app.exception_handler(ApiError)
def api_error(error: ApiError) -> Response:
    return Response(
        error.status.value, content_types.APPLICATION_JSON, json.dumps(error.body.envelope()), error.headers
    )


@app.exception_handler(Exception)
def unexpected(_: Exception) -> Response:
    body = ErrorBody(code=ErrorCode.SERVER_ERROR, message="An unexpected error occurred.")
    return Response(500, content_types.APPLICATION_JSON, json.dumps(body.envelope()), rate_limit_headers(app))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
