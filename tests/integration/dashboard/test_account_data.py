"""Keys, usage, tasks and face boxes of a signed-in account: only its own, from the records and counters
the API itself uses (keys made here are refused or accepted by the public API at once)."""

from __future__ import annotations

import base64
from collections.abc import Callable

from core.adapters.key_table import KeyTable
from core.adapters.task_table import TaskTable
from core.logic.key_cache import KeyCache
from core.logic.key_service import find_key
from core.models.errors import ErrorBody, ErrorCode
from core.models.task import Task, TaskStatus
from core.settings import get_settings
from engine_layer.operations import Operation
from tests import face_photos
from tests.integration.dashboard.conftest import Answer, Call


def create(dashboard: Call, token: str, name: str = "server") -> Answer:
    return dashboard("POST", "/api/dashboard/keys", json_body={"name": name}, token=token)


def test_a_key_is_shown_once_listed_after_and_works_on_the_api_at_once(
    dashboard: Call, new_account: Callable[[], str], public_api: Callable[[str], Answer]
) -> None:
    token = new_account()
    created = create(dashboard, token, "  my   server  ")
    assert created.status == 201, created.body
    api_key = created.body["api_key"]
    assert api_key.startswith("fsk_") and created.body["key"]["name"] == "my server"
    assert created.body["key"]["prefix"] == api_key[:8]

    listed = dashboard("GET", "/api/dashboard/keys", token=token)
    (row,) = listed.body["keys"]
    assert api_key not in str(listed.body)  # never shown again
    assert (row["plan"], row["status"], row["last_used_at"]) == ("free", "active", None)
    assert row["hour"] == {"used": 0, "limit": 50, "remaining": 50, "reset_at": row["hour"]["reset_at"]}

    # Counted and validated by the public API: an empty body is a 400, so the key was accepted.
    assert public_api(api_key).code == "invalid_parameter"
    key_id = row["key_id"]
    assert (
        dashboard("POST", f"/api/dashboard/keys/{key_id}/disable", token=token).body["key"]["status"]
        == "disabled"
    )
    assert public_api(api_key).code == "forbidden"
    assert (
        dashboard("POST", f"/api/dashboard/keys/{key_id}/enable", token=token).body["key"]["status"]
        == "active"
    )
    assert public_api(api_key).code == "invalid_parameter"
    revoked = dashboard("POST", f"/api/dashboard/keys/{key_id}/revoke", token=token)
    assert revoked.body["key"]["status"] == "revoked" and revoked.body["key"]["revoked_at"]
    assert (public_api(api_key).status, public_api(api_key).code) == (401, "invalid_api_key")
    # Revoked is final.
    assert dashboard("POST", f"/api/dashboard/keys/{key_id}/enable", token=token).status == 404


