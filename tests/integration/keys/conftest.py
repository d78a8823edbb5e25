"""Fixtures for keys and limits: the tables from template.yaml (through the session moto server), a
clock the tests move by hand, keys of any plan, and a moto endpoint that serialises requests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from core.adapters.key_table import KeyTable
from core.adapters.rate_limit_table import RateLimitTable
from core.logic.key_service import create_key, key_cache
from core.logic.rate_limit import RateLimiter
from core.models.api_key import ApiKeyRecord
from core.models.plan import Plan
from core.settings import Settings
from tests.integration.keys.helpers import HandClock, MakeKey


@pytest.fixture()
def key_table(settings: Settings) -> KeyTable:
    return KeyTable(settings.api_keys_table)


@pytest.fixture()
def rate_table(settings: Settings) -> RateLimitTable:
    return RateLimitTable(settings.rate_limits_table)


@pytest.fixture()
def clock() -> HandClock:
    return HandClock()


@pytest.fixture()
def limiter(rate_table: RateLimitTable, clock: HandClock) -> RateLimiter:
    return RateLimiter(rate_table, clock=clock)


@pytest.fixture()
def make_key(key_table: KeyTable) -> MakeKey:
    """Create a key; every test gets its own, so counters never collide between tests."""

    def make(
        plan: Plan = Plan.FREE, hourly: int | None = None, daily: int | None = None
    ) -> tuple[str, ApiKeyRecord]:
        return create_key(key_table, plan=plan, name="test", hourly_limit=hourly, daily_limit=daily)

    return make


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> Iterator[None]:
    key_cache.clear()
    yield
    key_cache.clear()


@pytest.fixture()
def away_from_hour_end() -> None:
    """Tests on the real clock must not straddle a clock hour: wait out the last seconds of one."""
    left = 3600 - time.time() % 3600
    if left < 5:
        time.sleep(left + 0.05)
