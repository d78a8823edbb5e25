"""GET /api/task-status/{id}: the owner sees the task; nobody else learns it exists."""

from __future__ import annotations

from functions.core.aws.s3 import MediaStore
from functions.core.aws.task_table import TaskTable
from functions.core.settings import Settings
from tests import face_photos
from tests.integration.api.conftest import Invoke, multipart


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
