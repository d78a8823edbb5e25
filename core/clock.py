"""The one clock: timezone-aware UTC now, for task timestamps, key records and rate-limit windows.

Its own module so keys and limits need not import the task model to tell the time (tests freeze it
with freezegun, which patches datetime.now)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
