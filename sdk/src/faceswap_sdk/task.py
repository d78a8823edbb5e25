"""A submitted task: its last known status, wait() until it finishes, download() its result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from faceswap_sdk._requests import next_poll_delay, retry_delay
from faceswap_sdk.errors import FaceSwapError, TransportError, WaitTimeout, error_from_body

if TYPE_CHECKING:
    from faceswap_sdk.client import AsyncClient, Client

FINAL_STATUSES = frozenset({"completed", "failed"})
Progress = Callable[["BaseTask", float], None]  # (task, seconds waited so far)


@dataclass(frozen=True)
class RateLimit:
    """The X-RateLimit-* headers of the submission's answer: the plan's tightest window."""

    limit: int
    remaining: int
    reset_at: int  # Unix seconds


class BaseTask:
    def __init__(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        self.data: dict[str, Any] = dict(body)
        # The submission answer's headers (lower-case names); {} for a task fetched by id.
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}

    @property
    def replayed(self) -> bool:
        """The API answered an earlier submission with the same Idempotency-Key: no new task was made."""
        return self.headers.get("idempotent-replayed") == "true"

    @property
    def rate_limit(self) -> RateLimit | None:
        values = [self.headers.get(f"x-ratelimit-{name}", "") for name in ("limit", "remaining", "reset")]
        if not all(value.isdigit() for value in values):
            return None
        limit, remaining, reset_at = (int(value) for value in values)
        return RateLimit(limit, remaining, reset_at)

    @property
    def task_id(self) -> str:
        return str(self.data["task_id"])

    @property
    def status(self) -> str:
        return str(self.data.get("status", "queued"))

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def image_url(self) -> str | None:
        return self.data.get("image_url")

    @property
    def error(self) -> dict[str, Any] | None:
        return self.data.get("error")

    @property
    def webhook(self) -> dict[str, Any] | None:
        return self.data.get("webhook")

    def raise_for_failure(self) -> None:
        if self.status == "failed":
            raise error_from_body(self.error or {}, task=self)

    def _result_url(self) -> str:
        self.raise_for_failure()
        if self.status != "completed":
            raise FaceSwapError(f"task {self.task_id} is {self.status}: wait() for it first")
        if not self.image_url:
            raise FaceSwapError(f"task {self.task_id} has no result to download (result_expired)")
        return self.image_url

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.task_id} {self.status}>"


def _save(content: bytes, path: str | Path | None) -> bytes | Path:
    if path is None:
        return content
    target = Path(path)
    target.write_bytes(content)
    return target


class Task(BaseTask):
    def __init__(
        self, client: Client, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(body, headers)
        self._client = client

    def refresh(self) -> Task:
        self.data = self._client._get_status(self.task_id)
        return self

    def wait(self, timeout: float | None = 600.0, on_progress: Progress | None = None) -> Task:
        """Poll until the task is completed (returns it) or failed (raises its typed error, `.task` set).
        Backs off 0.5 s -> 5 s between polls; a 429 waits Retry-After / X-RateLimit-Reset; network
        errors and 5xx are retried. Raises WaitTimeout after `timeout` seconds (None: no limit)."""
        clock, sleep = self._client._clock, self._client._sleep
        started = clock()
        delay: float | None = None
        while not self.done:
            if on_progress:
                on_progress(self, clock() - started)
            delay = next_poll_delay(delay)
            pause = delay
            try:
                self.refresh()
            except (FaceSwapError, httpx.TransportError) as error:
                wanted = retry_delay(error)
                if wanted is None:
                    raise
                pause = max(delay, wanted)
            if self.status in FINAL_STATUSES:  # refresh() moved it on (not `self.done`: mypy narrows that)
                break
            if timeout is not None and clock() - started + pause > timeout:
                raise WaitTimeout(f"task {self.task_id} is still {self.status} after {timeout:.0f} s")
            sleep(pause)
        if on_progress:
            on_progress(self, clock() - started)
        self.raise_for_failure()
        return self

    def download(self, path: str | Path | None = None) -> bytes | Path:
        """The result image (bytes), or written to `path` (returns the Path). Refreshes an expired link."""
        if self.image_url is None and self.status == "completed":
            self.refresh()
        response = self._client._download(self._result_url())
        if response.status_code == 403 and self.status == "completed":  # the presigned link ran out
            response = self._client._download(self.refresh()._result_url())
        if not response.is_success:
            raise TransportError(f"downloading the result failed: HTTP {response.status_code}")
        return _save(response.content, path)


class AsyncTask(BaseTask):
    def __init__(
        self, client: AsyncClient, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(body, headers)
        self._client = client

    async def refresh(self) -> AsyncTask:
        self.data = await self._client._get_status(self.task_id)
        return self

    async def wait(self, timeout: float | None = 600.0, on_progress: Progress | None = None) -> AsyncTask:
        """As Task.wait(), without blocking the event loop."""
        clock, sleep = self._client._clock, self._client._sleep
        started = clock()
        delay: float | None = None
        while not self.done:
            if on_progress:
                on_progress(self, clock() - started)
            delay = next_poll_delay(delay)
            pause = delay
            try:
                await self.refresh()
            except (FaceSwapError, httpx.TransportError) as error:
                wanted = retry_delay(error)
                if wanted is None:
                    raise
                pause = max(delay, wanted)
            if self.status in FINAL_STATUSES:  # refresh() moved it on (not `self.done`: mypy narrows that)
                break
            if timeout is not None and clock() - started + pause > timeout:
                raise WaitTimeout(f"task {self.task_id} is still {self.status} after {timeout:.0f} s")
            await sleep(pause)
        if on_progress:
            on_progress(self, clock() - started)
        self.raise_for_failure()
        return self

    async def download(self, path: str | Path | None = None) -> bytes | Path:
        if self.image_url is None and self.status == "completed":
            await self.refresh()
        response = await self._client._download(self._result_url())
        if response.status_code == 403 and self.status == "completed":
            response = await self._client._download((await self.refresh())._result_url())
        if not response.is_success:
            raise TransportError(f"downloading the result failed: HTTP {response.status_code}")
        return _save(response.content, path)
