from __future__ import annotations

import pytest
from sdk_fake_api import FakeApi


@pytest.fixture()
def api() -> FakeApi:
    return FakeApi()
