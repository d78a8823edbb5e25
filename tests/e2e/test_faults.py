"""Faults injected into a running local stack (2 supervised workers, short timings), driven over HTTP.

Faults are armed through core/logic/fault_injection.py: a file in the stack's FACESWAP_FAULT_DIR
names a point and an action (SIGKILL at a named point in the worker, an AWS call failing in the API or a
worker, an engine call that never returns). Each test checks the guarantees the README states: every
accepted task ends completed or failed with a code, within a bound; a result is written once; the API
answers a fault with the envelope; no task is left unfinished with no message to move it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.api_client import FaceSwapClient
from infra.local.load import (
    create_keys,
    keep_result_versions,
    messages_owed,
    result_versions,
    run_load,
    stored_task,
    unfinished_tasks,
)
from infra.local.stack_process import LocalStackProcess
from tests import face_photos
from tests.offline_models import offline_model_dir

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

VISIBILITY_SECONDS = 4
LEASE_SECONDS = 3
# A crash delays a task by at most the visibility (the lease lapses first); the rest is a poll and the
# swap itself, with a wide margin for a loaded 2-core CI machine.
CRASH_BOUND_SECONDS = VISIBILITY_SECONDS + LEASE_SECONDS + 45
MAX_RECEIVES = 3  # template.yaml's maxReceiveCount

IMAGES = {
    "srcimage": ("srcimage.jpg", face_photos.one_face(1), "image/jpeg"),
    "targetimage": ("targetimage.jpg", face_photos.one_face(4), "image/jpeg"),
}


@pytest.fixture(scope="module")
def fault_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fault_dir: Path) -> Iterator[LocalStackProcess]:
    process = LocalStackProcess(
        log_path=tmp_path_factory.mktemp("fault-stack") / "stack.log",
        plan="pro",
        model_dir=offline_model_dir(),
        workers=2,
        extra_env={
            "FACESWAP_FAULT_DIR": str(fault_dir),
            "WORKER_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_SECONDS),
            "WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
            "WORKER_RETRY_DELAY_SECONDS": "1",
            # Long enough for a swap on a loaded machine; the poison test's attempts each wait this long.
            "WORKER_ENGINE_TIMEOUT_SECONDS": "10",
            "WORKER_POLL_WAIT_SECONDS": "1",
            "SWEEPER_INTERVAL_SECONDS": "1",
        },
    )
    process.start(timeout=300)
    keep_result_versions(process)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(stack: LocalStackProcess) -> FaceSwapClient:
    return FaceSwapClient(stack.base_url, stack.api_key)


def arm(fault_dir: Path, point: str, action: str) -> Path:
    """Arm a fault (written then renamed, so no process ever reads half a file)."""
    path = fault_dir / point
    staged = fault_dir / f".{point}.tmp"
    staged.write_text(action)
    staged.rename(path)
    return path


def submit(api: FaceSwapClient) -> str:
    response = api.submit("basicswap", IMAGES)
    assert response.status_code == 201, response.text
    return str(response.json()["task_id"])


def finish(api: FaceSwapClient, task_id: str, timeout: float) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    body = api.wait(task_id, timeout=timeout, interval=0.2)
    return body, time.monotonic() - started


def assert_completed_once(stack: LocalStackProcess, body: dict[str, Any], task_id: str) -> None:
    assert body["status"] == "completed", body
    assert result_versions(stack, task_id) == 1, "the result object was written more than once"


def wait_for_workers(stack: LocalStackProcess, count: int = 2, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(stack.worker_pids()) < count:
        assert time.monotonic() < deadline, stack.output()[-3000:]
        time.sleep(0.2)


# --- a worker killed (SIGKILL) at the worst moments -------------------------------------------------


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param({"worker.after_claim": "kill"}, id="mid-task"),
        pytest.param({"worker.after_result_upload": "kill"}, id="between-result-upload-and-status-write"),
        pytest.param({"worker.engine": "sleep 2.5", "worker.heartbeat": "kill"}, id="during-a-heartbeat"),
    ],
)
def test_a_killed_worker_s_task_completes_once_within_the_bound(
    stack: LocalStackProcess, api: FaceSwapClient, fault_dir: Path, faults: dict[str, str]
) -> None:
    wait_for_workers(stack)
    for point, action in faults.items():
        arm(fault_dir, point, action)
    task_id = submit(api)

    body, seconds = finish(api, task_id, timeout=120)

    assert_completed_once(stack, body, task_id)
    assert seconds < CRASH_BOUND_SECONDS, f"took {seconds:.1f} s"
    assert not any((fault_dir / point).exists() for point in faults), "the fault never fired"
    # One crash costs one attempt (and one receive), not more: the lease lapsed before the message came back.
    assert int(stored_task(stack, task_id)["attempts"]["N"]) == 2
    assert "exited with status -9; restarting it" in stack.output()
    wait_for_workers(stack)  # the supervisor brought the dead worker back


# --- AWS errors during submit and during work ---------------------------------------------------------


@pytest.mark.parametrize(
    "point", ["api.aws.s3.PutObject", "api.aws.dynamodb.PutItem", "api.aws.sqs.SendMessage"]
)
def test_an_aws_error_during_submit_answers_the_envelope_and_leaves_nothing_behind(
    stack: LocalStackProcess, api: FaceSwapClient, fault_dir: Path, point: str
) -> None:
    arm(fault_dir, point, "error")

    response = api.submit("basicswap", IMAGES)

    assert response.status_code in (500, 503), response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "server_error"
    assert body["error"]["details"]["request_id"]
    assert not (fault_dir / point).exists()
    # No task left queued without a message, nor a message without a task: once the workers drained the
    # queue, nothing is owed and nothing unfinished remains.
    deadline = time.monotonic() + 30
    while unfinished_tasks(stack) or messages_owed(stack):
        assert time.monotonic() < deadline, (unfinished_tasks(stack), messages_owed(stack))
        time.sleep(0.5)
    assert "unknown task" not in stack.output()
    assert api.submit("basicswap", IMAGES).status_code == 201  # and the next submission works


@pytest.mark.parametrize(
    "point",
    [
        "worker.aws.sqs.ReceiveMessage",
        "worker.aws.dynamodb.UpdateItem",  # the claim
        "worker.aws.s3.GetObject",  # an input
        "worker.aws.s3.PutObject",  # the result
        "worker.aws.sqs.DeleteMessage",  # after completing: the message comes back as a duplicate
    ],
)
def test_an_aws_error_during_work_is_retried_and_the_task_completes_once(
    stack: LocalStackProcess, api: FaceSwapClient, fault_dir: Path, point: str
) -> None:
    wait_for_workers(stack)
    arm(fault_dir, point, "error")
    task_id = submit(api)

    body, _ = finish(api, task_id, timeout=60)

    assert_completed_once(stack, body, task_id)
    assert not (fault_dir / point).exists(), "the fault never fired"
    deadline = time.monotonic() + 2 * VISIBILITY_SECONDS + 5
    while messages_owed(stack):  # a duplicate delivery is dropped, not run again
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert result_versions(stack, task_id) == 1


# --- load with a crash --------------------------------------------------------------------------------


def test_load_with_a_worker_killed_halfway_loses_nothing_and_completes_nothing_twice(
    stack: LocalStackProcess,
) -> None:
    wait_for_workers(stack)
    keys = create_keys(stack, 10)

    report = run_load(
        stack,
        IMAGES,
        submissions=30,
        keys=keys,
        kill_one_worker_halfway=True,
        concurrency=10,
        deadline_seconds=240,
    )

    print("load with a crash:", report.summary())
    assert report.killed_pid is not None
    assert report.accepted == 30, report.summary()
    assert report.lost == [] and report.written_twice == [] and report.unfinished_in_table == 0
    assert report.completed + sum(report.failed.values()) == 30
    assert report.completed == 30, report.summary()  # no input here is faulty: every task completes
    wait_for_workers(stack)


# --- a poison input -----------------------------------------------------------------------------------


def test_a_poison_input_reaches_the_dlq_after_its_receives_and_ends_failed(
    stack: LocalStackProcess, api: FaceSwapClient, fault_dir: Path
) -> None:
    """Every engine call on it runs past WORKER_ENGINE_TIMEOUT_SECONDS: each attempt gives the task back
    and the wedged worker exits (the supervisor restarts it); after maxReceiveCount receives the message
    goes to the DLQ, whose handler fails the task with server_error."""
    wait_for_workers(stack)
    hang = arm(fault_dir, "worker.engine", "hang")
    try:
        task_id = submit(api)
        body, _ = finish(api, task_id, timeout=200)
    finally:
        hang.unlink(missing_ok=True)

    assert body["status"] == "failed", body
    assert body["error"]["code"] == "server_error"
    assert int(stored_task(stack, task_id)["attempts"]["N"]) == MAX_RECEIVES
    assert result_versions(stack, task_id) == 0
    assert stack.output().count("exited with status 3; restarting it") >= MAX_RECEIVES
    wait_for_workers(stack)
    after = submit(api)  # the stack takes work again
    assert finish(api, after, timeout=90)[0]["status"] == "completed"
