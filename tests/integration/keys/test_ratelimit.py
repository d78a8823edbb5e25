"""Plan windows counted in DynamoDB (moto over HTTP), on a clock the tests move by hand."""

from __future__ import annotations

from core.adapters.rate_limit_table import RateLimitTable
from core.logic.rate_limit import COUNTER_GRACE, RateLimiter, Window, WindowKind
from core.models.plan import Plan
from tests.integration.keys.helpers import HandClock, MakeKey


def test_hour_boundary(limiter: RateLimiter, clock: HandClock, make_key: MakeKey) -> None:
    _, key = make_key(Plan.ENTERPRISE, hourly=3, daily=100)
    clock.set("2026-03-01T10:59:58")
    remaining = [limiter.consume(key).usage.tightest.remaining for _ in range(3)]
    assert remaining == [2, 1, 0]

    clock.set("2026-03-01T10:59:59.999999")
    refused = limiter.consume(key)
    assert not refused.allowed and refused.refused_by is not None
    assert refused.refused_by.window.kind is WindowKind.HOUR
    assert refused.retry_at == int(HandClock.parse("2026-03-01T11:00:00").timestamp())
    assert refused.retry_after_seconds == 1

    clock.set("2026-03-01T11:00:00")
    admitted = limiter.consume(key)
    assert admitted.allowed
    assert (admitted.usage.hour.used, admitted.usage.day.used) == (1, 4)


def test_day_boundary_and_the_hour_unit_given_back(
    limiter: RateLimiter, clock: HandClock, make_key: MakeKey
) -> None:
    _, key = make_key(Plan.ENTERPRISE, hourly=5, daily=7)
    clock.set("2026-03-01T22:10:00")
    assert all(limiter.consume(key).allowed for _ in range(5))
    clock.set("2026-03-01T23:00:00")
    assert all(limiter.consume(key).allowed for _ in range(2))

    refused = limiter.consume(key)
    assert not refused.allowed and refused.refused_by is not None
    assert refused.refused_by.window.kind is WindowKind.DAY
    next_day = int(HandClock.parse("2026-03-02T00:00:00").timestamp())
    assert refused.retry_at == next_day and refused.usage.tightest.reset_at == next_day
    # The hour admitted it before the day refused: that unit was given back.
    assert limiter.usage(key).hour.used == 2

    clock.set("2026-03-01T23:59:59")
    assert not limiter.consume(key).allowed
    clock.set("2026-03-02T00:00:00")
    admitted = limiter.consume(key)
    assert admitted.allowed and (admitted.usage.hour.used, admitted.usage.day.used) == (1, 1)


def test_free_plan_admits_exactly_its_hour(limiter: RateLimiter, make_key: MakeKey) -> None:
    _, key = make_key(Plan.FREE)
    decisions = [limiter.consume(key) for _ in range(52)]
    assert [d.allowed for d in decisions] == [True] * 50 + [False, False]
    assert decisions[49].usage.tightest.remaining == 0
    usage = limiter.usage(key)
    # Refused requests leave no trace in either window.
    assert (usage.hour.used, usage.day.used) == (50, 50)
    assert (usage.hour.limit, usage.day.limit) == (50, 500)


def test_counters_carry_a_ttl(
    limiter: RateLimiter, rate_table: RateLimitTable, clock: HandClock, make_key: MakeKey
) -> None:
    _, key = make_key()
    limiter.consume(key)
    hour = Window.containing(WindowKind.HOUR, clock.now)
    item = rate_table.table.get_item(Key={"counter_id": hour.counter_id(key.key_id)})["Item"]
    assert int(item["used"]) == 1
    assert int(item["expires_at"]) == int((hour.end + COUNTER_GRACE).timestamp())
    clock.set("2026-03-01T10:40:00")
    limiter.consume(key)
    item = rate_table.table.get_item(Key={"counter_id": hour.counter_id(key.key_id)})["Item"]
    assert int(item["expires_at"]) == int((hour.end + COUNTER_GRACE).timestamp())


def test_keys_count_separately(limiter: RateLimiter, make_key: MakeKey) -> None:
    _, first = make_key(Plan.ENTERPRISE, hourly=1, daily=1)
    _, second = make_key(Plan.ENTERPRISE, hourly=1, daily=1)
    assert limiter.consume(first).allowed
    assert not limiter.consume(first).allowed
    assert limiter.consume(second).allowed


def test_status_polls_are_held_per_second_and_cost_nothing(
    limiter: RateLimiter, clock: HandClock, make_key: MakeKey
) -> None:
    _, key = make_key()
    limiter.consume(key)
    clock.set("2026-03-01T10:20:00.000")
    polls = [limiter.admit_status_poll(key) for _ in range(11)]
    assert [p.allowed for p in polls] == [True] * 10 + [False]
    refused = polls[-1]
    assert refused.refused_by is not None and refused.refused_by.window.kind is WindowKind.SECOND
    assert refused.retry_after_seconds == 1
    # A token bucket: a token comes back every 1/10 s, and ten saved make the most a burst can take.
    clock.set("2026-03-01T10:20:00.050")
    assert not limiter.admit_status_poll(key).allowed
    clock.set("2026-03-01T10:20:00.150")
    assert [limiter.admit_status_poll(key).allowed for _ in range(2)] == [True, False]
    clock.set("2026-03-01T10:20:05.000")
    assert [limiter.admit_status_poll(key).allowed for _ in range(11)] == [True] * 10 + [False]
    later = limiter.admit_status_poll(key)
    # Polls leave the plan windows as they were, and their answers describe them.
    assert later.usage.hour.used == 1 and later.usage.tightest.remaining == 49
    assert limiter.usage(key).day.used == 1
