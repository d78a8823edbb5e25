"""Of 2N simultaneous submissions against N remaining, exactly N pass, whichever window binds.

Threads call the limiter at once (a barrier releases them together); each thread's boto3 calls go over
HTTP to the session's moto server, which applies DynamoDB writes one at a time as DynamoDB does per item
(infra/local/moto_server.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.adapters.rate_limit_table import RateLimitTable
from core.logic.rate_limit import Decision, RateLimiter, WindowKind
from core.models.api_key import ApiKeyRecord
from core.models.plan import Plan
from core.settings import Settings
from tests.integration.keys.helpers import HandClock, MakeKey

N = 12
SPENT = 8  # used in this hour before the burst


def burst(limiter: RateLimiter, key: ApiKeyRecord, count: int) -> list[Decision]:
    start = threading.Barrier(count)

    def submit() -> Decision:
        start.wait()
        return limiter.consume(key)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: submit(), range(count)))


@pytest.mark.parametrize(
    ("hourly", "daily", "spent_earlier", "binding"),
    [
        # The hour binds: N left in it, plenty in the day.
        (SPENT + N, 1_000, 0, WindowKind.HOUR),
        # The day binds: 30 used in an earlier hour, so this hour has 30 left and the day 12.
        (30, 30 + N, 30, WindowKind.DAY),
    ],
)
def test_exactly_n_of_2n_pass(
    settings: Settings,
    clock: HandClock,
    make_key: MakeKey,
    hourly: int,
    daily: int,
    spent_earlier: int,
    binding: WindowKind,
) -> None:
    _, key = make_key(Plan.ENTERPRISE, hourly=hourly, daily=daily)
    limiter = RateLimiter(RateLimitTable(settings.rate_limits_table), clock=clock)
    clock.set("2026-03-01T08:30:00")
    assert all(limiter.consume(key).allowed for _ in range(spent_earlier))
    clock.set("2026-03-01T10:30:00")
    spent_now = SPENT if binding is WindowKind.HOUR else 0
    assert all(limiter.consume(key).allowed for _ in range(spent_now))
    before = limiter.usage(key)
    assert before.tightest.window.kind is binding and before.tightest.remaining == N

    decisions = burst(limiter, key, 2 * N)

    passed = [d for d in decisions if d.allowed]
    refused = [d for d in decisions if not d.allowed]
    assert len(passed) == N and len(refused) == N
    assert all(d.refused_by is not None and d.refused_by.window.kind is binding for d in refused)
    # Each admitted request saw its own count: Remaining counts down without repeats.
    assert sorted(d.usage.tightest.remaining for d in passed) == list(range(N))
    after = limiter.usage(key)
    # Only admitted requests are counted, in both windows (refused ones gave their hour unit back).
    assert after.hour.used == before.hour.used + N
    assert after.day.used == before.day.used + N
