"""The OpenAPI 3.1 document of the API, served at GET /api/openapi.json: the one place it is written, for
the API function's routes (X-Api-Key) and the dashboard function's /api/dashboard/... (Cognito bearer).

Schemas come from the pydantic models the code builds its answers from and parses its JSON with
(pydantic's JSON Schema is OpenAPI 3.1's dialect; core/models/dashboard.py for the dashboard), error codes
from the error catalogue, limits from the modules that enforce them; only paths, parameters and prose are
written here. tests/integration/api/test_openapi.py checks the document is valid and lists exactly the
routes each app serves; tests/e2e/test_api_additions.py fuzzes the local stack against it.
"""

from __future__ import annotations

import copy
from functools import cache
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from core.logic.idempotency import IDEMPOTENCY_WINDOW_SECONDS, MAX_IDEMPOTENCY_KEY_LENGTH
from core.logic.uploads import MAX_UPLOAD_BYTES, UPLOAD_URL_SECONDS
from core.models.dashboard import (
    AccountView,
    Confirmation,
    Confirmed,
    Credentials,
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
from core.models.http_bodies import (
    ErrorEnvelope,
    HealthBody,
    SubmissionAccepted,
    UploadCreated,
    UploadRequest,
    VerifyReport,
    WebhookSecretCreated,
)
from core.models.payload_limits import MAX_EVENT_BODY_BYTES, MAX_URL_IMAGE_BYTES
from core.models.task import TaskView
from core.models.webhook import WebhookAttemptJson, WebhookState
from engine_layer.operations import REQUIRED_FACES, Operation
from functions.api.idempotency import IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER
from functions.api.prefer_wait import MAX_WAIT_SECONDS
from functions.api.request_body import JSON_NAME, UPLOAD_ID_SUFFIX, JsonSwapBody

SCHEMA_PREFIX = "#/components/schemas/"
# The developer dashboard's routes: served by their own function (template DashboardFunction).
DASHBOARD_PREFIX = "/api/dashboard/"

_SUMMARY = {
    Operation.BASICSWAP: "The face of srcimage (identity) replaces the one face of targetimage (scene).",
    Operation.FACESWAP2: "The two faces of srcimage land on the two faces of targetimage (swap_index).",
    Operation.SWAP1FROM2: "srcimage's left/right faces take the identities of targetimage1/targetimage2.",
    Operation.SWAPFACESAMEIMAGE: "The two faces of srcimage trade identities.",
}


def _header(description: str, pattern: str = r"^[0-9]+$") -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string", "pattern": pattern}}


HEADERS: dict[str, dict[str, Any]] = {
    "X-RateLimit-Limit": _header("Requests allowed in the plan window (hour or day) with fewer left."),
    "X-RateLimit-Remaining": _header("Requests left in that window."),
    "X-RateLimit-Reset": _header("When that window resets (epoch seconds)."),
    "Retry-After": _header("Seconds to wait before retrying."),
    REPLAYED_HEADER: _header("`true` when this is the stored answer to an earlier request.", "^true$"),
    "Preference-Applied": _header("`wait=N`: the Prefer wait was honoured.", r"^wait=[0-9]+$"),
    "Cache-Control": _header("`no-store`: account data never sits in a cache.", "^no-store$"),
}
_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

_ERROR_WHEN: dict[int, str] = {
    400: "A parameter, image or face fault (invalid_parameter, invalid_image_format, no_face_detected, "
    "face_count_mismatch, face_index_out_of_range, webhook_secret_missing).",
    401: "No X-Api-Key (api_key_required), or an unknown or revoked key (invalid_api_key).",
    403: "The key is disabled (forbidden).",
    404: "No such task for this key, or no such route (not_found).",
    409: "Idempotency-Key reused with another request (idempotency_key_reused), or its first request is "
    "still running (idempotency_key_in_progress, with Retry-After).",
    413: "Body or image over the limit (payload_too_large, details.limit_bytes).",
    429: "Plan window spent, or status polls past 10/s (rate_limit_exceeded, details.reset_at).",
    500: "Unexpected (server_error, details.request_id).",
    503: "The service cannot take work right now.",
}


# The dashboard's refusals (same envelope; no rate-limit headers: the dashboard is not metered).
_DASHBOARD_ERROR_WHEN: dict[int, str] = {
    400: "A body field missing, malformed or not allowed; an e-mail already taken, a weak password, a wrong "
    "confirmation code (invalid_parameter); an unreadable image (invalid_image_format).",
    401: "Signed-in routes: no `Authorization: Bearer <token>`, or a token that is invalid or expired. "
    "Sign-in and confirmation: wrong e-mail or password, or no such account (unauthorized).",
    403: "The account is not confirmed yet, or needs a step the dashboard cannot do; or it already has its "
    "most keys (forbidden).",
    404: "No key with this id belongs to the account (not_found).",
    413: "Body over the limit (payload_too_large).",
    429: "Too many sign-in attempts (rate_limit_exceeded).",
    500: "Unexpected, or sign-in not configured on this stage (server_error, details.request_id).",
}
_UNAUTHORIZED_EXAMPLE = {
    "success": False,
    "error": {"code": "unauthorized", "message": "Sign in first: send Authorization: Bearer <token>."},
}


def _ref(model: type[BaseModel] | str) -> dict[str, str]:
    return {"$ref": SCHEMA_PREFIX + (model if isinstance(model, str) else model.__name__)}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _response(
    description: str,
    schema: dict[str, Any],
    required_headers: tuple[str, ...] = (),
    optional_headers: tuple[str, ...] = (),
) -> dict[str, Any]:
    # A Reference Object takes no `required`: required headers are written out.
    headers: dict[str, Any] = {name: {**HEADERS[name], "required": True} for name in required_headers}
    for name in optional_headers:
        headers[name] = {"$ref": f"#/components/headers/{name}"}
    answer: dict[str, Any] = {"description": description, "content": _json_content(schema)}
    if headers:
        answer["headers"] = headers
    return answer


def _errors(*statuses: int, authenticated: bool = True) -> dict[str, Any]:
    found = {}
    for status in statuses:
        optional = (*_LIMIT_HEADERS, "Retry-After") if authenticated else ("Retry-After",)
        found[str(status)] = _response(_ERROR_WHEN[status], _ref(ErrorEnvelope), optional_headers=optional)
    return found


def _dashboard_errors(*statuses: int) -> dict[str, Any]:
    found = {}
    for status in statuses:
        answer = _response(
            _DASHBOARD_ERROR_WHEN[status], _ref(ErrorEnvelope), required_headers=("Cache-Control",)
        )
        if status == HTTPStatus.UNAUTHORIZED:
            answer["content"]["application/json"]["example"] = _UNAUTHORIZED_EXAMPLE
        found[str(status)] = answer
    return found


# The dashboard's bodies: requests as validated, answers as sent.
_DASHBOARD_REQUESTS: tuple[type[BaseModel], ...] = (Credentials, Confirmation, NewKey)
_DASHBOARD_ANSWERS: tuple[type[BaseModel], ...] = (
    SignedUp,
    Confirmed,
    SignedIn,
    AccountView,
    KeyList,
    KeyCreated,
    KeyChanged,
    UsageView,
    TaskList,
    FacesFound,
)


def _schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Any]] = [
        (TaskView, "serialization"),
        (SubmissionAccepted, "serialization"),
        (HealthBody, "serialization"),
        (ErrorEnvelope, "serialization"),
        (UploadCreated, "serialization"),
        (UploadRequest, "validation"),
        (VerifyReport, "serialization"),
        (JsonSwapBody, "validation"),
        (WebhookState, "serialization"),
        (WebhookSecretCreated, "serialization"),
        *((model, "validation") for model in _DASHBOARD_REQUESTS),
        *((model, "serialization") for model in _DASHBOARD_ANSWERS),
    ]
    _, top = models_json_schema(models, ref_template=SCHEMA_PREFIX + "{model}")
    schemas: dict[str, Any] = top["$defs"]
    schemas["TaskView"]["properties"]["webhook"] = {
        **_ref(WebhookState),
        "description": "The webhook's delivery (only when the submission named a webhook_url).",
    }
    # Every key is always sent (status bodies keep the webhook's defaults; an attempt keeps its nulls).
    schemas[WebhookState.__name__]["required"] = sorted(WebhookState.model_fields)
    schemas["WebhookAttempt"] = TypeAdapter(WebhookAttemptJson).json_schema()
    answers = ("TaskView", "SubmissionAccepted", "HealthBody", "ErrorEnvelope", "UploadCreated")
    for name in (*answers, *(model.__name__ for model in _DASHBOARD_ANSWERS)):
        schemas[name]["required"] = sorted({*schemas[name].get("required", []), "success"})
    for name, variant in _swap_bodies().items():
        schemas[name] = variant
    del schemas["JsonSwapBody"]
    return schemas


