"""API keys: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from functions.core.plans import PLAN_LIMITS, Limits, Plan
from functions.core.tasks import utc_now

KEY_PREFIX = "fsk_"


class KeyStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_key_id() -> str:
    return "key_" + secrets.token_hex(6)


class ApiKeyRecord(BaseModel):
    key_hash: str
    key_id: str = Field(default_factory=new_key_id)
    name: str = ""
    plan: Plan = Plan.FREE
    # Only for enterprise keys; other plans take the plan table's limits.
    hourly_limit: int | None = None
    daily_limit: int | None = None
    status: KeyStatus = KeyStatus.ACTIVE
    created_at: datetime = Field(default_factory=utc_now)
    revoked_at: datetime | None = None

    @property
    def limits(self) -> Limits:
        if self.plan is Plan.ENTERPRISE:
            if self.hourly_limit is None or self.daily_limit is None:
                raise ValueError("enterprise keys carry their own hourly and daily limits")
            return Limits(self.hourly_limit, self.daily_limit)
        return PLAN_LIMITS[self.plan]

    @property
    def active(self) -> bool:
        return self.status is KeyStatus.ACTIVE
