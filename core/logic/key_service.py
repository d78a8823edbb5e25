"""Key operations shared by the API, the CLI and the local stack."""

from __future__ import annotations

from core.adapters.key_table import KeyTable
from core.clock import utc_now
from core.logic.key_cache import KeyCache
from core.logic.rate_limit import RateLimiter, Usage
from core.models.api_key import ApiKeyRecord, KeyStatus, generate_key, hash_key, key_prefix
from core.models.plan import Plan
from core.models.webhook import new_webhook_secret
from core.settings import get_settings

# Longer than any key we issue (fsk_ + 43 characters); anything longer is refused without a lookup.
MAX_PRESENTED_KEY_LENGTH = 256


class KeyNotFound(Exception):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"no key with id {key_id}")
        self.key_id = key_id


# One cache per process (a Lambda execution environment), its TTL read from the settings.
key_cache = KeyCache(ttl_seconds=lambda: get_settings().key_cache_ttl_seconds)


def create_key(
    table: KeyTable,
    *,
    plan: Plan = Plan.FREE,
    name: str = "",
    api_key: str | None = None,
    hourly_limit: int | None = None,
    daily_limit: int | None = None,
    owner_id: str | None = None,
    visible_label: bool = False,
) -> tuple[str, ApiKeyRecord]:
    """Store a new key (its hash only) and return the plaintext once, with the record.

    `api_key` lets an operator choose the key (the local stack's FACESWAP_LOCAL_API_KEY). Enterprise keys
    need both limits; other plans take none (ApiKeyRecord checks, before anything is stored)."""
    plaintext = api_key or generate_key()
    record = ApiKeyRecord(
        key_hash=hash_key(plaintext),
        name=name,
        plan=plan,
        hourly_limit=hourly_limit,
        daily_limit=daily_limit,
        webhook_secret=new_webhook_secret(),
        owner_id=owner_id,
        key_prefix=key_prefix(plaintext),
        visible_label=visible_label,
    )
    table.put_new(record)
    return plaintext, record


def find_key(table: KeyTable, presented: str, cache: KeyCache = key_cache) -> ApiKeyRecord | None:
    """The record of a key as the client sent it (active or disabled), or None (unknown or revoked).

    Only active records are cached, so re-enabling a key works at once."""
    presented = presented.strip()
    if not presented or len(presented) > MAX_PRESENTED_KEY_LENGTH:
        return None
    key_hash = hash_key(presented)
    record = cache.get(key_hash)
    if record is not None:
        return record
    record = table.get(key_hash)
    if record is None or record.status is KeyStatus.REVOKED:
        return None
    if record.active:
        cache.put(record)
    return record


def revoke_key(table: KeyTable, key_id: str, cache: KeyCache = key_cache) -> ApiKeyRecord:
    """Revoke by public id. Takes effect at once in this process and in every other within the cache TTL
    (at most 1 s)."""
    found = table.find_by_key_id(key_id)
    if found is None:
        raise KeyNotFound(key_id)
    revoked = table.mark_revoked(found.key_hash, utc_now())
    if revoked is None:
        raise KeyNotFound(key_id)
    # After the write: a request in between cannot put the still-active record back.
    cache.drop(found.key_hash)
    return revoked


def set_key_enabled(table: KeyTable, key_id: str, enabled: bool, cache: KeyCache = key_cache) -> ApiKeyRecord:
    """Disable (403 forbidden) or re-enable a key by public id; revoked keys stay revoked."""
    found = table.find_by_key_id(key_id)
    if found is None:
        raise KeyNotFound(key_id)
    updated = table.set_enabled(found.key_hash, enabled)
    if updated is None:
        raise KeyNotFound(key_id)
    cache.drop(found.key_hash)
    return updated


def set_visible_label(table: KeyTable, key_id: str, on: bool, cache: KeyCache = key_cache) -> ApiKeyRecord:
    """Turn the visible "AI-generated" label on this key's future results on or off."""
    found = table.find_by_key_id(key_id)
    updated = table.set_visible_label(found.key_hash, on) if found is not None else None
    if found is None or updated is None:
        raise KeyNotFound(key_id)
    cache.drop(found.key_hash)
    return updated


def get_key(table: KeyTable, key_id: str) -> ApiKeyRecord:
    found = table.find_by_key_id(key_id)
    if found is None:
        raise KeyNotFound(key_id)
    return found


def list_keys_with_usage(table: KeyTable, limiter: RateLimiter) -> list[tuple[ApiKeyRecord, Usage | None]]:
    """Every key, oldest first, with its current hour and day usage (None for revoked keys)."""
    records = sorted(table.scan(), key=lambda r: r.created_at)
    now = limiter.clock()
    return [(r, limiter.usage(r, now) if r.active else None) for r in records]