_WEBHOOK_URL = {
    "type": "string",
    "description": "https:// URL that receives a signed POST when the task ends (Standard Webhooks).",
}
_ENHANCE = {
    "description": "Run the face restorer on every swapped face: true/false (any case), default false."
}
_SWAP_INDEX = {
    "description": "Two indexes: `0,1`/`1,0` (0-based) or `1,2`/`2,1` (1-based); `(a,b)`, `[a,b]`."
}


def _swap_bodies() -> dict[str, dict[str, Any]]:
    """One JSON and one multipart body schema per operation, from JsonSwapBody's fields."""
    base = models_json_schema([(JsonSwapBody, "validation")], ref_template=SCHEMA_PREFIX + "{model}")[1]
    json_fields: dict[str, Any] = base["$defs"]["JsonSwapBody"]["properties"]
    bodies: dict[str, dict[str, Any]] = {}
    for operation, faces in REQUIRED_FACES.items():
        json_props: dict[str, Any] = {}
        form_props: dict[str, Any] = {}
        json_required: list[dict[str, Any]] = []
        form_required: list[dict[str, Any]] = []
        for field, count in faces.items():
            json_name = JSON_NAME[field]
            what = f"{count} face{'s' if count > 1 else ''}"
            json_props[json_name] = {
                **json_fields[json_name],
                "description": f"{what}: an https:// URL (at most {MAX_URL_IMAGE_BYTES} bytes) or a "
                "data:image/...;base64, URI.",
            }
            json_props[json_name + UPLOAD_ID_SUFFIX] = {
                **json_fields[json_name + UPLOAD_ID_SUFFIX],
                "description": f"Instead of {json_name}: the upload_id of a finished POST /api/uploads.",
            }
            form_props[field] = {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": f"{what}: a JPEG, PNG or WebP file.",
            }
            form_props[field + UPLOAD_ID_SUFFIX] = {
                "type": "string",
                "description": f"Instead of {field}: the upload_id of a finished POST /api/uploads.",
            }
            json_required.append(
                {"anyOf": [{"required": [json_name]}, {"required": [json_name + "_upload_id"]}]}
            )
            form_required.append({"anyOf": [{"required": [field]}, {"required": [field + UPLOAD_ID_SUFFIX]}]})
        json_props["enhance"] = {**json_fields["enhance"], **_ENHANCE}
        form_props["enhance"] = {"type": "string", **_ENHANCE}
        if operation is Operation.FACESWAP2:
            json_props["swap_index"] = {**json_fields["swap_index"], **_SWAP_INDEX}
            form_props["swap_index"] = {"type": "string", **_SWAP_INDEX}
        json_props["webhook_url"] = form_props["webhook_url"] = copy.deepcopy(_WEBHOOK_URL)
        name = operation.value.capitalize()
        bodies[f"{name}Json"] = {"type": "object", "properties": json_props, "allOf": json_required}
        bodies[f"{name}Form"] = {"type": "object", "properties": form_props, "allOf": form_required}
    return bodies


_IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_KEY_HEADER,
    "in": "header",
    "required": False,
    "description": f"Same key and same body within {IDEMPOTENCY_WINDOW_SECONDS // 3600} h: the same 201 "
    "(header Idempotent-Replayed: true), counted once. Same key, other body: 409 idempotency_key_reused.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
        "pattern": "^[ -~]+$",
    },
}
_PREFER_PARAMETER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "description": f"`wait=N` (1..{MAX_WAIT_SECONDS}): if the task ends within N s, answer 200 with its "
    "status and Preference-Applied; otherwise the usual 201. Other preferences are ignored (RFC 7240).",
    "schema": {"type": "string"},
}


def _submission(operation: Operation) -> dict[str, Any]:
    name = operation.value.capitalize()
    return {
        "operationId": operation.value,
        "summary": _SUMMARY[operation],
        "description": "Counted against the plan, accepted or not. Direct bodies are at most "
        f"{MAX_EVENT_BODY_BYTES} bytes as the function receives them (multipart is base64-encoded on the "
        "way: about 4.5 MB raw); larger images go through POST /api/uploads or a URL.",
        "tags": ["swaps"],
        "security": [{"ApiKey": []}],
        "parameters": [_IDEMPOTENCY_PARAMETER, _PREFER_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": _ref(f"{name}Form")},
                "application/json": {"schema": _ref(f"{name}Json")},
            },
        },
        "responses": {
            "201": _response(
                "Accepted: poll status_url.",
                _ref(SubmissionAccepted),
                required_headers=_LIMIT_HEADERS,
                optional_headers=(REPLAYED_HEADER,),
            ),
            "200": _response(
                "Prefer: wait=N and the task ended in time: its status.",
                _ref(TaskView),
                required_headers=(*_LIMIT_HEADERS, "Preference-Applied"),
                optional_headers=(REPLAYED_HEADER,),
            ),
            **_errors(400, 401, 403, 409, 413, 429, 500),
        },
    }


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {f"/api/faceswap/{op.value}": {"post": _submission(op)} for op in Operation}
    paths["/api/task-status/{task_id}"] = {
        "get": {
            "operationId": "task_status",
            "summary": "A task's status; when completed, a time-limited image_url to the result.",
            "description": "Not counted against the plan; held to 10 requests per second per key.",
            "tags": ["tasks"],
            "security": [{"ApiKey": []}],
            "parameters": [{"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": _response("The task.", _ref(TaskView), required_headers=_LIMIT_HEADERS),
                **_errors(401, 403, 404, 429, 500),
            },
        }
    }
    paths["/api/uploads"] = {
        "post": {
            "operationId": "create_upload",
            "summary": f"A presigned S3 POST for one image of up to {MAX_UPLOAD_BYTES} bytes, named by id.",
            "description": f"Not counted against the plan. POST the returned `fields` and then the file as "
            f"part `file` (multipart/form-data) to `url` within {UPLOAD_URL_SECONDS // 60} minutes; then "
            "send `<field>_upload_id` (e.g. srcimage_upload_id) instead of the image. The file must have the "
            "declared content type and at most content_length bytes.",
            "tags": ["uploads"],
            "security": [{"ApiKey": []}],
            "requestBody": {"required": True, "content": _json_content(_ref(UploadRequest))},
            "responses": {
                "201": _response("The upload's form.", _ref(UploadCreated), required_headers=_LIMIT_HEADERS),
                **_errors(400, 401, 403, 413, 500),
            },
        }
    }
    paths["/api/verify"] = {
        "post": {
            "operationId": "verify_image",
            "summary": "What provenance marks an image carries: our XMP, Content Credentials, the watermark.",
            "description": "Not counted against the plan. Send the image as multipart part `image`, or JSON "
            '`{"image": "https://..."}` (same URL rules as submissions). The task behind a watermark is '
            "named only to the key that owns it.",
            "tags": ["provenance"],
            "security": [{"ApiKey": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["image"],
                            "properties": {"image": {"type": "string", "format": "binary"}},
                        }
                    },
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["image"],
                            "properties": {"image": {"type": "string"}},
                        }
                    },
                },
            },
            "responses": {
                "200": _response(
                    "What the image carries.", _ref(VerifyReport), required_headers=_LIMIT_HEADERS
                ),
                **_errors(400, 401, 403, 413, 500),
            },
        }
    }
    paths["/api/webhooks/secret"] = {
        "post": {
            "operationId": "rotate_webhook_secret",
            "summary": "A new webhook signing secret for this key (whsec_...), shown once.",
            "description": "Not counted against the plan; held, with status polls, to 10 requests per "
            "second per key. The previous secret stops signing at once.",
            "tags": ["webhooks"],
            "security": [{"ApiKey": []}],
            "responses": {
                "201": _response(
                    "The new secret.", _ref(WebhookSecretCreated), required_headers=_LIMIT_HEADERS
                ),
                **_errors(401, 403, 429, 500),
            },
        }
    }
    paths["/api/health"] = {
        "get": {
            "operationId": "health",
            "summary": "Liveness: 200 when the service can take work. No key needed.",
            "tags": ["service"],
            "security": [],
            "responses": {
                "200": _response("Up.", _ref(HealthBody)),
                **_errors(503, 500, authenticated=False),
            },
        }
    }
    paths["/api/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "This document. No key needed.",
            "tags": ["service"],
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document.",
                    "content": _json_content({"type": "object"}),
                },
                **_errors(500, authenticated=False),
            },
        }
    }
    paths.update(_dashboard_paths())
    return paths


