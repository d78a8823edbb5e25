"""What a dashboard account may do with API keys: only its own, and only through the key service the
operator CLI uses (core.logic.key_service), so both make the same records."""

from __future__ import annotations

from core.adapters.key_table import KeyTable
from core.logic.key_service import KeyNotFound, create_key, revoke_key, set_key_enabled
from core.models.api_key import ApiKeyRecord, KeyStatus
from core.models.plan import Plan

# Keys an account may hold that are not revoked (more is an operator's decision, through the CLI).
MAX_LIVE_KEYS_PER_ACCOUNT = 10
MAX_NAME_LENGTH = 64


class KeyLimitReached(Exception):
    pass


def clean_name(name: str) -> str:
    """A key's label: printable, trimmed, at most MAX_NAME_LENGTH characters (ValueError otherwise)."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH or not cleaned.isprintable():
        raise ValueError(f"a key needs a name of 1 to {MAX_NAME_LENGTH} printable characters")
    return cleaned


def account_keys(table: KeyTable, account_id: str) -> list[ApiKeyRecord]:
    """The account's keys, oldest first (revoked ones too: the list shows their status)."""
    return sorted(table.owned_by(account_id), key=lambda record: record.created_at)


def create_account_key(table: KeyTable, account_id: str, name: str) -> tuple[str, ApiKeyRecord]:
    """A new free-plan key owned by the account; the plaintext is returned once and never stored.
    Plans above free are an operator's change (the CLI)."""
    live = [r for r in table.owned_by(account_id) if r.status is not KeyStatus.REVOKED]
    if len(live) >= MAX_LIVE_KEYS_PER_ACCOUNT:
        raise KeyLimitReached(f"an account holds at most {MAX_LIVE_KEYS_PER_ACCOUNT} keys; revoke one first")
    return create_key(table, plan=Plan.FREE, name=clean_name(name), owner_id=account_id)


def owned_key(table: KeyTable, account_id: str, key_id: str) -> ApiKeyRecord:
    """The account's key with this id; another account's key is as unknown as a missing one."""
    record = table.find_by_key_id(key_id)
    if record is None or record.owner_id != account_id:
        raise KeyNotFound(key_id)
    return record


def revoke_account_key(table: KeyTable, account_id: str, key_id: str) -> ApiKeyRecord:
    owned_key(table, account_id, key_id)
    return revoke_key(table, key_id)


def set_account_key_enabled(table: KeyTable, account_id: str, key_id: str, enabled: bool) -> ApiKeyRecord:
    owned_key(table, account_id, key_id)
    return set_key_enabled(table, key_id, enabled)
