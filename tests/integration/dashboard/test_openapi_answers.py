"""Every dashboard route's real answers, signed in and not, are what the OpenAPI document says: the status
is listed for the operation and the body validates against its schema (functions/api/openapi.py), with
the Cache-Control header it requires. tests/e2e/test_api_additions.py fuzzes the same routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

from core.adapters.task_table import TaskTable
from core.models.errors import ErrorBody, ErrorCode
from core.models.task import Task, TaskStatus
from core.settings import get_settings
from engine_layer.operations import Operation
from functions.api.openapi import dashboard_routes, document
from tests import face_photos
from tests.integration.dashboard.conftest import PASSWORD, Answer, Call


def conforms(method: str, path: str, answer: Answer) -> None:
    """The answer is one the document lists for (method, path), body and required headers included."""
    operation = document()["paths"][path][method.lower()]
    assert str(answer.status) in operation["responses"], (method, path, answer.status, answer.body)
    documented = operation["responses"][str(answer.status)]
    schema: dict[str, Any] = {
        **documented["content"]["application/json"]["schema"],
        "components": document()["components"],
    }
    errors = sorted(Draft202012Validator(schema).iter_errors(answer.body), key=str)
    assert not errors, (method, path, answer.body, [error.message for error in errors])
    for name, header in documented.get("headers", {}).items():
        if header.get("required"):
            assert name.lower() in {h.lower() for h in answer.headers}, (method, path, name)


def _seed_tasks(key_id: str) -> None:
    table = TaskTable(get_settings().tasks_table)
    ttl = get_settings().task_ttl_days
    done = Task.new(key_id=key_id, operation=Operation.BASICSWAP, inputs={}, ttl_days=ttl)
    table.create(
        done.model_copy(
            update={
                "status": TaskStatus.COMPLETED,
                "result_key": f"tasks/{done.task_id}/result.jpg",
                "quality": {"warnings": ["extreme_pose"], "faces": []},
            }
        )
    )
    failed = Task.new(key_id=key_id, operation=Operation.FACESWAP2, inputs={}, ttl_days=ttl)
    error = ErrorBody(code=ErrorCode.NO_FACE_DETECTED, message="x")
    table.create(failed.model_copy(update={"status": TaskStatus.FAILED, "error": error}))


def test_every_signed_in_answer_is_the_documented_one(
    dashboard: Call, new_account: Callable[[], str]
) -> None:
    token = new_account()
    seen: set[tuple[str, str]] = set()

    def call(method: str, path: str, route: str | None = None, **kwargs: Any) -> Answer:
        answer = dashboard(method, path, token=token, **kwargs)
        conforms(method, route or path, answer)
        seen.add((method, route or path))
        return answer

    assert call("GET", "/api/dashboard/me").status == 200
    created = call("POST", "/api/dashboard/keys", json_body={"name": "server"})
    assert created.status == 201
    key_id = created.body["key"]["key_id"]
    assert call("POST", "/api/dashboard/keys", json_body={"name": 7}).status == 400
    usage = call("GET", "/api/dashboard/usage")
    assert usage.body["keys"][0]["hour"]["used"] == 0 and len(usage.body["days"]) > 0
    _seed_tasks(key_id)
    rows = call("GET", "/api/dashboard/tasks").body["tasks"]
    assert {row["status"] for row in rows} == {"completed", "failed"}
    two = call("POST", "/api/dashboard/faces", body=face_photos.two_faces((0, 2)), content_type="image/jpeg")
    assert len(two.body["faces"]) == 2
    junk = call("POST", "/api/dashboard/faces", body=b"not an image", content_type="image/jpeg")
    assert junk.code == "invalid_image_format"
    for change in ("disable", "enable", "revoke"):
        route = f"/api/dashboard/keys/{{key_id}}/{change}"
        assert call("POST", f"/api/dashboard/keys/{key_id}/{change}", route).status == 200
    assert (
        call("POST", f"/api/dashboard/keys/{key_id}/enable", "/api/dashboard/keys/{key_id}/enable").status
        == 404
    )
    listed = call("GET", "/api/dashboard/keys")
    assert listed.body["keys"][0]["status"] == "revoked" and listed.body["keys"][0]["hour"] is None
    assert seen == {(m, p) for m, p in dashboard_routes() if "/auth/" not in p}


def test_account_answers_and_refusals_are_the_documented_ones(dashboard: Call) -> None:
    email = "documented@example.com"
    steps = [
        ("/api/dashboard/auth/signin", {"email": email, "password": PASSWORD}, 401),  # no such account
        ("/api/dashboard/auth/signup", {"email": email, "password": "weak"}, 400),
        ("/api/dashboard/auth/signup", {"email": email, "password": PASSWORD}, 201),
        ("/api/dashboard/auth/signup", {"email": email, "password": PASSWORD}, 400),  # taken
        ("/api/dashboard/auth/signup", {"email": email, "password": PASSWORD, "extra": 1}, 400),
        ("/api/dashboard/auth/confirm", {"email": email, "code": "1"}, 200),
        ("/api/dashboard/auth/signin", {"email": email, "password": PASSWORD}, 200),
        ("/api/dashboard/auth/signin", {"email": email, "password": PASSWORD + "x"}, 401),
    ]
    for path, body, status in steps:
        answer = dashboard("POST", path, json_body=body)
        assert answer.status == status, (path, body, answer.body)
        conforms("POST", path, answer)


def test_every_signed_in_route_refuses_no_token_with_the_documented_envelope(dashboard: Call) -> None:
    for method, route in dashboard_routes():
        if "/auth/" in route:
            continue
        for token in (None, "not-a-jwt"):
            answer = dashboard(method, route.replace("{key_id}", "k_1"), token=token)
            assert (answer.status, answer.code) == (401, "unauthorized"), (method, route, token)
            conforms(method, route, answer)
