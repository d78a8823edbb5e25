"""Call the real API function with API Gateway REST proxy events, against the moto server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from core.adapters.key_table import KeyTable
from core.logic.key_service import create_key
from core.models.plan import Plan
from core.settings import Settings, get_settings


@pytest.fixture()
def set_stage_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Change one of the stage's settings (a resource name, say) for one test; later tests get it back."""

    def set_env(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_env
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def other_key(aws_env: dict[str, str]) -> str:
    plaintext, _ = create_key(KeyTable(Settings().api_keys_table), plan=Plan.PRO, name="someone-else")
    return plaintext
