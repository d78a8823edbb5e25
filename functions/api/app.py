"""The API: routes, the middleware in front of them, and the one mapping of errors to the envelope."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit

from core.adapters.webhook_store import WebhookSecrets
from core.logic.webhook_url import WEBHOOK_CHECK_SECONDS, check_webhook_url
from core.models.errors import HTTP_STATUS, ApiError, ErrorBody, ErrorCode, error_from_engine
from core.models.http_bodies import HealthBody, SubmissionAccepted, WebhookSecretCreated
from core.observability import logger
from core.settings import Settings, get_settings
from engine_layer.errors import EngineError
from engine_layer.operations import Operation
from functions.api import health, openapi, status, submission, uploads, verify
from functions.api.auth import current_key
from functions.api.idempotency import REPLAYED_HEADER
from functions.api.middlewares import STATUS_MIDDLEWARES, SWAP_MIDDLEWARES, UNCOUNTED_MIDDLEWARES
from functions.api.rate_limiting import rate_limit_headers
from functions.api.request_body import event_body_bytes, parse_inputs

metrics = Metrics(namespace="FaceSwap", service="faceswap-api")

_EXPOSED = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    REPLAYED_HEADER,
    "Preference-Applied",
]


def cors_config(settings: Settings) -> CORSConfig:
    """CORS for the function's own answers: the stage's CorsAllowOrigin, as the gateway responses."""
    return CORSConfig(
        allow_origin=settings.cors_allow_origin,
        allow_headers=["X-Api-Key", "Content-Type", "Idempotency-Key", "Prefer"],
        expose_headers=_EXPOSED,
    )


app = APIGatewayRestResolver(cors=cors_config(get_settings()), strip_prefixes=None)


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers or {}
    )


def _error(body: ErrorBody, headers: dict[str, str] | None = None) -> Response[Any]:
    return _json(HTTP_STATUS[body.code], body.envelope(), headers)


# ---- routes -------------------------------------------------------------------------------------


def _swap(operation: Operation) -> Response[Any]:
    event = app.current_event
    raw = parse_inputs(
        event.headers.get("content-type"), event_body_bytes(event.body, bool(event.is_base64_encoded))
    )
    settings = get_settings()
    key = current_key(app)
    # Checked before the images: the cheapest refusal first.
    webhook_url = check_webhook_url(
        raw.params.get("webhook_url"),
        key,
        timeout_seconds=min(WEBHOOK_CHECK_SECONDS, settings.url_fetch_timeout_seconds),
        allow_loopback=settings.webhook_allow_loopback,
    )
    checked = submission.check(operation, raw, settings, key_id=key.key_id)
    task = submission.submit(checked, key.key_id, settings, webhook_url, visible_label=key.visible_label)
    metrics.add_metric(name="TaskSubmitted", unit=MetricUnit.Count, value=1)
    logger.info("task queued", operation=operation.value)
    accepted = SubmissionAccepted(
        task_id=task.task_id, status=task.status, status_url=f"/api/task-status/{task.task_id}"
    )
    return _json(HTTPStatus.CREATED, accepted.model_dump(mode="json"))


@app.post("/api/faceswap/basicswap", middlewares=SWAP_MIDDLEWARES)
def basicswap() -> Response[Any]:
    return _swap(Operation.BASICSWAP)


@app.post("/api/faceswap/faceswap2", middlewares=SWAP_MIDDLEWARES)
def faceswap2() -> Response[Any]:
    return _swap(Operation.FACESWAP2)


@app.post("/api/faceswap/swap1from2", middlewares=SWAP_MIDDLEWARES)
def swap1from2() -> Response[Any]:
    return _swap(Operation.SWAP1FROM2)


@app.post("/api/faceswap/swapfacesameimage", middlewares=SWAP_MIDDLEWARES)
def swapfacesameimage() -> Response[Any]:
    return _swap(Operation.SWAPFACESAMEIMAGE)


@app.get("/api/task-status/<task_id>", middlewares=STATUS_MIDDLEWARES)
def task_status(task_id: str) -> Response[Any]:
    return _json(HTTPStatus.OK, status.task_view(task_id, current_key(app).key_id, get_settings()).body())


@app.post("/api/webhooks/secret", middlewares=STATUS_MIDDLEWARES)
def rotate_webhook_secret() -> Response[Any]:
    """A new webhook signing secret for the calling key, shown once (not counted against the plan)."""
    secret = WebhookSecrets(get_settings().api_keys_table).rotate(current_key(app).key_hash)
    if secret is None:  # revoked or disabled since authentication (the key cache's second)
        raise ApiError(ErrorCode.INVALID_API_KEY, "The provided API key is invalid or has been revoked.")
    return _json(HTTPStatus.CREATED, WebhookSecretCreated(webhook_secret=secret).model_dump(mode="json"))


@app.post("/api/verify", middlewares=UNCOUNTED_MIDDLEWARES)
def verify_image() -> Response[Any]:
    """What marks an image carries (XMP, Content Credentials, watermark); not counted against the plan."""
    event = app.current_event
    body = event_body_bytes(event.body, bool(event.is_base64_encoded))
    report = verify.verify(event.headers.get("content-type"), body, current_key(app).key_id, get_settings())
    return _json(HTTPStatus.OK, report)


@app.get("/api/health")
def health_check() -> Response[Any]:
    if not health.ready(get_settings()):
        body = ErrorBody(code=ErrorCode.SERVER_ERROR, message="The service cannot take work right now.")
        return _json(HTTPStatus.SERVICE_UNAVAILABLE, body.envelope(), {"Retry-After": "30"})
    return _json(HTTPStatus.OK, HealthBody().model_dump(mode="json"))


@app.post("/api/uploads", middlewares=UNCOUNTED_MIDDLEWARES)
def create_upload() -> Response[Any]:
    event = app.current_event
    body = event_body_bytes(event.body, bool(event.is_base64_encoded))
    created = uploads.create_upload(body, current_key(app).key_id, get_settings())
    return _json(HTTPStatus.CREATED, created.model_dump(mode="json"))


@app.get("/api/openapi.json")
def openapi_document() -> Response[Any]:
    return _json(HTTPStatus.OK, openapi.document())


# ---- errors: every answer that is not a success goes through here --------------------------------


def _request_id() -> str | None:
    return app.lambda_context.aws_request_id if app.lambda_context else None


@app.exception_handler(ApiError)
def handle_api_error(error: ApiError) -> Response[Any]:
    body = error.body
    if body.code is ErrorCode.SERVER_ERROR:
        # A fault of ours raised on purpose (a queue that refused the task): traceable like any other.
        logger.error("server error", reason=body.message)
        body = body.model_copy(update={"details": {**(body.details or {}), "request_id": _request_id()}})
    return _error(body, {**rate_limit_headers(app), **error.headers})


@app.exception_handler(EngineError)
def handle_engine_error(error: EngineError) -> Response[Any]:
    return _error(error_from_engine(error), rate_limit_headers(app))


@app.not_found
def handle_not_found(_: NotFoundError) -> Response[Any]:
    return _error(ErrorBody(code=ErrorCode.NOT_FOUND, message="No such endpoint."))


@app.exception_handler(Exception)
def handle_unexpected(error: Exception) -> Response[Any]:
    logger.exception("unexpected error")
    body = ErrorBody(
        code=ErrorCode.SERVER_ERROR,
        message="An unexpected error occurred.",
        details={"request_id": _request_id()},
    )
    return _error(body, rate_limit_headers(app))
