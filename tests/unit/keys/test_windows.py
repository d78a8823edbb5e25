"""Fixed windows, the headline window, Retry-After and the rate-limit headers (no AWS involved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.logic.rate_limit import Decision, Usage, Window, WindowKind, WindowUsage
from core.models.errors import ErrorCode
from functions.api.rate_limiting import headers_for, rate_limit_error


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def epoch(text: str) -> int:
    return int(at(text).timestamp())


@pytest.mark.parametrize(
    ("moment", "kind", "start", "end"),
    [
        ("2026-03-01T10:00:00", WindowKind.HOUR, "2026-03-01T10:00:00", "2026-03-01T11:00:00"),
        ("2026-03-01T10:59:59.999999", WindowKind.HOUR, "2026-03-01T10:00:00", "2026-03-01T11:00:00"),
        ("2026-03-01T23:59:59.999999", WindowKind.DAY, "2026-03-01T00:00:00", "2026-03-02T00:00:00"),
        ("2026-03-02T00:00:00", WindowKind.DAY, "2026-03-02T00:00:00", "2026-03-03T00:00:00"),
        ("2024-02-28T23:30:00", WindowKind.DAY, "2024-02-28T00:00:00", "2024-02-29T00:00:00"),
        ("2026-12-31T23:10:00", WindowKind.HOUR, "2026-12-31T23:00:00", "2027-01-01T00:00:00"),
        ("2026-03-01T10:00:05.7", WindowKind.SECOND, "2026-03-01T10:00:05", "2026-03-01T10:00:06"),
    ],
)
def test_window_bounds(moment: str, kind: WindowKind, start: str, end: str) -> None:
    window = Window.containing(kind, at(moment))
    assert (window.start, window.end) == (at(start), at(end))
    assert window.reset_at == epoch(end)


def test_windows_follow_utc_whatever_the_clock_zone() -> None:
    # 01:30 in UTC+2 is 23:30 UTC the day before: the UTC day is the one that counts.
    moment = datetime(2026, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    day = Window.containing(WindowKind.DAY, moment)
    assert day.start == at("2026-03-01T00:00:00")
    assert day.counter_id("key_1") == "key_1#day#2026-03-01"
    assert Window.containing(WindowKind.HOUR, moment).counter_id("key_1") == "key_1#hour#2026-03-01T23"


def test_counter_ids_differ_per_window_and_key() -> None:
    hour_a = Window.containing(WindowKind.HOUR, at("2026-03-01T10:59:59"))
    hour_b = Window.containing(WindowKind.HOUR, at("2026-03-01T11:00:00"))
    assert hour_a.counter_id("k") != hour_b.counter_id("k")
    assert hour_a.counter_id("k") != hour_a.counter_id("k2")
    assert hour_a.counter_expires_at > hour_a.reset_at


def usage(hour_used: int, day_used: int, moment: str = "2026-03-01T10:20:00") -> Usage:
    now = at(moment)
    return Usage(
        WindowUsage(Window.containing(WindowKind.HOUR, now), 50, hour_used),
        WindowUsage(Window.containing(WindowKind.DAY, now), 500, day_used),
    )


def test_headline_is_the_window_with_fewer_left() -> None:
    assert usage(10, 100).tightest.window.kind is WindowKind.HOUR  # 40 left vs 400
    assert usage(10, 480).tightest.window.kind is WindowKind.DAY  # 40 left vs 20
    # A tie goes to the later reset: that is when requests come back.
    assert usage(30, 480).tightest.window.kind is WindowKind.DAY


def test_headers_on_an_admitted_request() -> None:
    decision = Decision(True, usage(11, 100), at("2026-03-01T10:20:00"))
    assert headers_for(decision) == {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "39",
        "X-RateLimit-Reset": str(epoch("2026-03-01T11:00:00")),
    }


def test_hour_refusal_retries_at_the_next_hour() -> None:
    spent = usage(50, 120)
    decision = Decision(False, spent, at("2026-03-01T10:20:00.250"), refused_by=spent.hour)
    assert decision.retry_at == epoch("2026-03-01T11:00:00")
    assert decision.retry_after_seconds == 40 * 60  # 39 min 59.75 s, rounded up
    error = rate_limit_error(decision)
    assert error.status == 429 and error.body.code is ErrorCode.RATE_LIMIT_EXCEEDED
    assert error.body.details == {"reset_at": epoch("2026-03-01T11:00:00"), "window": "hour", "limit": 50}
    assert error.headers["Retry-After"] == str(40 * 60)
    assert error.headers["X-RateLimit-Remaining"] == "0"
    assert error.headers["X-RateLimit-Reset"] == str(epoch("2026-03-01T11:00:00"))


def test_when_both_windows_are_spent_the_retry_waits_for_the_day() -> None:
    spent = usage(50, 500)
    decision = Decision(False, spent, at("2026-03-01T10:20:00"), refused_by=spent.hour)
    assert decision.retry_at == epoch("2026-03-02T00:00:00")
    assert headers_for(decision)["X-RateLimit-Limit"] == "500"
    assert headers_for(decision)["Retry-After"] == str(13 * 3600 + 40 * 60)


def test_status_poll_refusal_retries_next_second() -> None:
    now = at("2026-03-01T10:20:00.900")
    second = WindowUsage(Window.containing(WindowKind.SECOND, now), 10, 10)
    decision = Decision(False, usage(3, 3), now, refused_by=second)
    assert decision.retry_after_seconds == 1
    error = rate_limit_error(decision)
    assert error.body.details == {"reset_at": epoch("2026-03-01T10:20:01"), "window": "second", "limit": 10}
    # The plan headers still describe the plan windows (polls do not use them up).
    assert error.headers["X-RateLimit-Remaining"] == "47"
