"""The worker labels every result: XMP, signed Content Credentials with the scene as ingredient, and a
watermark whose id leads back to the task (through the task table, not in clear); a visible corner label
when the task's key asked for one."""

from __future__ import annotations

import pytest

from core.adapters.clients import client
from core.adapters.mark_registry import MarkOwner, MarkRegistry
from core.adapters.s3 import MediaStore
from core.adapters.signing_key import SigningKeyMissing, load_signing_material
from core.adapters.task_table import TaskTable
from core.models.task import TaskStatus
from core.settings import Settings
from engine_layer.decode import decode_image
from engine_layer.operations import SCENE_FIELD, Operation
from tests import face_photos
from tests.integration.worker.helpers import Submit
from tests.integration.worker.test_worker_operations import CASES, take
from tests.provenance_checks import assert_all_marks
from worker.engine_call import SwapEngine
from worker.worker import Outcome


@pytest.mark.parametrize("operation", [Operation.BASICSWAP, Operation.SWAPFACESAMEIMAGE])
def test_results_carry_xmp_credentials_and_a_mark_that_leads_to_the_task(
    operation: Operation,
    settings: Settings,
    submit: Submit,
    tasks: TaskTable,
    media: MediaStore,
    make_worker,
    engine: SwapEngine,
) -> None:
    images, swap_index = CASES[operation]
    task = submit(operation, images, swap_index=swap_index, key_id="key_marks")
    assert take(make_worker(engine)) is Outcome.COMPLETED
    done = tasks.get(task.task_id)
    assert done is not None and done.status is TaskStatus.COMPLETED and done.result_key
    result = media.get(done.result_key)
    mark_id = assert_all_marks(result, images[SCENE_FIELD[operation]], operation.value)
    assert MarkRegistry(settings.tasks_table).lookup(mark_id) == MarkOwner(task.task_id, "key_marks")
    assert task.task_id not in result.hex() and task.task_id.encode() not in result


def test_a_key_that_asked_for_it_gets_a_visible_label(
    submit: Submit, tasks: TaskTable, media: MediaStore, make_worker, engine: SwapEngine
) -> None:
    images = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    plain = submit(Operation.BASICSWAP, images)
    labelled = submit(Operation.BASICSWAP, images, visible_label=True)
    worker = make_worker(engine)
    assert take(worker) is Outcome.COMPLETED
    assert take(worker) is Outcome.COMPLETED
    pixels = {}
    for task in (plain, labelled):
        done = tasks.get(task.task_id)
        assert done is not None and done.result_key
        pixels[task.task_id] = decode_image(media.get(done.result_key), "result").pixels.astype(int)
    corner = (slice(-6, None), slice(-30, None))
    assert pixels[labelled.task_id][corner].mean() < pixels[plain.task_id][corner].mean() - 20


def test_a_stage_without_a_stored_signing_key_stops_the_worker_at_start(settings: Settings) -> None:
    secrets = client("secretsmanager")
    arn = secrets.create_secret(Name="placeholder-signing", SecretString='{"note": "replace me"}')["ARN"]
    with pytest.raises(SigningKeyMissing, match="private_key"):
        load_signing_material(arn)
    assert (
        load_signing_material(settings.c2pa_signing_secret).certificate_chain.count("BEGIN CERTIFICATE") == 2
    )
