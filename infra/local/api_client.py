"""A small client for the FaceSwap API over HTTP, as a customer would call it (e2e tests, benchmarks)."""

from __future__ import annotations

import time
from typing import Any

import requests

FINISHED = ("completed", "failed")


class FaceSwapClient:
    def __init__(self, base_url: str, api_key: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.session = session or requests.Session()

    def submit(
        self,
        operation: str,
        images: dict[str, tuple[str, bytes, str]],
        form: dict[str, str] | None = None,
        api_key: str | None = None,
    ) -> requests.Response:
        """POST multipart: `images` maps field -> (file name, bytes, content type)."""
        return self.session.post(
            f"{self.base_url}/api/faceswap/{operation}",
            files=images,
            data=form or {},
            headers={"X-Api-Key": api_key if api_key is not None else self.api_key},
            timeout=60,
        )

    def status(self, task_id: str) -> requests.Response:
        return self.session.get(
            f"{self.base_url}/api/task-status/{task_id}", headers={"X-Api-Key": self.api_key}, timeout=30
        )

    def verify(self, image: bytes) -> requests.Response:
        """POST /api/verify with the image as multipart field `image`."""
        return self.session.post(
            f"{self.base_url}/api/verify",
            files={"image": ("image", image, "application/octet-stream")},
            headers={"X-Api-Key": self.api_key},
            timeout=60,
        )

    def wait(self, task_id: str, timeout: float = 120, interval: float = 0.15) -> dict[str, Any]:
        """Poll (under the 10 per second status limit) until completed or failed; returns the last body."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.status(task_id)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            if body["status"] in FINISHED:
                return body
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} still {body['status']} after {timeout:.0f} s")
            time.sleep(interval)
