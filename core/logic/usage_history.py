"""An account's usage for the dashboard, read from the very counters the API enforces (RateLimiter):
this hour and this UTC day per key against its plan's limits, the last days' accepted and refused (429)
submissions, and when each key was last used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.logic.rate_limit import RateLimiter, Usage, Window, WindowKind
from core.models.api_key import ApiKeyRecord

HISTORY_DAYS = 7


@dataclass(frozen=True)
class DayCount:
    day: date
    accepted: int
    refused: int


@dataclass(frozen=True)
class KeyUsage:
    record: ApiKeyRecord
    current: Usage | None  # None for revoked keys (they cannot be used any more)
    days: list[DayCount]  # oldest first, HISTORY_DAYS of them ending today (UTC)
    last_used_at: datetime | None


def day_windows(now: datetime, days: int = HISTORY_DAYS) -> list[Window]:
    today = Window.containing(WindowKind.DAY, now)
    starts = [today.start - timedelta(days=back) for back in range(days - 1, -1, -1)]
    return [Window.containing(WindowKind.DAY, start) for start in starts]


def key_usage(records: list[ApiKeyRecord], limiter: RateLimiter) -> list[KeyUsage]:
    """Every key's usage, read in one batch of counter reads (plus one per active key for the hour)."""
    now = limiter.clock()
    windows = day_windows(now)
    wanted = [
        counter
        for record in records
        for window in windows
        for counter in (window.counter_id(record.key_id), window.refused_counter_id(record.key_id))
    ]
    counts = limiter.table.read_with_last_use(wanted)
    usages = []
    for record in records:
        days = []
        last_used: int | None = None
        for window in windows:
            accepted, used_at = counts[window.counter_id(record.key_id)]
            refused, _ = counts[window.refused_counter_id(record.key_id)]
            days.append(DayCount(window.start.date(), accepted, refused))
            last_used = max(filter(None, (last_used, used_at)), default=None)
        current = limiter.usage(record, now) if record.active else None
        when = datetime.fromtimestamp(last_used, now.tzinfo) if last_used else None
        usages.append(KeyUsage(record, current, days, when))
    return usages


def account_days(usages: list[KeyUsage]) -> list[DayCount]:
    """The account's daily totals over all its keys (the 7-day chart)."""
    if not usages:
        return []
    totals = []
    for index, first in enumerate(usages[0].days):
        accepted = sum(u.days[index].accepted for u in usages)
        refused = sum(u.days[index].refused for u in usages)
        totals.append(DayCount(first.day, accepted, refused))
    return totals