def _dashboard_operation(
    operation_id: str,
    summary: str,
    answer: tuple[int, str, type[BaseModel]],
    errors: tuple[int, ...],
    body: dict[str, Any] | None = None,
    signed_in: bool = True,
) -> dict[str, Any]:
    status, description, model = answer
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["dashboard"],
        # Signed-in routes: a Cognito token (the stage's authorizer checks it, then the function).
        "security": [{"BearerAuth": []}] if signed_in else [],
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    operation["responses"] = {
        str(status): _response(description, _ref(model), required_headers=("Cache-Control",)),
        **_dashboard_errors(*(errors if not signed_in else (HTTPStatus.UNAUTHORIZED, *errors)), 500),
    }
    return operation


def _dashboard_paths() -> dict[str, Any]:
    account_errors = (400, 401, 403, 413, 429)
    paths: dict[str, Any] = {
        "signup": _dashboard_operation(
            "dashboard_sign_up",
            "Create a developer account (e-mail and password); Cognito e-mails a confirmation code.",
            (201, "The account; confirmed: false until the code is sent.", SignedUp),
            account_errors,
            body=_json_content(_ref(Credentials)),
            signed_in=False,
        ),
        "confirm": _dashboard_operation(
            "dashboard_confirm",
            "Confirm the account with the e-mailed code.",
            (200, "Confirmed: sign in now.", Confirmed),
            account_errors,
            body=_json_content(_ref(Confirmation)),
            signed_in=False,
        ),
        "signin": _dashboard_operation(
            "dashboard_sign_in",
            "Sign in: Cognito's tokens for the signed-in routes (Authorization: Bearer <id_token>).",
            (200, "The tokens.", SignedIn),
            account_errors,
            body=_json_content(_ref(Credentials)),
            signed_in=False,
        ),
    }
    found = {f"{DASHBOARD_PREFIX}auth/{name}": {"post": operation} for name, operation in paths.items()}
    found[f"{DASHBOARD_PREFIX}me"] = {
        "get": _dashboard_operation(
            "dashboard_me", "The signed-in account.", (200, "The account.", AccountView), ()
        )
    }
    found[f"{DASHBOARD_PREFIX}keys"] = {
        "get": _dashboard_operation(
            "dashboard_list_keys",
            "The account's API keys with their plan windows and daily counts.",
            (200, "The keys, newest first.", KeyList),
            (),
        ),
        "post": _dashboard_operation(
            "dashboard_create_key",
            "A new API key for the account, shown this once.",
            (201, "The key.", KeyCreated),
            (400, 403, 413),
            body=_json_content(_ref(NewKey)),
        ),
    }
    changes = {
        "revoke": "Revoke a key for good.",
        "disable": "Disable a key (answers 403 forbidden) until it is enabled again.",
        "enable": "Enable a disabled key.",
    }
    for change, summary in changes.items():
        operation = _dashboard_operation(
            f"dashboard_{change}_key", summary, (200, "The key as it is now.", KeyChanged), (404,)
        )
        operation["parameters"] = [
            {"name": "key_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ]
        found[f"{DASHBOARD_PREFIX}keys/{{key_id}}/{change}"] = {"post": operation}
    found[f"{DASHBOARD_PREFIX}usage"] = {
        "get": _dashboard_operation(
            "dashboard_usage",
            "Usage of the keys still in use, and the account's daily counts over all its keys.",
            (200, "The usage.", UsageView),
            (),
        )
    }
    found[f"{DASHBOARD_PREFIX}tasks"] = {
        "get": _dashboard_operation(
            "dashboard_tasks",
            "The account's recent tasks over all its keys, with links to completed results.",
            (200, "The tasks, newest first.", TaskList),
            (),
        )
    }
    image = {"schema": {"type": "string", "format": "binary"}}
    image_types = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")
    found[f"{DASHBOARD_PREFIX}faces"] = {
        "post": _dashboard_operation(
            "dashboard_faces",
            "The playground's face boxes: the API's own pre-check, so box i is the face swap_index calls i.",
            (200, "The image's size and its faces in swap_index order.", FacesFound),
            (400, 413),
            body=dict.fromkeys(image_types, image),
        )
    }
    return found


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "FaceSwap API",
            "version": "1.0.0",
            "description": "Asynchronous face swapping: submit, then poll GET /api/task-status/{task_id}. "
            "Every error answers {success: false, error: {code, message, details}}. Answers to a valid "
            "key carry X-RateLimit-Limit/Remaining/Reset; a 429 also Retry-After.",
        },
        # A stage's base URL (template output ApiBaseUrl) and the local stack's (`make run`).
        "servers": [
            {
                "url": "https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
                "variables": {
                    "api_id": {"default": "api_id"},
                    "region": {"default": "us-east-1"},
                    "stage": {"default": "dev"},
                },
            },
            {"url": "http://127.0.0.1:3000", "description": "the local stack"},
        ],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "headers": HEADERS,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "BearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The developer dashboard's routes: an ID or access token of the "
                    "Cognito user pool, from POST /api/dashboard/auth/signin.",
                },
            },
        },
    }


def listed_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the document."""
    found = set()
    for path, item in document()["paths"].items():
        for method in item:
            found.add((method.upper(), path))
    return found


def dashboard_routes() -> set[tuple[str, str]]:
    """The routes the dashboard function serves (template DashboardFunction)."""
    return {(method, path) for method, path in listed_routes() if path.startswith(DASHBOARD_PREFIX)}


def api_routes() -> set[tuple[str, str]]:
    """The routes the API function serves (template ApiFunction)."""
    return listed_routes() - dashboard_routes()
