"""infra/worker/entrypoint.sh (the GPU image's entry point) as a real process, outside Docker: it fills
the model cache from the image's offline tier, execs the worker (so SIGTERM reaches it, exit 0), runs a
task, and refuses to start a worker when the model pull from MODEL_LOCATION fails."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.adapters.clients import client
from core.adapters.s3 import MediaStore
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.models.task import Task, TaskStatus, input_key, new_task_id
from core.settings import Settings
from engine_layer import manifest
from engine_layer.operations import Operation
from tests import face_photos
from tests.offline_models import offline_model_dir

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "infra" / "worker" / "entrypoint.sh"
VENV_BIN = REPO / ".venv" / "bin"


class Container:
    """The entry point started the way the image starts it, with the image's environment variables."""

    def __init__(self, tmp_path: Path, settings: Settings, queue_url: str, **env: str) -> None:
        self.cache = tmp_path / "models"
        self.ready_file = tmp_path / "ready"
        self.log = tmp_path / "container.log"
        inherited = {k: v for k, v in os.environ.items() if k != "MODEL_LOCATION"}  # only what a test sets
        environment = {
            **inherited,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            "FACESWAP_MODEL_DIR": str(self.cache),
            "FACESWAP_OFFLINE_MODELS": str(offline_model_dir()),
            "FACESWAP_WORKER_READY_FILE": str(self.ready_file),
            "TASK_QUEUE_URL": queue_url,
            "TASKS_TABLE": settings.tasks_table,
            "MEDIA_BUCKET": settings.media_bucket,
            "WORKER_POLL_WAIT_SECONDS": "1",
            **env,
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["/bin/sh", str(ENTRYPOINT), "--shutdown-grace-seconds", "5"],
                cwd=REPO,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            assert self.process.poll() is None, f"exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"never ready:\n{self.output()}"
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture()
def queue_url(aws_env: dict[str, str]) -> str:
    """A queue of its own, so the process takes no message another test left behind."""
    return client("sqs").create_queue(QueueName=f"entrypoint-{uuid.uuid4().hex[:8]}")["QueueUrl"]


@pytest.fixture()
def containers() -> Iterator[list[Container]]:
    started: list[Container] = []
    yield started
    for container in started:
        container.kill()


@pytest.mark.slow
def test_entrypoint_links_offline_models_runs_a_task_and_stops_on_sigterm(
    tmp_path: Path, settings: Settings, queue_url: str, containers: list[Container]
) -> None:
    container = Container(tmp_path, settings, queue_url)
    containers.append(container)
    container.wait_ready()

    for model in manifest.offline_files():
        cached = model.path(container.cache)
        assert cached.is_symlink() and cached.resolve() == model.path(offline_model_dir()).resolve()

    task_id = new_task_id()
    images = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    inputs = {field: input_key(task_id, field) for field in images}
    for field, data in images.items():
        MediaStore(settings.media_bucket).put(inputs[field], data, "image/jpeg")
    tasks = TaskTable(settings.tasks_table)
    tasks.create(
        Task.new(
            task_id=task_id, key_id="key_entrypoint", operation=Operation.BASICSWAP, inputs=inputs, ttl_days=1
        )
    )
    TaskQueue(queue_url).send(task_id)
    deadline = time.monotonic() + 60
    while (task := tasks.get(task_id)) is None or task.status is not TaskStatus.COMPLETED:
        assert time.monotonic() < deadline, f"task not completed: {task}\n{container.output()}"
        assert container.process.poll() is None, container.output()
        time.sleep(0.2)

    container.process.send_signal(signal.SIGTERM)
    # 0 is the worker's own clean exit: a shell that had not exec'd would have died of the signal (143).
    assert container.process.wait(timeout=30) == 0, container.output()


def test_entrypoint_refuses_to_start_when_the_model_pull_fails(
    tmp_path: Path, settings: Settings, queue_url: str, containers: list[Container]
) -> None:
    empty = f"s3://{settings.media_bucket}/no-models-here-{uuid.uuid4().hex[:6]}/"
    container = Container(tmp_path, settings, queue_url, MODEL_LOCATION=empty)
    containers.append(container)
    code = container.process.wait(timeout=60)
    output = container.output()
    assert code == 1, output
    assert "model pull" in output and empty in output
    assert not container.ready_file.exists()  # the worker never started
