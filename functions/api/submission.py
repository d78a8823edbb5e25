"""A swap submission: check everything that can be checked at once, then store and enqueue.

Order matters: inputs go to S3 first, then the task row (queued), then the one SQS message. A failure
to enqueue marks the task failed, so no task is left queued with no message to move it.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.adapters.s3 import MediaStore
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.adapters.url_fetch import UrlFetcher
from core.models.errors import ApiError, ErrorBody, ErrorCode, invalid_parameter
from core.models.task import Task, input_key
from core.models.webhook import WebhookState
from core.observability import bind_task, logger
from core.settings import Settings
from engine_layer import manifest
from engine_layer.operations import REQUIRED_FACES, Operation
from functions.api.images import check_faces, check_format, resolve
from functions.api.params import parse_enhance, parse_swap_index
from functions.api.request_body import RawInputs, UploadRef
from functions.api.uploads import read_upload


@dataclass(frozen=True)
class CheckedSubmission:
    operation: Operation
    images: dict[str, tuple[bytes, str]]  # contract field -> (bytes, content type)
    enhance: bool
    swap_index: tuple[int, int] | None


def check(
    operation: Operation,
    raw: RawInputs,
    settings: Settings,
    fetcher: UrlFetcher | None = None,
    key_id: str | None = None,
) -> CheckedSubmission:
    enhance = parse_enhance(raw.params.get("enhance"))
    swap_index = parse_swap_index(raw.params.get("swap_index")) if operation is Operation.FACESWAP2 else None
    required = REQUIRED_FACES[operation]
    for field in required:
        if field not in raw.images:
            raise invalid_parameter(raw.name_of(field), f"{raw.name_of(field)} is required.")
    # One fetcher, so one time budget, for every URL of this request.
    fetcher = fetcher or UrlFetcher(
        timeout_seconds=settings.url_fetch_timeout_seconds, allow_http=settings.url_fetch_allow_http
    )
    images: dict[str, tuple[bytes, str]] = {}
    for field in required:
        value = raw.images[field]
        if isinstance(value, UploadRef):  # an upload is the calling key's only: no key, no upload
            data = read_upload(value.upload_id, raw.name_of(field), key_id or "", settings)
        else:
            data = resolve(value, raw.name_of(field), fetcher)
        images[field] = (data, check_format(data, field, raw.name_of(field)).content_type)
    # Faces last: the costliest check runs only on inputs that passed every other one.
    model_path = manifest.SCRFD.path(settings.model_dir)
    for field, expected in required.items():
        check_faces(images[field][0], field, raw.name_of(field), expected, model_path)
    return CheckedSubmission(operation, images, enhance, swap_index)


def submit(
    checked: CheckedSubmission,
    key_id: str,
    settings: Settings,
    webhook_url: str | None = None,
    *,
    visible_label: bool = False,
) -> Task:
    task = Task.new(
        key_id=key_id,
        visible_label=visible_label,
        operation=checked.operation,
        inputs={},
        ttl_days=settings.task_ttl_days,
        enhance=checked.enhance,
        swap_index=checked.swap_index,
        webhook=WebhookState(url=webhook_url) if webhook_url else None,
    )
    bind_task(task.task_id)  # every further line of this request names the task
    media = MediaStore(settings.media_bucket)
    for field, (data, content_type) in checked.images.items():
        key = input_key(task.task_id, field)
        media.put(key, data, content_type)
        task.inputs[field] = key
    tasks = TaskTable(settings.tasks_table)
    tasks.create(task)
    try:
        TaskQueue(settings.task_queue_url).send(task.task_id)
    except Exception as error:
        logger.exception("could not enqueue task")
        tasks.fail(
            task.task_id, ErrorBody(code=ErrorCode.SERVER_ERROR, message="The task could not be queued.")
        )
        raise ApiError(ErrorCode.SERVER_ERROR, "The task could not be queued. Please try again.") from error
    return task
