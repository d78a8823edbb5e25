"""Key operations shared by the API, the CLI and the local stack."""

from __future__ import annotations

from functions.core.aws.key_table import KeyTable
from functions.core.keys import ApiKeyRecord, generate_key, hash_key
from functions.core.plans import Plan


def create_key(
    table: KeyTable,
    *,
    plan: Plan = Plan.FREE,
    name: str = "",
    api_key: str | None = None,
    hourly_limit: int | None = None,
    daily_limit: int | None = None,
) -> tuple[str, ApiKeyRecord]:
    """Store a new key (its hash only) and return the plaintext once, with the record.

    `api_key` lets an operator choose the key (the local stack's FACESWAP_LOCAL_API_KEY)."""
    plaintext = api_key or generate_key()
    record = ApiKeyRecord(
        key_hash=hash_key(plaintext), name=name, plan=plan, hourly_limit=hourly_limit, daily_limit=daily_limit
    )
    record.limits  # noqa: B018 - validates enterprise limits before anything is stored
    table.put_new(record)
    return plaintext, record
