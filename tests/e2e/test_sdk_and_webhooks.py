"""The SDK, the `faceswap` CLI and webhooks against the real local stack (a child process on free ports):
swaps submitted by path and bytes, waited for and downloaded; typed errors from live answers; a receiver
on 127.0.0.1 that answers 500 then 200 gets a correctly signed call, then its retry."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import faceswap_sdk
import httpx
import pytest
from faceswap_sdk import AsyncClient, Client, verify_webhook
from faceswap_sdk._requests import LARGE_IMAGE_BYTES
from PIL import Image
from standardwebhooks.webhooks import Webhook

from infra.local.stack_process import LocalStackProcess
from tests import face_photos
from tests.offline_models import offline_model_dir
from tests.webhook_receiver import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    # Short backoff so a retry happens within the test (production: 5 s, 5 min, 30 min, ...).
    process = LocalStackProcess(
        log_path=log,
        plan="pro",
        model_dir=offline_model_dir(),
        extra_env={"WEBHOOK_RETRY_DELAYS_SECONDS": "1,1,1"},
    )
    process.start(timeout=300)
    yield process
    process.stop()


@pytest.fixture()
def client(stack: LocalStackProcess) -> Iterator[Client]:
    with Client(stack.api_key, base_url=stack.base_url) as made:
        yield made


@pytest.fixture()
def photos(tmp_path: Path) -> dict[str, Path]:
    files = {
        "source": face_photos.one_face(1),
        "target": face_photos.one_face(4),
        "couple": face_photos.two_faces((0, 2)),
    }
    for name, data in files.items():
        (tmp_path / f"{name}.jpg").write_bytes(data)
    return {name: tmp_path / f"{name}.jpg" for name in files}


def test_basic_swap_by_path_waits_and_downloads(client: Client, photos: dict[str, Path], tmp_path: Path):
    task = client.basic_swap(photos["source"], photos["target"])
    assert task.status == "queued"
    seen: list[str] = []
    task.wait(timeout=300, on_progress=lambda t, _: seen.append(t.status))
    assert task.status == "completed" and seen[-1] == "completed"
    saved = task.download(tmp_path / "result.jpg")
    with Image.open(saved) as result, Image.open(photos["target"]) as scene:
        assert (result.format, result.size) == ("JPEG", scene.size)


def test_async_client_swaps_the_two_faces_of_bytes(stack: LocalStackProcess, photos: dict[str, Path]):
    async def scenario() -> bytes:
        async with AsyncClient(stack.api_key, base_url=stack.base_url) as client:
            task = await client.swap_same_image(photos["couple"].read_bytes())
            await task.wait(timeout=300)
            return await task.download()

    result = asyncio.run(scenario())
    with Image.open(io.BytesIO(result)) as image:
        assert image.size == Image.open(photos["couple"]).size


class RecordingTransport(httpx.HTTPTransport):
    """A real HTTP transport that notes each request's method and path."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        return super().handle_request(request)


def test_large_images_go_through_uploads_and_are_swapped(stack: LocalStackProcess, tmp_path: Path):
    source = face_photos.large_jpeg(1, LARGE_IMAGE_BYTES)
    scene = face_photos.large_jpeg(4, LARGE_IMAGE_BYTES)
    transport = RecordingTransport()
    with Client(stack.api_key, base_url=stack.base_url, transport=transport) as client:
        task = client.basic_swap(source, scene)  # both images over the inline limit
        uploads = [seen for seen in transport.seen if seen == ("POST", "/api/uploads")]
        assert len(uploads) == 2 and task.status == "queued"
        task.wait(timeout=300)
        result = task.download()
    assert isinstance(result, bytes)
    with Image.open(io.BytesIO(result)) as image, Image.open(io.BytesIO(scene)) as original:
        assert (image.format, image.size) == ("JPEG", original.size)


def test_an_idempotency_key_sent_twice_makes_one_task_counted_once(client: Client, photos: dict[str, Path]):
    key = f"order-{time.time_ns()}"
    first = client.basic_swap(photos["source"], photos["target"], idempotency_key=key)
    again = client.basic_swap(photos["source"], photos["target"], idempotency_key=key)
    other = client.basic_swap(photos["source"], photos["target"])  # no key: a new task, counted
    assert again.task_id == first.task_id and other.task_id != first.task_id
    assert (first.replayed, again.replayed, other.replayed) == (False, True, False)
    counted = [task.rate_limit for task in (first, again, other)]
    assert all(counted) and len({limit.reset_at for limit in counted if limit}) == 1  # one window
    remaining = [limit.remaining for limit in counted if limit]
    assert remaining == [remaining[0], remaining[0], remaining[0] - 1]
    with pytest.raises(faceswap_sdk.IdempotencyKeyReusedError):
        client.basic_swap(photos["target"], photos["source"], idempotency_key=key)
    for task in (first, other):
        task.wait(timeout=300)


