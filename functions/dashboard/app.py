"""The dashboard's API (/api/dashboard/...): accounts through Cognito, and for a signed-in account its
keys, usage, tasks and the playground's face boxes. A function of its own (template DashboardFunction),
so the public API's role never gains key writes or Cognito calls."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from pydantic import BaseModel, ValidationError

from core.adapters.cognito import UserPool
from core.adapters.key_table import KeyTable
from core.adapters.s3 import MediaStore
from core.adapters.task_table import TaskTable
from core.clock import utc_now
from core.logic import account_keys, account_tasks, usage_history
from core.logic.key_service import KeyNotFound
from core.logic.task_view import link_seconds, media_expires_at
from core.models.dashboard import (
    AccountView,
    Confirmation,
    Confirmed,
    Credentials,
    FaceBox,
    FacesFound,
    KeyChanged,
    KeyCreated,
    KeyList,
    NewKey,
    SignedIn,
    SignedUp,
    TaskList,
    UsageView,
)
from core.models.errors import (
    HTTP_STATUS,
    ApiError,
    ErrorBody,
    ErrorCode,
    error_from_engine,
    invalid_parameter,
)
from core.models.task import TaskStatus
from core.observability import logger
from core.settings import get_settings
from engine_layer import manifest
from engine_layer.errors import EngineError
from functions.api import images
from functions.api.rate_limiting import limiter
from functions.api.request_body import event_body_bytes
from functions.dashboard import views
from functions.dashboard.auth import current_account, signed_in

app = APIGatewayRestResolver(
    cors=CORSConfig(
        allow_origin=get_settings().cors_allow_origin,
        allow_headers=["Authorization", "Content-Type"],
    ),
    strip_prefixes=None,
)
SIGNED_IN = [signed_in]
BodyT = TypeVar("BodyT", bound=BaseModel)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _json(status: int, body: dict[str, Any] | BaseModel) -> Response[Any]:
    # no-store: key material and account data never sit in a shared or browser cache.
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(mode="json") if isinstance(body, BaseModel) else body,
        headers={"Cache-Control": "no-store"},
    )


def _body(model: type[BodyT]) -> BodyT:
    event = app.current_event
    try:
        data = json.loads(event_body_bytes(event.body, bool(event.is_base64_encoded)) or b"{}")
        parsed = model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        parameter = str(first["loc"][0]) if first["loc"] else "body"
        raise invalid_parameter(parameter, f"{parameter}: {first['msg']}") from None
    except ValueError:
        raise invalid_parameter("body", "The body must be a JSON object.") from None
    email = getattr(parsed, "email", None)
    if email is not None and not _EMAIL.match(email):
        raise invalid_parameter("email", "Enter a valid e-mail address.")
    return parsed


def _user_pool() -> UserPool:
    settings = get_settings()
    if not settings.cognito_client_id:
        raise ApiError(ErrorCode.SERVER_ERROR, "Dashboard sign-in is not configured on this stage.")
    return UserPool(settings.cognito_client_id)


def _keys() -> KeyTable:
    return KeyTable(get_settings().api_keys_table)


# ---- accounts (no token yet) ----------------------------------------------------------------------


@app.post("/api/dashboard/auth/signup")
def sign_up() -> Response[Any]:
    body = _body(Credentials)
    confirmed = _user_pool().sign_up(body.email.lower(), body.password)
    return _json(HTTPStatus.CREATED, SignedUp(confirmed=confirmed))


@app.post("/api/dashboard/auth/confirm")
def confirm() -> Response[Any]:
    body = _body(Confirmation)
    _user_pool().confirm(body.email.lower(), body.code)
    return _json(HTTPStatus.OK, Confirmed())


@app.post("/api/dashboard/auth/signin")
def sign_in() -> Response[Any]:
    body = _body(Credentials)
    tokens = _user_pool().sign_in(body.email.lower(), body.password)
    return _json(
        HTTPStatus.OK,
        SignedIn(id_token=tokens.id_token, access_token=tokens.access_token, expires_in=tokens.expires_in),
    )


# ---- the signed-in account -------------------------------------------------------------------------


@app.get("/api/dashboard/me", middlewares=SIGNED_IN)
def me() -> Response[Any]:
    account = current_account(app)
    return _json(HTTPStatus.OK, AccountView(account_id=account.account_id, email=account.email))


@app.get("/api/dashboard/keys", middlewares=SIGNED_IN)
def list_keys() -> Response[Any]:
    usages = usage_history.key_usage(
        account_keys.account_keys(_keys(), current_account(app).account_id), limiter()
    )
    return _json(HTTPStatus.OK, KeyList(keys=[views.key_usage_view(u) for u in usages]))


@app.post("/api/dashboard/keys", middlewares=SIGNED_IN)
def create_key() -> Response[Any]:
    body = _body(NewKey)
    try:
        plaintext, record = account_keys.create_account_key(
            _keys(), current_account(app).account_id, body.name
        )
    except ValueError as error:
        raise invalid_parameter("name", str(error).capitalize() + ".") from None
    except account_keys.KeyLimitReached as error:
        raise ApiError(ErrorCode.FORBIDDEN, str(error).capitalize() + ".") from None
    logger.info("key created", extra={"key_id": record.key_id})  # never the key itself
    # The key and its webhook signing secret are shown this once; listings carry neither.
    created = KeyCreated(api_key=plaintext, key=views.key_view(record), webhook_secret=record.webhook_secret)
    return _json(HTTPStatus.CREATED, created)


def _change_key(key_id: str, change: str) -> Response[Any]:
    table, account_id = _keys(), current_account(app).account_id
    try:
        if change == "revoke":
            record = account_keys.revoke_account_key(table, account_id, key_id)
        else:
            record = account_keys.set_account_key_enabled(table, account_id, key_id, change == "enable")
    except KeyNotFound:
        raise ApiError(ErrorCode.NOT_FOUND, "No key with this id belongs to your account.") from None
    logger.info("key changed", extra={"key_id": key_id, "change": change})
    return _json(HTTPStatus.OK, KeyChanged(key=views.key_view(record)))


@app.post("/api/dashboard/keys/<key_id>/revoke", middlewares=SIGNED_IN)
def revoke(key_id: str) -> Response[Any]:
    return _change_key(key_id, "revoke")


@app.post("/api/dashboard/keys/<key_id>/disable", middlewares=SIGNED_IN)
def disable(key_id: str) -> Response[Any]:
    return _change_key(key_id, "disable")


@app.post("/api/dashboard/keys/<key_id>/enable", middlewares=SIGNED_IN)
def enable(key_id: str) -> Response[Any]:
    return _change_key(key_id, "enable")


@app.get("/api/dashboard/usage", middlewares=SIGNED_IN)
def usage() -> Response[Any]:
    records = account_keys.account_keys(_keys(), current_account(app).account_id)
    usages = usage_history.key_usage(records, limiter())
    answer = UsageView(
        keys=[views.key_usage_view(u) for u in usages if u.current is not None],
        days=views.days_view(usage_history.account_days(usages)),
    )
    return _json(HTTPStatus.OK, answer)


@app.get("/api/dashboard/tasks", middlewares=SIGNED_IN)
def tasks() -> Response[Any]:
    settings = get_settings()
    records = account_keys.account_keys(_keys(), current_account(app).account_id)
    names = {record.key_id: record.name for record in records}
    media = MediaStore(settings.media_bucket)
    rows = []
    for task in account_tasks.recent_tasks(TaskTable(settings.tasks_table), records):
        url = None
        if task.status is TaskStatus.COMPLETED and task.result_key:
            expiry = media_expires_at(task.created_at, settings.media_retention_days)
            ttl = link_seconds(utc_now(), expiry, settings.result_url_ttl_seconds)
            url = media.presigned_get(task.result_key, ttl)[0] if ttl else None
        rows.append(views.task_row(task, names.get(task.key_id, ""), url))
    return _json(HTTPStatus.OK, TaskList(tasks=rows))


@app.post("/api/dashboard/faces", middlewares=SIGNED_IN)
def faces() -> Response[Any]:
    """The playground's face boxes: the API's own pre-check (same detector, threshold and order), so box
    number i is the face `swap_index` calls i."""
    event = app.current_event
    data = event_body_bytes(event.body, bool(event.is_base64_encoded))
    if not data:
        raise invalid_parameter("image", "Send the image as the request body.")
    info = images.check_format(data, "image", "image")
    found = images.face_counter(manifest.SCRFD.path(get_settings().model_dir)).faces_in_upload(data, "image")
    boxes = [
        FaceBox(index=i, box=[round(float(v), 1) for v in face.bbox], score=round(face.score, 3))
        for i, face in enumerate(found)
    ]
    return _json(HTTPStatus.OK, FacesFound(width=info.width, height=info.height, faces=boxes))


# ---- errors ------------------------------------------------------------------------------------------


def _error(body: ErrorBody) -> Response[Any]:
    return _json(HTTP_STATUS[body.code], body.envelope())


@app.exception_handler(ApiError)
def handle_api_error(error: ApiError) -> Response[Any]:
    return _error(error.body)


@app.exception_handler(EngineError)
def handle_engine_error(error: EngineError) -> Response[Any]:
    return _error(error_from_engine(error))


@app.not_found
def handle_not_found(_: NotFoundError) -> Response[Any]:
    return _error(ErrorBody(code=ErrorCode.NOT_FOUND, message="No such endpoint."))


@app.exception_handler(Exception)
def handle_unexpected(error: Exception) -> Response[Any]:
    request_id = app.lambda_context.aws_request_id if app.lambda_context else None
    logger.exception("unexpected error", extra={"request_id": request_id})
    body = ErrorBody(
        code=ErrorCode.SERVER_ERROR,
        message="An unexpected error occurred.",
        details={"request_id": request_id},
    )
    return _error(body)
