"""API keys: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from core.clock import utc_now
from core.models.plan import PLAN_LIMITS, Limits, Plan

KEY_PREFIX = "fsk_"


class KeyStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # kept, but refused with 403 forbidden until enabled again
    REVOKED = "revoked"  # final


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def key_prefix(api_key: str) -> str:
    return api_key[: len(KEY_PREFIX) + 4]


def new_key_id() -> str:
    return "key_" + secrets.token_hex(6)


def check_enterprise_limits(hourly: int | None, daily: int | None) -> Limits:
    if hourly is None or daily is None:
        raise ValueError("enterprise keys carry their own hourly and daily limits")
    if hourly < 1 or daily < 1:
        raise ValueError("limits must be at least 1")
    if hourly > daily:
        raise ValueError("the hourly limit cannot exceed the daily limit")
    return Limits(hourly, daily)


class ApiKeyRecord(BaseModel):
    key_hash: str
    key_id: str = Field(default_factory=new_key_id)
    name: str = ""
    # The dashboard account (Cognito sub) that owns the key; None for keys an operator made with the CLI.
    owner_id: str | None = None
    # The key's first characters (fsk_ + 4), so a list can tell keys apart; None on older keys.
    key_prefix: str | None = None
    plan: Plan = Plan.FREE
    # Only for enterprise keys; other plans take the plan table's limits.
    hourly_limit: int | None = None
    daily_limit: int | None = None
    status: KeyStatus = KeyStatus.ACTIVE
    # Results of this key carry a visible "AI-generated" corner label (off by default; issue 13).
    visible_label: bool = False
    created_at: datetime = Field(default_factory=utc_now)
    revoked_at: datetime | None = None
    # Signs this key's webhooks (Standard Webhooks, whsec_...); shown once at creation and rotation.
    webhook_secret: str | None = None

    @model_validator(mode="after")
    def _limits_match_plan(self) -> ApiKeyRecord:
        custom = (self.hourly_limit, self.daily_limit)
        if self.plan is Plan.ENTERPRISE:
            check_enterprise_limits(self.hourly_limit, self.daily_limit)
        elif custom != (None, None):
            raise ValueError(
                f"only enterprise keys carry their own limits; {self.plan.value} uses the plan's"
            )
        return self

    @property
    def limits(self) -> Limits:
        if self.plan is Plan.ENTERPRISE:
            return check_enterprise_limits(self.hourly_limit, self.daily_limit)
        return PLAN_LIMITS[self.plan]

    @property
    def active(self) -> bool:
        return self.status is KeyStatus.ACTIVE
