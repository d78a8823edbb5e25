"""Status polls cost no write: through the real API handler, a poll's only DynamoDB call is one task read
(the key and the plan usage for its headers are cached per function instance; the key cache lives at
most KEY_CACHE_TTL_SECONDS, 1 s, so a slow run may read the key again once a second)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from core.adapters.clients import client, dynamodb_table
from core.settings import Settings
from tests import face_photos
from tests.integration.api.helpers import Invoke, multipart


def test_a_status_poll_is_one_dynamodb_read_and_no_write(invoke: Invoke) -> None:
    content_type, body = multipart({"srcimage": face_photos.two_faces((0, 2))})
    task_id = invoke("POST", "/api/faceswap/swapfacesameimage", body=body, content_type=content_type).body[
        "task_id"
    ]
    settings = Settings()
    calls: Counter[str] = Counter()

    def count(event_name: str, **_kwargs: Any) -> None:
        calls[event_name.rsplit(".", 1)[1]] += 1

    def count_other(event_name: str, **_kwargs: Any) -> None:
        calls[event_name.rsplit(".", 1)[1] + " (other)"] += 1

    dynamodb_clients = [client("dynamodb")] + [
        dynamodb_table(name).meta.client
        for name in (settings.tasks_table, settings.api_keys_table, settings.rate_limits_table)
    ]
    tasks_client = dynamodb_table(settings.tasks_table).meta.client
    handlers = {id(c): count if c is tasks_client else count_other for c in dynamodb_clients}
    for boto_client in dynamodb_clients:
        boto_client.meta.events.register("before-call.dynamodb.*", handlers[id(boto_client)])
    try:
        first = invoke("GET", f"/api/task-status/{task_id}")
        assert first.status == 200 and "x-ratelimit-remaining" in first.headers
        calls.clear()
        polls = 5
        started = time.monotonic()
        answers = [invoke("GET", f"/api/task-status/{task_id}") for _ in range(polls)]
        elapsed = time.monotonic() - started
    finally:
        for boto_client in dynamodb_clients:
            boto_client.meta.events.unregister("before-call.dynamodb.*", handlers[id(boto_client)])

    assert [a.status for a in answers] == [200] * polls
    assert all("x-ratelimit-remaining" in a.headers for a in answers)
    key_reads = calls.pop("GetItem (other)", 0)
    assert calls == Counter({"GetItem": polls}), calls  # one task read a poll, no write, no other call
    assert key_reads <= int(elapsed / settings.key_cache_ttl_seconds) + 1, (key_reads, elapsed)
