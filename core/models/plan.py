"""Plans and their windows (the contract's table). Enterprise limits are set on each key."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Plan(StrEnum):
    FREE = "free"
    BASIC = "basic"
    PRO = "pro"
    ENTERPRISE = "enterprise"


class Limits(NamedTuple):
    per_hour: int
    per_day: int


PLAN_LIMITS: dict[Plan, Limits] = {
    Plan.FREE: Limits(50, 500),
    Plan.BASIC: Limits(200, 2_000),
    Plan.PRO: Limits(1_000, 10_000),
}

STATUS_POLLS_PER_SECOND = 10
