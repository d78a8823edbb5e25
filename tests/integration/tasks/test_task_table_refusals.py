"""TaskTable's one convention (its docstring): a refused conditional write returns None/False and never
raises; success returns the task or True. Against moto's DynamoDB over HTTP."""

from __future__ import annotations

from core.adapters.task_table import TaskTable
from core.models.errors import ErrorBody, ErrorCode
from core.models.task import Task, TaskStatus
from core.settings import Settings
from engine_layer.operations import Operation


def queued_task(tasks: TaskTable, settings: Settings) -> Task:
    task = Task.new(
        key_id="key_refusals", operation=Operation.BASICSWAP, inputs={"srcimage": "x"}, ttl_days=1
    )
    tasks.create(task)
    return task


def test_writes_by_the_holder_succeed(settings: Settings) -> None:
    tasks = TaskTable(settings.tasks_table)
    task = queued_task(tasks, settings)
    assert tasks.claim(task.task_id, "holder", 60) is not None
    assert tasks.extend_lease(task.task_id, "holder", 60) is True
    assert tasks.release(task.task_id, "holder") is True
    assert tasks.claim(task.task_id, "holder", 60) is not None
    done = tasks.complete(task.task_id, "holder", result_key="r.jpg", content_type="image/jpeg", engine={})
    assert done is True


def test_every_refused_write_answers_falsy_without_raising(settings: Settings) -> None:
    tasks = TaskTable(settings.tasks_table)
    held = queued_task(tasks, settings)
    assert tasks.claim(held.task_id, "holder", 600) is not None
    # Another worker: the live lease refuses it everywhere.
    assert tasks.claim(held.task_id, "other", 60) is None
    assert tasks.extend_lease(held.task_id, "other", 60) is False
    assert tasks.release(held.task_id, "other") is False
    result = {"result_key": "r.jpg", "content_type": "image/jpeg", "engine": {}}
    assert tasks.complete(held.task_id, "other", **result) is False
    assert tasks.fail(held.task_id, ErrorBody(code=ErrorCode.SERVER_ERROR, message="x"), "other") is False
    assert tasks.mark_redriven(held.task_id, 0) is False  # its lease has not lapsed
    assert tasks.get(held.task_id).status is TaskStatus.PROCESSING  # nothing moved it
    # A missing task: refused the same way.
    assert tasks.claim("0" * 32, "holder", 60) is None
    assert tasks.extend_lease("0" * 32, "holder", 60) is False
