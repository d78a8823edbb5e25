"""The engine's quality report travels with every result: real engine -> worker -> DynamoDB task ->
GET /api/task-status/{id} through the API's Lambda handler, for all four operations."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.adapters.key_table import KeyTable
from core.adapters.task_table import TaskTable
from core.logic.key_service import create_key
from core.models.plan import Plan
from core.models.task import TaskStatus
from core.settings import Settings
from engine_layer import quality
from engine_layer.operations import Operation
from tests.integration.api.helpers import Invoke
from tests.integration.worker.helpers import Submit
from tests.integration.worker.test_worker_operations import CASES, take
from worker.engine_call import SwapEngine
from worker.worker import Outcome, Worker

SWAPS = {
    Operation.BASICSWAP: 1,
    Operation.FACESWAP2: 2,
    Operation.SWAP1FROM2: 2,
    Operation.SWAPFACESAMEIMAGE: 2,
}


@pytest.fixture(scope="module")
def owner(aws_env: dict[str, str]) -> tuple[str, str]:
    """(plaintext key, key_id) of the key the tasks here belong to."""
    plaintext, record = create_key(KeyTable(Settings().api_keys_table), plan=Plan.PRO, name="quality-tests")
    return plaintext, record.key_id


@pytest.mark.parametrize("operation", list(CASES))
def test_status_carries_the_quality_report(
    operation: Operation,
    submit: Submit,
    tasks: TaskTable,
    engine: SwapEngine,
    make_worker: Callable[..., Worker],
    invoke: Invoke,
    owner: tuple[str, str],
) -> None:
    key, key_id = owner
    images, swap_index = CASES[operation]
    task = submit(operation, images, swap_index=swap_index, key_id=key_id)
    assert take(make_worker(engine)) is Outcome.COMPLETED

    stored = tasks.get(task.task_id)
    assert stored is not None and stored.status is TaskStatus.COMPLETED and stored.quality is not None

    answer = invoke("GET", f"/api/task-status/{task.task_id}", key=key)
    assert answer.status == 200 and answer.body["status"] == "completed"
    report = answer.body["quality"]
    assert report == stored.quality
    assert len(report["faces"]) == SWAPS[operation]
    assert [face["target_index"] for face in report["faces"]] == list(range(SWAPS[operation]))
    for face in report["faces"]:
        for side in ("source", "target"):
            assert 0.5 <= face[side]["detection_score"] <= 1.0
            assert isinstance(face[side]["yaw_degrees"], int | float)
            assert isinstance(face[side]["landmark_fit_residual"], int | float)
        assert set(face["warnings"]) <= set(quality.WARNINGS)
    assert set(report["warnings"]) <= set(quality.WARNINGS)
    if operation is Operation.FACESWAP2:  # swap_index (1, 0): target face 0 wears source face 1
        assert [face["source_index"] for face in report["faces"]] == [1, 0]
