"""Client and AsyncClient: one method per API operation."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import httpx

from faceswap_sdk import __version__
from faceswap_sdk._requests import (
    IMAGE_FIELDS,
    ImageInput,
    ImagePart,
    Submission,
    answer_body,
    image_part,
    submit_retry_delay,
    swap_index_text,
)
from faceswap_sdk.errors import FaceSwapError, NotFoundError, TransportError
from faceswap_sdk.task import AsyncTask, Task
from faceswap_sdk.verification import VERIFY_PATH, VerifyResult, verify_request

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
SwapIndex = str | tuple[int, int] | list[int] | None


def _settings(api_key: str | None, base_url: str | None) -> tuple[str, str]:
    key = api_key or os.environ.get("FACESWAP_API_KEY")
    url = base_url or os.environ.get("FACESWAP_BASE_URL")
    if not key:
        raise ValueError("an API key is needed: Client(api_key=...) or FACESWAP_API_KEY")
    if not url:
        raise ValueError("the API's base URL is needed: Client(base_url=...) or FACESWAP_BASE_URL")
    return key, url.rstrip("/")


def _submission(operation: str, images: tuple[ImageInput, ...], **options: Any) -> Submission:
    parts = [
        image_part(value, field, json_name)
        for value, (field, json_name) in zip(images, IMAGE_FIELDS[operation], strict=True)
    ]
    return Submission(operation, parts, **options)


class _Base:
    def __init__(self, api_key: str | None, base_url: str | None) -> None:
        self.api_key, self.base_url = _settings(api_key, base_url)
        self._headers = {"X-Api-Key": self.api_key, "User-Agent": f"faceswap-sdk-python/{__version__}"}


class Client(_Base):
    """`Client(api_key, base_url=...)`; both default to FACESWAP_API_KEY / FACESWAP_BASE_URL.

    Images are file paths, bytes, or https:// URLs (data: URIs too). Every method returns a Task at once
    (or a finished one with `wait=N`, where the API supports `Prefer: wait`); `task.wait()` then
    `task.download(path)`. Errors are typed: faceswap_sdk.errors, one class per error code."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(api_key, base_url)
        self._http = httpx.Client(
            base_url=self.base_url, headers=self._headers, timeout=timeout, transport=transport
        )
        # Results come from presigned storage links: no API key goes there.
        self._plain = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)
        self._sleep, self._clock = sleep, clock

    # ---- operations ------------------------------------------------------------------------------

    def basic_swap(
        self, source: ImageInput, target: ImageInput, *, enhance: bool = False, **options: Any
    ) -> Task:
        """The face of `source` (identity) replaces the face of `target` (scene)."""
        return self._submit(_submission("basicswap", (source, target), enhance=enhance, **options))

    def couple_swap(
        self,
        source: ImageInput,
        target: ImageInput,
        *,
        swap_index: SwapIndex = None,
        enhance: bool = False,
        **options: Any,
    ) -> Task:
        """Two faces onto two faces; swap_index entry i (e.g. (1, 0)) is the source face for target face i."""
        return self._submit(
            _submission(
                "faceswap2",
                (source, target),
                enhance=enhance,
                swap_index=swap_index_text(swap_index),
                **options,
            )
        )

    faceswap2 = couple_swap

    def swap_one_from_two(
        self,
        source: ImageInput,
        target1: ImageInput,
        target2: ImageInput,
        *,
        enhance: bool = False,
        **options: Any,
    ) -> Task:
        """`source`'s left face takes target1's identity, its right face target2's."""
        return self._submit(_submission("swap1from2", (source, target1, target2), enhance=enhance, **options))

    def swap_same_image(self, source: ImageInput, *, enhance: bool = False, **options: Any) -> Task:
        """The two faces of `source` trade identities."""
        return self._submit(_submission("swapfacesameimage", (source,), enhance=enhance, **options))

    def get_task(self, task_id: str) -> Task:
        return Task(self, self._get_status(task_id))

    def rotate_webhook_secret(self) -> str:
        """A new webhook signing secret for this key (shown once; the old one stops signing at once)."""
        return str(self._call("POST", "/api/webhooks/secret")["webhook_secret"])

    def verify(self, image: ImageInput) -> VerifyResult:
        """Which of our marks `image` (path, bytes or https:// URL) carries; not counted against the
        plan. `result.marked`: any found; `result.watermark.task_id`: the task, when it is yours."""
        return VerifyResult.from_body(self._call("POST", VERIFY_PATH, **verify_request(image)))

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/api/health")

    # ---- plumbing --------------------------------------------------------------------------------

    def _submit(self, submission: Submission) -> Task:
        for part in submission.images:
            if part.large:
                self._upload(part)
        attempt = 1
        while True:
            try:
                response = self._request(
                    "POST", submission.path, headers=submission.headers(), **submission.request_kwargs()
                )
                return Task(self, answer_body(response), response.headers)
            except FaceSwapError as error:
                delay = submit_retry_delay(error, attempt, submission)
                if delay is None:
                    raise
            self._sleep(delay)
            attempt += 1

    def _upload(self, part: ImagePart) -> None:
        """Put a large image into S3 through POST /api/uploads; without that route, send it inline."""
        assert part.data is not None
        try:
            grant = self._call(
                "POST",
                "/api/uploads",
                json={"content_type": part.content_type, "content_length": len(part.data)},
            )
        except NotFoundError:
            return  # this API has no uploads: the inline body may be refused with payload_too_large
        files = {"file": (part.filename, part.data, part.content_type)}
        response = self._plain.post(grant["url"], data=grant.get("fields", {}), files=files)
        if not response.is_success:
            raise TransportError(f"uploading {part.field} failed: HTTP {response.status_code}")
        part.upload_id = str(grant["upload_id"])

    def _get_status(self, task_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/task-status/{task_id}")

    def _download(self, url: str) -> httpx.Response:
        try:
            return self._plain.get(url)
        except httpx.TransportError as error:
            raise TransportError(f"downloading the result failed: {error}") from error

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise TransportError(f"{method} {path}: {error}") from error

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return answer_body(self._request(method, path, **kwargs))

    def close(self) -> None:
        self._http.close()
        self._plain.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient(_Base):
    """The same operations as Client, awaited: `task = await client.basic_swap(...); await task.wait()`."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(api_key, base_url)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers, timeout=timeout, transport=transport
        )
        self._plain = httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=True)
        self._sleep, self._clock = sleep, clock

    async def basic_swap(
        self, source: ImageInput, target: ImageInput, *, enhance: bool = False, **options: Any
    ) -> AsyncTask:
        return await self._submit(_submission("basicswap", (source, target), enhance=enhance, **options))

    async def couple_swap(
        self,
        source: ImageInput,
        target: ImageInput,
        *,
        swap_index: SwapIndex = None,
        enhance: bool = False,
        **options: Any,
    ) -> AsyncTask:
        return await self._submit(
            _submission(
                "faceswap2",
                (source, target),
                enhance=enhance,
                swap_index=swap_index_text(swap_index),
                **options,
            )
        )

    faceswap2 = couple_swap

    async def swap_one_from_two(
        self,
        source: ImageInput,
        target1: ImageInput,
        target2: ImageInput,
        *,
        enhance: bool = False,
        **options: Any,
    ) -> AsyncTask:
        return await self._submit(
            _submission("swap1from2", (source, target1, target2), enhance=enhance, **options)
        )

    async def swap_same_image(
        self, source: ImageInput, *, enhance: bool = False, **options: Any
    ) -> AsyncTask:
        return await self._submit(_submission("swapfacesameimage", (source,), enhance=enhance, **options))

    async def get_task(self, task_id: str) -> AsyncTask:
        return AsyncTask(self, await self._get_status(task_id))

    async def rotate_webhook_secret(self) -> str:
        return str((await self._call("POST", "/api/webhooks/secret"))["webhook_secret"])

    async def verify(self, image: ImageInput) -> VerifyResult:
        return VerifyResult.from_body(await self._call("POST", VERIFY_PATH, **verify_request(image)))

    async def health(self) -> dict[str, Any]:
        return await self._call("GET", "/api/health")

    async def _submit(self, submission: Submission) -> AsyncTask:
        for part in submission.images:
            if part.large:
                await self._upload(part)
        attempt = 1
        while True:
            try:
                response = await self._request(
                    "POST", submission.path, headers=submission.headers(), **submission.request_kwargs()
                )
                return AsyncTask(self, answer_body(response), response.headers)
            except FaceSwapError as error:
                delay = submit_retry_delay(error, attempt, submission)
                if delay is None:
                    raise
            await self._sleep(delay)
            attempt += 1

    async def _upload(self, part: ImagePart) -> None:
        assert part.data is not None
        try:
            grant = await self._call(
                "POST",
                "/api/uploads",
                json={"content_type": part.content_type, "content_length": len(part.data)},
            )
        except NotFoundError:
            return
        files = {"file": (part.filename, part.data, part.content_type)}
        response = await self._plain.post(grant["url"], data=grant.get("fields", {}), files=files)
        if not response.is_success:
            raise TransportError(f"uploading {part.field} failed: HTTP {response.status_code}")
        part.upload_id = str(grant["upload_id"])

    async def _get_status(self, task_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/api/task-status/{task_id}")

    async def _download(self, url: str) -> httpx.Response:
        try:
            return await self._plain.get(url)
        except httpx.TransportError as error:
            raise TransportError(f"downloading the result failed: {error}") from error

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise TransportError(f"{method} {path}: {error}") from error

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return answer_body(await self._request(method, path, **kwargs))

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._plain.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
