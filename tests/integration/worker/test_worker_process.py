"""`python -m worker` as a real process: start-up, SIGTERM while idle and while working."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.models.task import Task, TaskStatus
from core.settings import Settings
from engine_layer.operations import Operation
from tests import face_photos
from tests.integration.worker.helpers import Submit, queue_depth, result_objects
from tests.offline_models import offline_model_dir

pytestmark = pytest.mark.slow


class WorkerProcess:
    def __init__(self, settings: Settings, tmp_path: Path, *args: str, **env: str) -> None:
        self.ready_file = tmp_path / "ready"
        self.log = tmp_path / "worker.log"
        environment = {
            **os.environ,
            "TASK_QUEUE_URL": settings.task_queue_url,
            "TASK_DLQ_URL": settings.task_dlq_url,
            "FACESWAP_MODEL_DIR": str(offline_model_dir()),
            "WORKER_POLL_WAIT_SECONDS": "1",
            **env,
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "worker", "--ready-file", str(self.ready_file), *args],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            assert self.process.poll() is None, f"worker exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"worker not ready:\n{self.output()}"
            time.sleep(0.1)

    def terminate_and_wait(self, timeout: float) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


Spawn = Callable[..., WorkerProcess]


@pytest.fixture()
def spawn(settings: Settings, tmp_path: Path) -> Iterator[Spawn]:
    started: list[WorkerProcess] = []

    def start(*args: str, **env: str) -> WorkerProcess:
        worker = WorkerProcess(settings, tmp_path, *args, **env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


def large_basicswap(submit: Submit) -> Task:
    """A basicswap on a 10 MP scene: long enough in the engine for a signal to land mid-task."""
    scene = Image.open(io.BytesIO(face_photos.one_face(4)))
    big = scene.resize((scene.width * 12, scene.height * 12), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    big.save(out, format="PNG", compress_level=1)
    return submit(
        Operation.BASICSWAP,
        {"srcimage": face_photos.one_face(1), "targetimage": out.getvalue()},
        enhance=True,
    )


def wait_for_status(tasks: TaskTable, task_id: str, status: TaskStatus, timeout: float = 60) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = tasks.get(task_id)
        if task is not None and task.status is status:
            return task
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} never reached {status}")


def test_idle_worker_exits_zero_on_sigterm(spawn: Spawn) -> None:
    worker = spawn()
    worker.wait_ready()
    code, took = worker.terminate_and_wait(timeout=30)
    assert code == 0, worker.output()
    assert took < 10
    assert "engine loaded" in worker.output()


def test_sigterm_mid_task_gives_the_message_and_lease_back(
    spawn: Spawn, settings: Settings, submit: Submit, tasks: TaskTable, queue: TaskQueue
) -> None:
    worker = spawn("--shutdown-grace-seconds", "0")
    worker.wait_ready()
    task = large_basicswap(submit)
    wait_for_status(tasks, task.task_id, TaskStatus.PROCESSING)

    code, took = worker.terminate_and_wait(timeout=30)

    assert code == 0, worker.output()
    assert took < 10  # it did not wait for the engine
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.PROCESSING, worker.output()
    assert stored.lease_expires_at is not None and stored.lease_expires_at < time.time()
    assert result_objects(settings, task.task_id) == []
    returned = queue.receive(wait_seconds=0, visibility_timeout=30)  # visible again at once
    assert [m.task_id for m in returned] == [task.task_id]
    assert returned[0].receive_count == 2
    assert tasks.claim(task.task_id, "next-worker", 60) is not None  # the next worker may take it


def test_sigterm_mid_task_finishes_it_within_the_grace_period(
    spawn: Spawn, settings: Settings, submit: Submit, tasks: TaskTable
) -> None:
    worker = spawn("--shutdown-grace-seconds", "120")
    worker.wait_ready()
    task = large_basicswap(submit)
    wait_for_status(tasks, task.task_id, TaskStatus.PROCESSING)

    code, _ = worker.terminate_and_wait(timeout=150)

    assert code == 0, worker.output()
    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.COMPLETED, worker.output()
    assert result_objects(settings, task.task_id) == [stored.result_key]
    assert queue_depth(settings.task_queue_url) == 0


def test_worker_refuses_to_start_without_the_required_tier(spawn: Spawn, tmp_path: Path) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    worker = spawn(FACESWAP_MODEL_DIR=str(empty), FACESWAP_REQUIRE_TIER="production")
    code = worker.process.wait(60)
    assert code == 2, worker.output()
    assert not worker.ready_file.exists()
    assert "required models are missing" in worker.output()
