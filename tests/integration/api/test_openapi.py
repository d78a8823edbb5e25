"""The OpenAPI document (functions/api/openapi.py): valid OpenAPI 3.1, served without a key, listing exactly
the routes the API app and the dashboard app serve and the template routes to them, with every error code
and contract header. (tests/e2e/test_api_additions.py fuzzes the local stack against it with schemathesis;
tests/integration/dashboard/test_openapi_answers.py checks the dashboard's real answers against it.)"""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from openapi_spec_validator import OpenAPIV31SpecValidator

from core.models import dashboard as dashboard_models
from core.models.errors import ErrorCode
from core.models.http_bodies import SubmissionAccepted, UploadCreated
from core.models.task import TaskView
from functions.api.app import app
from functions.api.openapi import api_routes, dashboard_routes, document, listed_routes
from functions.api.rate_limiting import limit_status_polls, limit_submissions
from functions.dashboard.app import app as dashboard_app
from functions.dashboard.auth import signed_in
from tests.integration.api.helpers import Invoke

SEED_ROUTES = {
    ("POST", "/api/faceswap/basicswap"),
    ("POST", "/api/faceswap/faceswap2"),
    ("POST", "/api/faceswap/swap1from2"),
    ("POST", "/api/faceswap/swapfacesameimage"),
    ("GET", "/api/task-status/{task_id}"),
    ("GET", "/api/health"),
}


def test_the_document_is_valid_openapi_3_1() -> None:
    assert document()["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(document()).validate()


def test_it_is_served_without_a_key(invoke: Invoke) -> None:
    answer = invoke("GET", "/api/openapi.json", key=None)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.body == document()


def served_routes(resolver: APIGatewayRestResolver, signed_in_only: bool = False) -> set[tuple[str, str]]:
    served = set()
    for route in resolver._static_routes + resolver._dynamic_routes:
        if signed_in_only and signed_in not in route.middlewares:
            continue
        path = re.sub(r"<(\w+)>", r"{\1}", route.path)
        served |= {(method, path) for method in route.method.split("|") if method != "OPTIONS"}
    return served


def test_the_app_serves_exactly_the_routes_the_document_lists() -> None:
    served = served_routes(app)
    assert served == api_routes()
    assert served >= SEED_ROUTES


def test_the_dashboard_app_serves_exactly_the_dashboard_routes_the_document_lists() -> None:
    assert served_routes(dashboard_app) == dashboard_routes()
    assert api_routes() | dashboard_routes() == listed_routes()


def test_the_dashboards_signed_in_routes_and_only_they_need_a_bearer_token() -> None:
    schemes = document()["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}
    signed_in_routes = served_routes(dashboard_app, signed_in_only=True)
    assert len(signed_in_routes) == 9  # me, keys (2), the 3 key changes, usage, tasks, faces
    for method, path in listed_routes():
        operation = document()["paths"][path][method.lower()]
        if (method, path) in signed_in_routes:
            assert operation["security"] == [{"BearerAuth": []}], path
            assert operation["responses"]["401"]["content"]["application/json"]["example"]["error"] == {
                "code": "unauthorized",
                "message": "Sign in first: send Authorization: Bearer <token>.",
            }
        else:
            assert {"BearerAuth": []} not in operation["security"], path
    for path in ("signup", "confirm", "signin"):
        assert document()["paths"][f"/api/dashboard/auth/{path}"]["post"]["security"] == []


def test_every_error_code_and_the_webhooks_additions_are_documented() -> None:
    schemas = document()["components"]["schemas"]
    assert {code.value for code in ErrorCode} == set(schemas["ErrorCode"]["enum"])
    for operation in ("Basicswap", "Faceswap2", "Swap1from2", "Swapfacesameimage"):
        for kind in ("Json", "Form"):
            assert "webhook_url" in schemas[operation + kind]["properties"]
    assert set(schemas["WebhookState"]["required"]) == {"url", "delivered", "attempts"}
    assert set(schemas["WebhookAttempt"]["required"]) == {"at", "status_code", "error"}


def test_answer_schemas_are_the_models_the_code_answers_with() -> None:
    schemas = document()["components"]["schemas"]
    for model in (SubmissionAccepted, UploadCreated, TaskView):
        assert set(model.model_fields) <= set(schemas[model.__name__]["properties"])


def test_dashboard_bodies_are_the_models_the_dashboard_parses_and_answers_with() -> None:
    paths, schemas = document()["paths"], document()["components"]["schemas"]
    for name in ("SignedUp", "Confirmed", "SignedIn", "AccountView", "KeyList", "KeyCreated", "KeyChanged"):
        model = getattr(dashboard_models, name)
        assert set(model.model_fields) == set(schemas[name]["properties"]), name
        assert "success" in schemas[name]["required"]
    # Shown once, and only when the key has one (another branch adds it to key creation).
    assert "webhook_secret" not in schemas["KeyCreated"]["required"]
    created = paths["/api/dashboard/keys"]["post"]
    assert created["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewKey"
    }
    assert created["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/KeyCreated"
    }
    assert schemas["Credentials"]["additionalProperties"] is False  # extra fields are a 400


def test_contract_headers_are_documented_on_every_operation_that_sends_them() -> None:
    paths = document()["paths"]
    for method, path in api_routes():
        operation = paths[path][method.lower()]
        if (method, path) in {("GET", "/api/health"), ("GET", "/api/openapi.json")}:
            continue
        ok = next(r for status, r in operation["responses"].items() if status.startswith("2"))
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(ok["headers"])
        for status, answer in operation["responses"].items():
            if not status.startswith("2"):
                assert "Retry-After" in answer["headers"], (path, status)
    # The dashboard is not metered: its answers carry Cache-Control: no-store instead.
    for method, path in dashboard_routes():
        for status, answer in paths[path][method.lower()]["responses"].items():
            assert answer["headers"]["Cache-Control"]["required"] is True, (path, status)
    swap = paths["/api/faceswap/basicswap"]["post"]
    assert {p["name"] for p in swap["parameters"]} == {"Idempotency-Key", "Prefer"}
    assert "Preference-Applied" in swap["responses"]["200"]["headers"]
    assert "Idempotent-Replayed" in swap["responses"]["201"]["headers"]
    assert "409" in swap["responses"]


def test_every_rate_limited_route_documents_its_429() -> None:
    """A route behind a limiter can answer 429 (POST /api/webhooks/secret shares the 10/s status limit)."""
    limited = set()
    for route in app._static_routes + app._dynamic_routes:
        if {limit_status_polls, limit_submissions} & set(route.middlewares):
            limited.add((route.method, re.sub(r"<(\w+)>", r"{\1}", route.path)))
    assert ("POST", "/api/webhooks/secret") in limited
    for method, path in limited:
        assert "429" in document()["paths"][path][method.lower()]["responses"], (method, path)
