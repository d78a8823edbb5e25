"""The usage history the dashboard reads: day counters kept for the 7-day chart, refusals counted per
day, and the last use stamped by the same write that counts a submission (moto over HTTP, hand clock)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.adapters.rate_limit_table import RateLimitTable
from core.logic.rate_limit import USAGE_HISTORY, RateLimiter, Window, WindowKind
from core.logic.usage_history import account_days, key_usage
from core.models.plan import Plan
from tests.integration.keys.helpers import HandClock, MakeKey


def test_day_counters_outlive_their_day_and_refusals_are_counted(
    limiter: RateLimiter, rate_table: RateLimitTable, clock: HandClock, make_key: MakeKey
) -> None:
    _, key = make_key(Plan.ENTERPRISE, hourly=2, daily=3)
    clock.set("2026-03-01T10:20:00")
    decisions = [limiter.consume(key).allowed for _ in range(3)]  # the hour refuses the third
    clock.set("2026-03-01T11:05:00")
    decisions += [limiter.consume(key).allowed for _ in range(2)]  # the day refuses the fifth
    assert decisions == [True, True, False, True, False]

    day = Window.containing(WindowKind.DAY, clock.now)
    item = rate_table.table.get_item(Key={"counter_id": day.counter_id(key.key_id)})["Item"]
    assert int(item["expires_at"]) == int((day.end + USAGE_HISTORY).timestamp())
    assert int(item["last_used_at"]) == int(datetime(2026, 3, 1, 11, 5, tzinfo=UTC).timestamp())
    refused = rate_table.table.get_item(Key={"counter_id": day.refused_counter_id(key.key_id)})["Item"]
    assert int(refused["used"]) == 2

    # A week later the chart still has that day; the current windows start from zero.
    clock.set("2026-03-07T09:00:00")
    (usage,) = key_usage([key], limiter)
    assert usage.days[0].day.isoformat() == "2026-03-01" and len(usage.days) == 7
    assert (usage.days[0].accepted, usage.days[0].refused) == (3, 2)
    assert usage.current is not None and (usage.current.hour.used, usage.current.day.used) == (0, 0)
    assert usage.last_used_at == datetime(2026, 3, 1, 11, 5, tzinfo=UTC)
    assert account_days([usage, usage])[0].accepted == 6