def test_wait_returns_a_finished_task_without_polling(stack: LocalStackProcess, photos: dict[str, Path]):
    transport = RecordingTransport()
    with Client(stack.api_key, base_url=stack.base_url, transport=transport) as client:
        task = client.basic_swap(photos["source"], photos["target"], wait=20)
        assert task.status == "completed", task.data  # 20 s is ample for these small photos
        assert task.wait() is task and task.download()
    assert not [path for _, path in transport.seen if path.startswith("/api/task-status/")]
    assert task.headers["preference-applied"] == "wait=20"


def test_verify_finds_the_three_marks_on_a_result_and_none_on_a_photo(
    client: Client, stack: LocalStackProcess, photos: dict[str, Path], tmp_path: Path
):
    task = client.basic_swap(photos["source"], photos["target"], wait=20).wait(timeout=300)
    saved = task.download(tmp_path / "result.jpg")
    found = client.verify(saved)
    assert found.marks == ["xmp", "c2pa", "watermark"], found.data
    assert found.watermark.registered and found.watermark.task_id == task.task_id
    assert found.metadata and found.c2pa.actions[-1] == "c2pa.edited"
    assert found.c2pa.digital_source_type == found.metadata["DigitalSourceType"]
    assert found.c2pa.digital_source_type.endswith("/compositeSynthetic")
    assert client.verify(photos["target"].read_bytes()).marks == []

    env = {**os.environ, "FACESWAP_API_KEY": stack.api_key, "FACESWAP_BASE_URL": stack.base_url}
    command = [sys.executable, "-m", "faceswap_sdk.cli", "verify"]
    marked = subprocess.run([*command, str(saved)], env=env, capture_output=True, text=True, timeout=60)
    assert marked.returncode == 0, marked.stderr
    assert f"task {task.task_id}" in marked.stdout
    plain = subprocess.run(
        [sys.executable, "-m", "faceswap_sdk.cli", "--json", "verify", str(photos["target"])],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert plain.returncode == 9 and json.loads(plain.stdout)["watermark"]["found"] is False


def test_live_errors_are_typed(client: Client, stack: LocalStackProcess):
    with pytest.raises(faceswap_sdk.NoFaceDetectedError) as caught:
        client.basic_swap(face_photos.no_face(), face_photos.one_face(4))
    assert caught.value.status_code == 400 and caught.value.details["image"] == "srcimage"
    with pytest.raises(faceswap_sdk.NotFoundError):
        client.get_task("0" * 32)
    with (
        Client("fsk_not_a_key", base_url=stack.base_url) as stranger,
        pytest.raises(faceswap_sdk.InvalidApiKeyError),
    ):
        stranger.get_task("0" * 32)


def test_cli_swaps_and_reports_status(stack: LocalStackProcess, photos: dict[str, Path], tmp_path: Path):
    env = {**os.environ, "FACESWAP_API_KEY": stack.api_key, "FACESWAP_BASE_URL": stack.base_url}
    out = tmp_path / "cli.jpg"
    command = [
        sys.executable,
        "-m",
        "faceswap_sdk.cli",
        "swap",
        "couple",
        str(photos["couple"]),
        str(photos["couple"]),
    ]
    done = subprocess.run(
        [*command, "--swap-index", "1,0", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out) and out.stat().st_size > 0
    assert "completed" in done.stderr  # the progress display

    submitted = subprocess.run([*command, "--no-wait"], env=env, capture_output=True, text=True, timeout=60)
    task_id = submitted.stdout.strip()
    shown = subprocess.run(
        [sys.executable, "-m", "faceswap_sdk.cli", "--json", "status", task_id, "--wait"],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["status"] == "completed"

    refused = subprocess.run(
        [*command[:5], str(tmp_path / "nowhere.jpg"), str(photos["couple"])],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 3


def test_a_webhook_is_signed_and_retried_after_a_500(client: Client, photos: dict[str, Path]):
    secret = client.rotate_webhook_secret()  # the local key's secret was shown only at its creation
    with WebhookReceiver(statuses=[500, 200]) as receiver:
        task = client.basic_swap(photos["source"], photos["target"], webhook_url=receiver.url)
        task.wait(timeout=300)
        first, second = receiver.wait_for(2, timeout=60)
    for call in (first, second):
        event = verify_webhook(call.body, call.headers, secret)  # the SDK's verifier
        assert Webhook(secret).verify(call.body, call.headers) == event  # the reference agrees
        assert event["type"] == "task.completed"
        assert event["data"]["task_id"] == task.task_id and event["data"]["image_url"]
        assert call.headers["webhook-id"] == f"msg_{task.task_id}"
    assert int(second.headers["webhook-timestamp"]) >= int(first.headers["webhook-timestamp"])

    deadline = time.monotonic() + 20
    while not (webhook := task.refresh().webhook or {}).get("delivered") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert webhook["url"] == receiver.url and webhook["delivered"] is True
    assert [a["status_code"] for a in webhook["attempts"]] == [500, 200]
    assert webhook["attempts"][0]["error"] and webhook["attempts"][1]["error"] is None


def test_a_webhook_url_the_rules_refuse_is_invalid_parameter(client: Client, photos: dict[str, Path]):
    with pytest.raises(faceswap_sdk.InvalidParameterError) as caught:
        client.basic_swap(photos["source"], photos["target"], webhook_url="http://169.254.169.254/latest/")
    assert caught.value.parameter == "webhook_url"
