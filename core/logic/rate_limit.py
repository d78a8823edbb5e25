"""Plan limits as fixed windows (the clock hour and the UTC day) counted in DynamoDB, and the per-second
hold on status polls.

Status polls cost no write: they are held by a token bucket per key in this process (a function
instance; API Gateway's per-key method throttle holds them across instances on a stage), and the plan
usage their headers show is read at most once per STATUS_USAGE_MAX_AGE_SECONDS per key and instance
(submissions in the same instance refresh it), so a poll's only DynamoDB call is the task read.

A submission takes one unit from the hour counter, then one from the day counter, each with a
conditional `ADD` (see RateLimitTable). If the day refuses after the hour admitted, the hour unit is
given back. The day counter alone decides when the day binds and the hour counter alone when the hour
binds, so of 2N simultaneous requests against N remaining exactly N pass, whichever window binds.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from core.adapters.rate_limit_table import RateLimitTable
from core.clock import utc_now
from core.models.api_key import ApiKeyRecord
from core.models.plan import STATUS_POLLS_PER_SECOND
from core.observability import logger

Clock = Callable[[], datetime]

# Counters are only read during their window; DynamoDB's TTL removes them some time after this.
COUNTER_GRACE = timedelta(hours=1)
# Day counters (and the day's count of refusals) are kept this long after their day, for the
# dashboard's 7-day chart.
USAGE_HISTORY = timedelta(days=8)
# How stale the plan usage shown on a status poll may be (its X-RateLimit-* headers).
STATUS_USAGE_MAX_AGE_SECONDS = 5.0


class WindowKind(StrEnum):
    HOUR = "hour"
    DAY = "day"
    SECOND = "second"  # status polls


@dataclass(frozen=True)
class Window:
    kind: WindowKind
    start: datetime
    end: datetime

    @classmethod
    def containing(cls, kind: WindowKind, moment: datetime) -> Window:
        moment = moment.astimezone(UTC)
        if kind is WindowKind.HOUR:
            start = moment.replace(minute=0, second=0, microsecond=0)
            return cls(kind, start, start + timedelta(hours=1))
        if kind is WindowKind.DAY:
            start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            return cls(kind, start, start + timedelta(days=1))
        start = moment.replace(microsecond=0)
        return cls(kind, start, start + timedelta(seconds=1))

    def counter_id(self, key_id: str) -> str:
        label = {
            WindowKind.HOUR: self.start.strftime("%Y-%m-%dT%H"),
            WindowKind.DAY: self.start.strftime("%Y-%m-%d"),
            WindowKind.SECOND: str(int(self.start.timestamp())),
        }[self.kind]
        return f"{key_id}#{self.kind.value}#{label}"

    @property
    def reset_at(self) -> int:
        """Epoch seconds when the window ends and its counter starts again from zero."""
        return int(self.end.timestamp())

    @property
    def counter_expires_at(self) -> int:
        kept = USAGE_HISTORY if self.kind is WindowKind.DAY else COUNTER_GRACE
        return int((self.end + kept).timestamp())

    def refused_counter_id(self, key_id: str) -> str:
        """The day's count of submissions refused with 429 (shown on the dashboard, never enforced)."""
        return f"{key_id}#refused#{self.start.strftime('%Y-%m-%d')}"


@dataclass(frozen=True)
class WindowUsage:
    window: Window
    limit: int
    used: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def reset_at(self) -> int:
        return self.window.reset_at


@dataclass(frozen=True)
class Usage:
    """A key's plan windows at one moment."""

    hour: WindowUsage
    day: WindowUsage

    @property
    def tightest(self) -> WindowUsage:
        """The window with fewer requests left (the one the X-RateLimit-* headers describe). On a tie the
        later reset wins: that is when the count actually comes back."""
        return min((self.hour, self.day), key=lambda w: (w.remaining, -w.reset_at))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    usage: Usage
    decided_at: datetime
    # The window that refused (None when allowed): hour, day, or second for a status poll.
    refused_by: WindowUsage | None = None

    @property
    def retry_at(self) -> int:
        """Epoch seconds from which a retry can pass (only meaningful when refused)."""
        if self.refused_by is None:
            return int(self.decided_at.timestamp())
        if self.refused_by.window.kind is WindowKind.SECOND:
            return self.refused_by.reset_at
        # The refusing window has nothing left, so the tightest one does too; if both are spent, the
        # tightest is the one that resets later, which is when a retry can pass.
        return self.usage.tightest.reset_at

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_at - self.decided_at.timestamp()))


