"""A short-lived, per-process cache of active API key records (one per Lambda execution environment)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from core.models.api_key import ApiKeyRecord


class KeyCache:
    """Active key records by hash, kept for a few seconds so most requests skip the key lookup.

    Only active keys are kept (a key created a moment ago works at once). Revoking or disabling in this
    process drops the entry at once; every other process (each warm Lambda) sees it within the TTL
    (KEY_CACHE_TTL_SECONDS, at most 1 s): that is the bound the README and error docs promise."""

    def __init__(
        self,
        ttl_seconds: Callable[[], float],
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_seconds = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, ApiKeyRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        with self._lock:
            entry = self._entries.get(key_hash)
            if entry is None:
                return None
            stored_at, record = entry
            if self._clock() - stored_at >= self._ttl_seconds():
                del self._entries[key_hash]
                return None
            return record

    def put(self, record: ApiKeyRecord) -> None:
        if self._ttl_seconds() <= 0 or not record.active:
            return
        with self._lock:
            self._entries[record.key_hash] = (self._clock(), record)
            self._entries.move_to_end(record.key_hash)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def drop(self, key_hash: str) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
