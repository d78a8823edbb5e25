"""Keys in DynamoDB: created with a plan, stored as a hash, found through the cache, revoked at once."""

from __future__ import annotations

import pytest

from core.adapters.key_table import KeyTable
from core.logic.key_cache import KeyCache
from core.logic.key_service import (
    KeyNotFound,
    find_key,
    key_cache,
    list_keys_with_usage,
    revoke_key,
)
from core.logic.rate_limit import RateLimiter
from core.models.api_key import KeyStatus, hash_key
from core.models.plan import Limits, Plan
from tests.integration.keys.helpers import MakeKey


def test_only_the_hash_is_stored(key_table: KeyTable, make_key: MakeKey) -> None:
    api_key, record = make_key(Plan.BASIC)
    item = key_table.table.get_item(Key={"key_hash": hash_key(api_key)}, ConsistentRead=True)["Item"]
    assert api_key not in str(item)
    assert item["key_id"] == record.key_id and item["plan"] == "basic"
    assert key_table.find_by_key_id(record.key_id) == record


def test_enterprise_limits_round_trip(key_table: KeyTable, make_key: MakeKey) -> None:
    api_key, _record = make_key(Plan.ENTERPRISE, hourly=5_000, daily=60_000)
    found = find_key(key_table, api_key)
    assert found is not None and found.limits == Limits(5_000, 60_000)


def test_presented_keys_are_matched_exactly(key_table: KeyTable, make_key: MakeKey) -> None:
    api_key, record = make_key()
    assert find_key(key_table, f"  {api_key} ") == record  # header whitespace is not the key
    assert find_key(key_table, api_key.upper()) is None
    assert find_key(key_table, api_key[:-1]) is None
    assert find_key(key_table, "") is None
    assert find_key(key_table, "x" * 10_000) is None


def test_revocation_is_effective_at_once_even_when_cached(key_table: KeyTable, make_key: MakeKey) -> None:
    api_key, record = make_key()
    assert find_key(key_table, api_key) == record
    assert key_cache.get(record.key_hash) == record  # the next request would skip the table

    revoked = revoke_key(key_table, record.key_id)

    assert revoked.status is KeyStatus.REVOKED and revoked.revoked_at is not None
    assert find_key(key_table, api_key) is None
    # Revoking twice keeps the first time.
    assert revoke_key(key_table, record.key_id).revoked_at == revoked.revoked_at


def test_another_process_sees_a_revocation_within_the_cache_ttl(
    key_table: KeyTable, make_key: MakeKey
) -> None:
    now = [0.0]
    elsewhere = KeyCache(ttl_seconds=lambda: 5.0, clock=lambda: now[0])  # another Lambda's cache
    api_key, record = make_key()
    assert find_key(key_table, api_key, cache=elsewhere) == record
    revoke_key(key_table, record.key_id)
    now[0] = 4.0
    assert find_key(key_table, api_key, cache=elsewhere) == record  # still within its TTL
    now[0] = 5.0
    assert find_key(key_table, api_key, cache=elsewhere) is None


def test_unknown_key_id(key_table: KeyTable) -> None:
    with pytest.raises(KeyNotFound):
        revoke_key(key_table, "key_doesnotexist")


def test_list_shows_current_usage(key_table: KeyTable, limiter: RateLimiter, make_key: MakeKey) -> None:
    _, busy = make_key(Plan.PRO)
    _, gone = make_key()
    for _ in range(3):
        limiter.consume(busy)
    revoke_key(key_table, gone.key_id)

    rows = {record.key_id: (record, usage) for record, usage in list_keys_with_usage(key_table, limiter)}

    _record, usage = rows[busy.key_id]
    assert usage is not None
    assert (usage.hour.used, usage.hour.limit, usage.day.used, usage.day.limit) == (3, 1_000, 3, 10_000)
    assert rows[gone.key_id][0].status is KeyStatus.REVOKED and rows[gone.key_id][1] is None