class TokenBuckets:
    """One token bucket per key: `rate` tokens a second, at most `burst` saved. Per process, thread-safe."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at epoch seconds)
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> bool:
        with self._lock:
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > 10_000:  # keys idle for a second are full again: forget them
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 1.0}
            return allowed


class UsageCache:
    """The last plan usage seen per key in this process, for status-poll headers."""

    def __init__(self, max_age_seconds: float) -> None:
        self.max_age_seconds = max_age_seconds
        self._usage: dict[str, tuple[Usage, float]] = {}
        self._lock = threading.Lock()

    def get(self, key_id: str, now: datetime) -> Usage | None:
        with self._lock:
            found = self._usage.get(key_id)
        if found is None:
            return None
        usage, seen_at = found
        fresh = now.timestamp() - seen_at < self.max_age_seconds
        # A window that ended since is not shown: its count started again from zero.
        same_windows = usage.hour.window.start <= now < usage.hour.window.end and now < usage.day.window.end
        return usage if fresh and same_windows else None

    def put(self, key_id: str, usage: Usage, now: datetime) -> None:
        with self._lock:
            if len(self._usage) > 10_000:
                self._usage.clear()
            self._usage[key_id] = (usage, now.timestamp())


# Per function instance (module state lives as long as the Lambda execution environment).
status_poll_buckets = TokenBuckets(STATUS_POLLS_PER_SECOND, STATUS_POLLS_PER_SECOND)
usage_cache = UsageCache(STATUS_USAGE_MAX_AGE_SECONDS)


class RateLimiter:
    def __init__(
        self,
        table: RateLimitTable,
        clock: Clock = utc_now,
        poll_buckets: TokenBuckets = status_poll_buckets,
        usage_seen: UsageCache = usage_cache,
    ) -> None:
        self.table = table
        self.clock = clock
        self.poll_buckets = poll_buckets
        self.usage_seen = usage_seen

    def _windows(self, now: datetime) -> tuple[Window, Window]:
        return Window.containing(WindowKind.HOUR, now), Window.containing(WindowKind.DAY, now)

    def consume(self, key: ApiKeyRecord) -> Decision:
        """Count one submission against the key's hour and day windows, if both have room."""
        now = self.clock()
        limits = key.limits
        hour, day = self._windows(now)
        hour_id, day_id = hour.counter_id(key.key_id), day.counter_id(key.key_id)

        used_at = int(now.timestamp())
        hour_used = self.table.increment_below(hour_id, limits.per_hour, hour.counter_expires_at)
        if hour_used is None:
            self._count_refusal(key.key_id, day)
            day_so_far = self.table.read([day_id])[day_id]
            hour_usage = WindowUsage(hour, limits.per_hour, limits.per_hour)
            usage = Usage(hour_usage, WindowUsage(day, limits.per_day, day_so_far))
            return Decision(False, usage, now, refused_by=hour_usage)

        # The day counter also keeps when the key was last used (same write, no extra call).
        day_used = self.table.increment_below(day_id, limits.per_day, day.counter_expires_at, used_at=used_at)
        if day_used is None:
            self._give_back(hour_id)
            self._count_refusal(key.key_id, day)
            day_usage = WindowUsage(day, limits.per_day, limits.per_day)
            usage = Usage(WindowUsage(hour, limits.per_hour, hour_used - 1), day_usage)
            return Decision(False, usage, now, refused_by=day_usage)

        usage = Usage(
            WindowUsage(hour, limits.per_hour, hour_used), WindowUsage(day, limits.per_day, day_used)
        )
        self.usage_seen.put(key.key_id, usage, now)
        return Decision(True, usage, now)

    def admit_status_poll(self, key: ApiKeyRecord) -> Decision:
        """Hold status polls to STATUS_POLLS_PER_SECOND per key (a token bucket in this process, no
        DynamoDB write); they do not count against the plan."""
        now = self.clock()
        second = Window.containing(WindowKind.SECOND, now)
        admitted = self.poll_buckets.take(key.key_id, now.timestamp())
        usage = self.usage_seen.get(key.key_id, now)
        if usage is None:
            usage = self.usage(key, now)
            self.usage_seen.put(key.key_id, usage, now)
        if not admitted:
            refused = WindowUsage(second, STATUS_POLLS_PER_SECOND, STATUS_POLLS_PER_SECOND)
            return Decision(False, usage, now, refused_by=refused)
        return Decision(True, usage, now)

    def usage(self, key: ApiKeyRecord, now: datetime | None = None) -> Usage:
        """The key's current hour and day usage, without counting anything."""
        now = now or self.clock()
        limits = key.limits
        hour, day = self._windows(now)
        hour_id, day_id = hour.counter_id(key.key_id), day.counter_id(key.key_id)
        counts = self.table.read([hour_id, day_id])
        return Usage(
            WindowUsage(hour, limits.per_hour, counts[hour_id]),
            WindowUsage(day, limits.per_day, counts[day_id]),
        )

    def _count_refusal(self, key_id: str, day: Window) -> None:
        # Bookkeeping for the dashboard: the 429 stands whether or not it is counted.
        try:
            self.table.add(day.refused_counter_id(key_id), day.counter_expires_at)
        except Exception:
            logger.warning("could not count a refusal of %s", key_id, exc_info=True)

    def _give_back(self, counter_id: str) -> None:
        # The refusal stands either way; a unit not given back only errs towards refusing (never over-admits).
        try:
            self.table.give_back(counter_id)
        except Exception:
            logger.warning("could not give back a unit of %s", counter_id, exc_info=True)
