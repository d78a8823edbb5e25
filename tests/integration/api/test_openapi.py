"""The OpenAPI document (functions/api/openapi.py): valid OpenAPI 3.1, served without a key, listing exactly
the routes the app serves and the template routes to it, with every error code and contract header.
(tests/e2e/test_api_additions.py fuzzes the local stack against it with schemathesis.)"""

from __future__ import annotations

import re

from openapi_spec_validator import OpenAPIV31SpecValidator

from core.models.errors import ErrorCode
from core.models.http_bodies import SubmissionAccepted, UploadCreated
from core.models.task import TaskView
from functions.api.app import app
from functions.api.openapi import document, listed_routes
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


def test_the_app_serves_exactly_the_routes_the_document_lists() -> None:
    served = set()
    for route in app._static_routes + app._dynamic_routes:
        path = re.sub(r"<(\w+)>", r"{\1}", route.path)
        served |= {(method, path) for method in route.method.split("|") if method != "OPTIONS"}
    assert served == listed_routes()
    assert served >= SEED_ROUTES


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


def test_contract_headers_are_documented_on_every_operation_that_sends_them() -> None:
    paths = document()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if (method.upper(), path) in {("GET", "/api/health"), ("GET", "/api/openapi.json")}:
                continue
            ok = next(r for status, r in operation["responses"].items() if status.startswith("2"))
            assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(ok["headers"])
            for status, answer in operation["responses"].items():
                if not status.startswith("2"):
                    assert "Retry-After" in answer["headers"], (path, status)
    swap = paths["/api/faceswap/basicswap"]["post"]
    assert {p["name"] for p in swap["parameters"]} == {"Idempotency-Key", "Prefer"}
    assert "Preference-Applied" in swap["responses"]["200"]["headers"]
    assert "Idempotent-Replayed" in swap["responses"]["201"]["headers"]
    assert "409" in swap["responses"]
