"""Key records: plan limits, enterprise limits, the hash that is stored, and the short-lived key cache."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.logic.key_cache import KeyCache
from core.models.api_key import ApiKeyRecord, KeyStatus, generate_key, hash_key
from core.models.plan import Limits, Plan


def test_plans_carry_the_contract_limits() -> None:
    expected = {Plan.FREE: (50, 500), Plan.BASIC: (200, 2_000), Plan.PRO: (1_000, 10_000)}
    for plan, limits in expected.items():
        assert ApiKeyRecord(key_hash="h", plan=plan).limits == Limits(*limits)


def test_enterprise_limits_live_on_the_key() -> None:
    record = ApiKeyRecord(key_hash="h", plan=Plan.ENTERPRISE, hourly_limit=5_000, daily_limit=80_000)
    assert record.limits == Limits(5_000, 80_000)


@pytest.mark.parametrize(
    ("plan", "hourly", "daily"),
    [
        (Plan.ENTERPRISE, None, None),
        (Plan.ENTERPRISE, 10, None),
        (Plan.ENTERPRISE, 0, 10),
        (Plan.ENTERPRISE, 20, 10),
        (Plan.FREE, 10, 100),
        (Plan.PRO, None, 100),
    ],
)
def test_limits_that_do_not_fit_the_plan_are_refused(
    plan: Plan, hourly: int | None, daily: int | None
) -> None:
    with pytest.raises(ValidationError):
        ApiKeyRecord(key_hash="h", plan=plan, hourly_limit=hourly, daily_limit=daily)


def test_keys_are_random_and_stored_as_sha256() -> None:
    first, second = generate_key(), generate_key()
    assert first != second and len(first) > 40
    assert hash_key(first) != first and len(hash_key(first)) == 64
    assert hash_key(first) == hash_key(first)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_keeps_active_keys_for_its_ttl_only() -> None:
    clock = FakeMonotonic()
    cache = KeyCache(ttl_seconds=lambda: 5.0, clock=clock)
    record = ApiKeyRecord(key_hash="h1")
    cache.put(record)
    clock.now += 4.9
    assert cache.get("h1") == record
    clock.now += 0.1
    assert cache.get("h1") is None


def test_cache_drop_and_revoked_and_disabled() -> None:
    cache = KeyCache(ttl_seconds=lambda: 5.0)
    cache.put(ApiKeyRecord(key_hash="h1"))
    cache.drop("h1")
    assert cache.get("h1") is None
    cache.put(ApiKeyRecord(key_hash="h2", status=KeyStatus.REVOKED))
    assert cache.get("h2") is None
    disabled = KeyCache(ttl_seconds=lambda: 0.0)
    disabled.put(ApiKeyRecord(key_hash="h3"))
    assert disabled.get("h3") is None


def test_cache_is_bounded() -> None:
    cache = KeyCache(ttl_seconds=lambda: 60.0, max_entries=3)
    for index in range(5):
        cache.put(ApiKeyRecord(key_hash=f"h{index}"))
    assert [cache.get(f"h{i}") is not None for i in range(5)] == [False, False, True, True, True]
