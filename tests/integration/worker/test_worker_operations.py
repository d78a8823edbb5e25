"""The worker with the real engine: each operation ends `completed` with a real swap in S3, input
faults end `failed` with the contract's code, and a duplicate delivery never makes a second result."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from core.adapters.clients import client
from core.adapters.s3 import MediaStore
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.models.errors import ErrorCode
from core.models.task import TaskStatus
from core.settings import Settings
from engine_layer.operations import SCENE_FIELD, Operation
from tests import face_photos
from tests.integration.worker.helpers import Submit, queue_depth, result_objects
from worker.engine_call import SwapEngine
from worker.worker import Outcome, Worker

CASES: dict[Operation, tuple[dict[str, bytes], tuple[int, int] | None]] = {
    Operation.BASICSWAP: (
        {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)},
        None,
    ),
    Operation.FACESWAP2: (
        {"srcimage": face_photos.two_faces((0, 2)), "targetimage": face_photos.two_faces((3, 5))},
        (1, 0),
    ),
    Operation.SWAP1FROM2: (
        {
            "srcimage": face_photos.two_faces((3, 5)),
            "targetimage1": face_photos.one_face(1),
            "targetimage2": face_photos.one_face(4),
        },
        None,
    ),
    Operation.SWAPFACESAMEIMAGE: ({"srcimage": face_photos.two_faces((0, 2), image_format="PNG")}, None),
}


def take(worker: Worker) -> Outcome:
    """Receive the next message as the worker would, and handle it."""
    messages = worker.queue.receive(
        wait_seconds=2, visibility_timeout=worker.config.visibility_timeout_seconds
    )
    assert len(messages) == 1
    return worker.handle(messages[0])


@pytest.mark.parametrize("operation", list(CASES))
def test_each_operation_completes_with_a_swapped_image_in_the_scene_format(
    operation: Operation,
    settings: Settings,
    submit: Submit,
    tasks: TaskTable,
    media: MediaStore,
    engine: SwapEngine,
    make_worker: Callable[..., Worker],
) -> None:
    images, swap_index = CASES[operation]
    task = submit(operation, images, swap_index=swap_index)
    worker = make_worker(engine)

    assert take(worker) is Outcome.COMPLETED

    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.COMPLETED
    assert stored.attempts == 1 and stored.error is None and stored.lease_expires_at is None
    assert stored.engine is not None and stored.engine.get("tier") == "offline"
    assert stored.result_key is not None
    scene = Image.open(io.BytesIO(images[SCENE_FIELD[operation]]))
    result = Image.open(io.BytesIO(media.get(stored.result_key)))
    result.load()
    assert result.format == scene.format and result.size == scene.size
    assert stored.result_content_type == Image.MIME[scene.format]
    difference = np.abs(
        np.asarray(result.convert("RGB"), np.int16) - np.asarray(scene.convert("RGB"), np.int16)
    )
    assert difference.mean() > 1.0  # a real swap, not the scene handed back
    assert queue_depth(settings.task_queue_url) == 0
    assert result_objects(settings, task.task_id) == [stored.result_key]


@pytest.mark.parametrize(
    ("target", "code"),
    [
        (face_photos.two_faces((0, 2)), ErrorCode.FACE_COUNT_MISMATCH),
        (face_photos.no_face(), ErrorCode.NO_FACE_DETECTED),
    ],
)
def test_input_faults_found_by_the_engine_fail_the_task_with_their_code(
    target: bytes,
    code: ErrorCode,
    settings: Settings,
    submit: Submit,
    tasks: TaskTable,
    engine: SwapEngine,
    make_worker: Callable[..., Worker],
) -> None:
    task = submit(Operation.BASICSWAP, {"srcimage": face_photos.one_face(1), "targetimage": target})
    worker = make_worker(engine)

    assert take(worker) is Outcome.FAILED

    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.FAILED
    assert stored.error is not None and stored.error.code is code
    assert stored.error.details is not None and stored.error.details["image"] == "targetimage"
    assert queue_depth(settings.task_queue_url) == 0
    assert result_objects(settings, task.task_id) == []


def test_a_duplicate_delivery_makes_no_second_result(
    settings: Settings,
    submit: Submit,
    tasks: TaskTable,
    queue: TaskQueue,
    engine: SwapEngine,
    make_worker: Callable[..., Worker],
) -> None:
    images, _ = CASES[Operation.BASICSWAP]
    task = submit(Operation.BASICSWAP, images)
    queue.send(task.task_id)  # SQS delivers at least once: the same task twice
    first, second = make_worker(engine), make_worker(engine)

    assert take(first) is Outcome.COMPLETED
    completed = tasks.get(task.task_id)
    assert completed is not None and completed.result_key is not None
    etag = client("s3").head_object(Bucket=settings.media_bucket, Key=completed.result_key)["ETag"]

    assert take(second) is Outcome.DUPLICATE

    again = tasks.get(task.task_id)
    assert again == completed  # untouched: same worker, attempts, result, timestamps
    assert result_objects(settings, task.task_id) == [completed.result_key]
    assert client("s3").head_object(Bucket=settings.media_bucket, Key=completed.result_key)["ETag"] == etag
    assert queue_depth(settings.task_queue_url) == 0
