"""GET /api/task-status/{id}: the owner sees the task; nobody else learns it exists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.adapters.clients import client
from core.adapters.s3 import MediaStore
from core.adapters.task_table import TaskTable
from core.logic.task_view import link_seconds, media_expires_at
from core.settings import Settings
from tests import face_photos
from tests.integration.api.helpers import Invoke, multipart


def test_status_for_owner_other_key_unknown_and_malformed(invoke: Invoke, other_key: str) -> None:
    content_type, body = multipart({"srcimage": face_photos.two_faces((0, 2))})
    task_id = invoke("POST", "/api/faceswap/swapfacesameimage", body=body, content_type=content_type).body[
        "task_id"
    ]
    mine = invoke("GET", f"/api/task-status/{task_id}")
    assert mine.status == 200
    assert mine.body["status"] == "queued" and mine.body["operation"] == "swapfacesameimage"
    assert {"created_at", "updated_at"} <= mine.body.keys() and "image_url" not in mine.body
    for path, key in (
        (f"/api/task-status/{task_id}", other_key),
        ("/api/task-status/" + "f" * 32, None),
        ("/api/task-status/not-a-task", None),
        ("/api/task-status/%00..%2F", None),
    ):
        answer = invoke("GET", path, **({"key": key} if key else {}))
        assert (answer.status, answer.code) == (404, "not_found"), path


def test_completed_task_has_a_working_time_limited_url(invoke: Invoke) -> None:
    import urllib.request

    content_type, body = multipart({"srcimage": face_photos.two_faces((0, 2))})
    task_id = invoke("POST", "/api/faceswap/swapfacesameimage", body=body, content_type=content_type).body[
        "task_id"
    ]
    settings = Settings()
    tasks = TaskTable(settings.tasks_table)
    assert tasks.claim(task_id, "test-worker", 60) is not None
    MediaStore(settings.media_bucket).put(f"tasks/{task_id}/result.jpg", b"\xff\xd8result", "image/jpeg")
    tasks.complete(
        task_id,
        "test-worker",
        result_key=f"tasks/{task_id}/result.jpg",
        content_type="image/jpeg",
        engine={"tier": "offline"},
    )
    answer = invoke("GET", f"/api/task-status/{task_id}")
    assert answer.body["status"] == "completed" and answer.body["expires_at"]
    assert answer.body["image_url"].startswith("http://127.0.0.1:")
    with urllib.request.urlopen(answer.body["image_url"]) as response:  # noqa: S310 - moto on loopback
        assert response.read() == b"\xff\xd8result"


def _completed_task_created(invoke: Invoke, created_at: datetime) -> str:
    """A completed task whose row says it was created at `created_at` (its result file in the bucket)."""
    content_type, body = multipart({"srcimage": face_photos.two_faces((0, 2))})
    task_id = invoke("POST", "/api/faceswap/swapfacesameimage", body=body, content_type=content_type).body[
        "task_id"
    ]
    settings = Settings()
    tasks = TaskTable(settings.tasks_table)
    tasks.claim(task_id, "test-worker", 60)
    MediaStore(settings.media_bucket).put(f"tasks/{task_id}/result.jpg", b"\xff\xd8result", "image/jpeg")
    tasks.complete(
        task_id, "test-worker", result_key=f"tasks/{task_id}/result.jpg", content_type="image/jpeg", engine={}
    )
    client("dynamodb").update_item(
        TableName=settings.tasks_table,
        Key={"task_id": {"S": task_id}},
        UpdateExpression="SET created_at = :c",
        ExpressionAttributeValues={":c": {"S": created_at.isoformat()}},
    )
    return task_id


def test_a_result_past_media_retention_is_reported_expired_not_linked(invoke: Invoke) -> None:
    # RetentionDays (MEDIA_RETENTION_DAYS) is 1: S3 may delete a result from midnight after a day.
    task_id = _completed_task_created(invoke, datetime.now(UTC) - timedelta(days=2, minutes=1))
    answer = invoke("GET", f"/api/task-status/{task_id}")
    assert answer.status == 200
    assert answer.body["status"] == "completed" and answer.body["result_expired"] is True
    assert "image_url" not in answer.body and "expires_at" not in answer.body


def test_a_fresh_result_is_linked_and_not_expired(invoke: Invoke) -> None:
    task_id = _completed_task_created(invoke, datetime.now(UTC))
    answer = invoke("GET", f"/api/task-status/{task_id}")
    assert answer.body["image_url"] and "result_expired" not in answer.body


@pytest.mark.parametrize(
    ("created", "expiry"),
    [
        ("2026-03-01T10:30:00+00:00", "2026-03-03T00:00:00+00:00"),  # +1 day, then the next midnight
        ("2026-03-01T00:00:00+00:00", "2026-03-03T00:00:00+00:00"),
        ("2026-03-01T23:59:59+00:00", "2026-03-03T00:00:00+00:00"),
    ],
)
def test_media_expiry_is_s3s_lifecycle_date(created: str, expiry: str) -> None:
    assert media_expires_at(datetime.fromisoformat(created), 1) == datetime.fromisoformat(expiry)


def test_links_never_outlive_the_file() -> None:
    expiry = datetime(2026, 3, 3, tzinfo=UTC)
    assert link_seconds(expiry - timedelta(hours=5), expiry, 3600) == 3600
    assert link_seconds(expiry - timedelta(minutes=10), expiry, 3600) == 600
    assert link_seconds(expiry - timedelta(seconds=30), expiry, 3600) is None
    assert link_seconds(expiry + timedelta(days=1), expiry, 3600) is None