def test_the_webhook_secret_is_shown_once_beside_the_key_and_never_listed(
    dashboard: Call, new_account: Callable[[], str]
) -> None:
    token = new_account()
    created = create(dashboard, token)
    secret = created.body["webhook_secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    # The secret the API signs this key's webhooks with (the key record), not a second one.
    record = find_key(
        KeyTable(get_settings().api_keys_table), created.body["api_key"], cache=KeyCache(lambda: 0.0)
    )
    assert record is not None and record.webhook_secret == secret
    assert secret != create(dashboard, token, "another").body["webhook_secret"]  # one per key

    listed = dashboard("GET", "/api/dashboard/keys", token=token)
    assert len(listed.body["keys"]) == 2
    assert secret not in str(listed.body) and "webhook_secret" not in str(listed.body)
    usage = dashboard("GET", "/api/dashboard/usage", token=token)
    assert secret not in str(usage.body)


def test_another_account_can_neither_see_nor_change_a_key(
    dashboard: Call, new_account: Callable[[], str], public_api: Callable[[str], Answer]
) -> None:
    owner, stranger = new_account(), new_account()
    created = create(dashboard, owner)
    key_id, api_key = created.body["key"]["key_id"], created.body["api_key"]

    assert dashboard("GET", "/api/dashboard/keys", token=stranger).body["keys"] == []
    for change in ("revoke", "disable", "enable"):
        answer = dashboard("POST", f"/api/dashboard/keys/{key_id}/{change}", token=stranger)
        assert (answer.status, answer.code) == (404, "not_found")
    assert public_api(api_key).code == "invalid_parameter"  # still active


def test_key_names_are_checked(dashboard: Call, new_account: Callable[[], str]) -> None:
    token = new_account()
    for name in ("", "   ", "x" * 65, "tab\x00name"):
        answer = create(dashboard, token, name)
        assert (answer.status, answer.code) == (400, "invalid_parameter"), name
        assert answer.body["error"]["details"]["parameter"] == "name"


def test_usage_shows_the_enforced_counters_refusals_and_last_use(
    dashboard: Call, new_account: Callable[[], str], public_api: Callable[[str], Answer]
) -> None:
    token = new_account()
    api_key = create(dashboard, token).body["api_key"]
    answers = [public_api(api_key) for _ in range(52)]
    assert [a.status for a in answers].count(429) == 2  # the free plan admits 50 an hour

    usage = dashboard("GET", "/api/dashboard/usage", token=token).body
    (key,) = usage["keys"]
    assert key["hour"]["used"] == 50 and key["hour"]["remaining"] == 0
    assert key["day"]["used"] == 50 and key["day"]["limit"] == 500
    assert key["last_used_at"] is not None
    assert len(usage["days"]) == 7
    assert usage["days"][-1]["accepted"] == 50 and usage["days"][-1]["refused"] == 2
    assert sum(day["accepted"] for day in usage["days"][:-1]) == 0


def test_tasks_are_the_accounts_own_newest_first_with_links_and_warnings(
    dashboard: Call, new_account: Callable[[], str]
) -> None:
    token, other = new_account(), new_account()
    mine = create(dashboard, token).body["key"]["key_id"]
    theirs = create(dashboard, other).body["key"]["key_id"]
    table = TaskTable(get_settings().tasks_table)
    ttl = get_settings().task_ttl_days
    done = Task.new(key_id=mine, operation=Operation.BASICSWAP, inputs={}, ttl_days=ttl)
    done = done.model_copy(
        update={
            "status": TaskStatus.COMPLETED,
            "result_key": f"tasks/{done.task_id}/result.jpg",
            "quality": {"warnings": ["extreme_pose"], "faces": []},
        }
    )
    failed = Task.new(key_id=mine, operation=Operation.FACESWAP2, inputs={}, ttl_days=ttl).model_copy(
        update={"status": TaskStatus.FAILED, "error": ErrorBody(code=ErrorCode.NO_FACE_DETECTED, message="x")}
    )
    foreign = Task.new(key_id=theirs, operation=Operation.BASICSWAP, inputs={}, ttl_days=ttl)
    for task in (done, failed, foreign):
        table.create(task)

    rows = dashboard("GET", "/api/dashboard/tasks", token=token).body["tasks"]
    assert [r["task_id"] for r in rows] == [failed.task_id, done.task_id]
    assert rows[0]["error_code"] == "no_face_detected" and rows[0]["image_url"] is None
    assert rows[1]["warnings"] == ["extreme_pose"] and done.task_id in rows[1]["image_url"]


def test_faces_are_the_api_pre_checks_boxes_in_swap_index_order(
    dashboard: Call, new_account: Callable[[], str]
) -> None:
    token = new_account()
    two = dashboard(
        "POST",
        "/api/dashboard/faces",
        token=token,
        body=face_photos.two_faces((0, 2)),
        content_type="image/jpeg",
    )
    assert two.status == 200, two.body
    boxes = [face["box"] for face in two.body["faces"]]
    assert [face["index"] for face in two.body["faces"]] == [0, 1]
    assert boxes[0][0] < boxes[1][0]  # left to right, as swap_index counts
    width, height = two.body["width"], two.body["height"]
    assert all(0 < (x1 + x2) / 2 < width and 0 < (y1 + y2) / 2 < height for x1, y1, x2, y2 in boxes), boxes

    junk = dashboard(
        "POST", "/api/dashboard/faces", token=token, body=b"not an image", content_type="image/jpeg"
    )
    assert (junk.status, junk.code) == (400, "invalid_image_format")
    assert (
        dashboard(
            "POST", "/api/dashboard/faces", body=face_photos.one_face(1), content_type="image/jpeg"
        ).status
        == 401
    )
