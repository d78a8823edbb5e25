"""The worker logs through the one service logger: every line about a message carries its task_id."""

from __future__ import annotations

from collections.abc import Callable

from engine_layer.errors import FaceCountMismatch
from engine_layer.operations import Operation
from tests import face_photos
from tests.integration.worker.engines import RaisingEngine
from tests.integration.worker.helpers import Submit
from tests.log_lines import logged_lines
from worker.worker import Worker

PAIR = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}


def test_every_line_about_a_task_names_it(submit: Submit, make_worker: Callable[..., Worker]) -> None:
    worker = make_worker(RaisingEngine(FaceCountMismatch("targetimage", expected=1, found=2)))
    task = submit(
        Operation.BASICSWAP, {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    )
    with logged_lines() as lines:
        assert worker.poll_once(wait_seconds=1) == 1
    about_the_task = [line for line in lines if line["message"] != "worker polling"]
    assert {line["message"] for line in about_the_task} >= {"task failed on its input", "message handled"}
    assert all(line["task_id"] == task.task_id for line in about_the_task), about_the_task
    # Outside the message, no task is named.
    with logged_lines() as idle:
        worker.poll_once(wait_seconds=0)
    assert all("task_id" not in line for line in idle)
