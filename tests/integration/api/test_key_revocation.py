"""A key revoked or disabled elsewhere (the keys CLI, another warm function) stops working in every
warm API function within KEY_CACHE_TTL_SECONDS: at most 1 s."""

from __future__ import annotations

import time

import pytest

from core.adapters.key_table import KeyTable
from core.logic.key_cache import KeyCache
from core.logic.key_service import create_key, revoke_key, set_key_enabled
from core.models.plan import Plan
from core.settings import Settings
from tests.integration.api.helpers import Invoke

BOUND_SECONDS = 1.0
UNKNOWN_TASK = "/api/task-status/" + "0" * 32


def _elsewhere() -> KeyCache:
    """The cache of another process (the CLI that revokes): the API's own cache is not told."""
    return KeyCache(ttl_seconds=lambda: BOUND_SECONDS)


def test_settings_hold_the_key_cache_to_the_bound() -> None:
    assert Settings().key_cache_ttl_seconds == BOUND_SECONDS
    with pytest.raises(ValueError, match="KEY_CACHE_TTL_SECONDS"):
        Settings(KEY_CACHE_TTL_SECONDS=5)


@pytest.mark.parametrize(
    ("change", "status", "code"), [("revoke", 401, "invalid_api_key"), ("disable", 403, "forbidden")]
)
def test_a_key_changed_elsewhere_stops_working_within_the_bound(
    invoke: Invoke, change: str, status: int, code: str
) -> None:
    table = KeyTable(Settings().api_keys_table)
    api_key, record = create_key(table, plan=Plan.PRO, name=f"{change}-elsewhere")
    assert invoke("GET", UNKNOWN_TASK, key=api_key).status == 404  # works, and is now cached here
    if change == "revoke":
        revoke_key(table, record.key_id, cache=_elsewhere())
    else:
        set_key_enabled(table, record.key_id, False, cache=_elsewhere())
    changed_at = time.monotonic()
    time.sleep(BOUND_SECONDS - (time.monotonic() - changed_at) + 0.01)
    answer = invoke("GET", UNKNOWN_TASK, key=api_key)
    assert (answer.status, answer.code) == (status, code)
