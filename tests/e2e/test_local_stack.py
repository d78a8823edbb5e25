"""The local stack as a user meets it: `python -m infra.local.stack` in a child process, driven over HTTP
with real multipart requests, the result downloaded from its presigned URL, then stopped with SIGTERM."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import numpy as np
import pytest
import requests
from PIL import Image

from infra.local.api_client import FaceSwapClient
from infra.local.stack_process import LocalStackProcess, child_pids, pid_alive
from tests import face_photos
from tests.offline_models import offline_model_dir
from tests.provenance_checks import assert_all_marks

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

Rect = tuple[int, int, int, int]


def jpeg(field: str, data: bytes) -> tuple[str, bytes, str]:
    return (f"{field}.jpg", data, "image/jpeg")


def png(field: str, data: bytes) -> tuple[str, bytes, str]:
    return (f"{field}.png", data, "image/png")


# operation -> (multipart files, extra form fields, the scene's crop on t1.jpg, the scene's field)
CASES: dict[str, tuple[dict[str, tuple[str, bytes, str]], dict[str, str], Rect, str]] = {
    "basicswap": (
        {
            "srcimage": jpeg("srcimage", face_photos.one_face(1)),
            "targetimage": jpeg("targetimage", face_photos.one_face(4)),
        },
        {},
        face_photos.ONE_FACE_CROPS[4],
        "targetimage",
    ),
    "faceswap2": (
        {
            "srcimage": jpeg("srcimage", face_photos.two_faces((0, 2))),
            "targetimage": jpeg("targetimage", face_photos.two_faces((3, 5))),
        },
        {"swap_index": "1,0", "enhance": "true"},
        face_photos.TWO_FACE_CROPS[(3, 5)],
        "targetimage",
    ),
    "swap1from2": (
        {
            "srcimage": jpeg("srcimage", face_photos.two_faces((3, 5))),
            "targetimage1": jpeg("targetimage1", face_photos.one_face(1)),
            "targetimage2": jpeg("targetimage2", face_photos.one_face(4)),
        },
        {},
        face_photos.TWO_FACE_CROPS[(3, 5)],
        "srcimage",
    ),
    "swapfacesameimage": (
        {"srcimage": png("srcimage", face_photos.two_faces((0, 2), image_format="PNG"))},
        {"enhance": "FALSE"},
        face_photos.TWO_FACE_CROPS[(0, 2)],
        "srcimage",
    ),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    process = LocalStackProcess(log_path=log, plan="pro", model_dir=offline_model_dir())
    process.start(timeout=300)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(stack: LocalStackProcess) -> FaceSwapClient:
    return FaceSwapClient(stack.base_url, stack.api_key)


def test_health_answers_once_the_stack_can_take_work(stack: LocalStackProcess) -> None:
    response = requests.get(f"{stack.base_url}/api/health", timeout=10)
    assert response.status_code == 200
    assert child_pids(stack.pid), "the worker runs as a child process"


@pytest.mark.parametrize("operation", list(CASES))
def test_operation_completes_and_its_image_downloads(api: FaceSwapClient, operation: str) -> None:
    files, form, scene_rect, scene_field = CASES[operation]

    submitted = api.submit(operation, files, form)

    assert submitted.status_code == 201, submitted.text
    body = submitted.json()
    assert body["success"] is True and body["status"] == "queued"
    assert body["status_url"] == f"/api/task-status/{body['task_id']}"
    final = api.wait(body["task_id"], timeout=180)
    assert final["status"] == "completed", final
    assert final["operation"] == operation
    download = requests.get(final["image_url"], timeout=30)
    assert download.status_code == 200
    assert final["image_url"].startswith("http://127.0.0.1:")

    scene = Image.open(io.BytesIO(files[scene_field][1]))
    result = Image.open(io.BytesIO(download.content))
    result.load()
    assert result.format == scene.format and result.size == scene.size
    assert_differs_only_around_faces(scene, result, face_photos.face_boxes(scene_rect))
    # Issue 13: XMP, valid Content Credentials naming the scene, and a watermark; verify names the task.
    assert_all_marks(download.content, files[scene_field][1], operation)
    verified = api.verify(download.content)
    assert verified.status_code == 200, verified.text
    assert verified.json()["watermark"]["task_id"] == body["task_id"]
    assert verified.json()["c2pa"]["valid"] is True


def test_a_result_reencoded_at_q75_is_still_recognised(api: FaceSwapClient) -> None:
    files, form, _, _ = CASES["basicswap"]
    task_id = api.submit("basicswap", files, form).json()["task_id"]
    final = api.wait(task_id, timeout=180)
    result = Image.open(io.BytesIO(requests.get(final["image_url"], timeout=30).content))
    reencoded = io.BytesIO()
    result.convert("RGB").save(reencoded, "JPEG", quality=75)
    verified = api.verify(reencoded.getvalue()).json()
    assert verified["c2pa"]["present"] is False and verified["metadata"] is None  # stripped by the re-encode
    assert verified["watermark"]["found"] is True and verified["watermark"]["task_id"] == task_id


def assert_differs_only_around_faces(scene: Image.Image, result: Image.Image, faces: list[Rect]) -> None:
    difference = np.abs(
        np.asarray(result.convert("RGB"), np.int16) - np.asarray(scene.convert("RGB"), np.int16)
    ).max(axis=2)
    around = np.zeros(difference.shape, dtype=bool)
    for x1, y1, x2, y2 in faces:
        # The swap reaches past the detector's tight box (forehead, jaw, blend margin): allow 2x.
        cx, cy, half_w, half_h = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1), (y2 - y1)
        around[max(0, int(cy - half_h)) : int(cy + half_h), max(0, int(cx - half_w)) : int(cx + half_w)] = (
            True
        )
        assert difference[y1:y2, x1:x2].mean() > 6, "each swapped face changes"
    outside = difference[~around]
    # The watermark moves every pixel by at most 3 levels a channel (engine_layer/provenance/watermark.py).
    watermark = 3
    assert outside.mean() < 2.0 + watermark and outside.max() <= 24 + watermark, "the rest stays as it was"


def test_bad_inputs_get_4xx_and_the_stack_keeps_working(
    stack: LocalStackProcess, api: FaceSwapClient
) -> None:
    one = jpeg("srcimage", face_photos.one_face(1))
    missing = api.submit("basicswap", {"srcimage": one})
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "invalid_parameter"
    assert missing.json()["error"]["details"]["parameter"] == "targetimage"

    not_an_image = api.submit(
        "basicswap", {"srcimage": one, "targetimage": ("t.jpg", b"hello", "image/jpeg")}
    )
    assert not_an_image.status_code == 400
    assert not_an_image.json()["error"]["code"] == "invalid_image_format"

    no_face = api.submit("basicswap", {"srcimage": one, "targetimage": jpeg("t", face_photos.no_face())})
    assert no_face.status_code == 400 and no_face.json()["error"]["code"] == "no_face_detected"

    unauthenticated = api.submit("basicswap", {"srcimage": one}, api_key="")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "api_key_required"

    assert api.status("0" * 32).status_code == 404
    too_big = api.submit(
        "basicswap", {"srcimage": one, "targetimage": ("t.jpg", b"\xff" * 4_800_000, "image/jpeg")}
    )
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "payload_too_large"

    assert requests.get(f"{stack.base_url}/api/health", timeout=10).status_code == 200
    files, form, _, _ = CASES["basicswap"]
    again = api.submit("basicswap", files, form)
    assert again.status_code == 201
    assert api.wait(again.json()["task_id"], timeout=180)["status"] == "completed"


def test_sigterm_stops_every_process_the_stack_started(stack: LocalStackProcess) -> None:
    children = child_pids(stack.pid)
    assert children

    code = stack.stop()

    assert code == 0, stack.output()
    assert [pid for pid in children if pid_alive(pid)] == []
    for port in (stack.port, stack.moto_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    assert "Traceback" not in stack.output()
