"""The worker's timings come from one place: Settings (WORKER_*), with command-line flags applied once."""

from __future__ import annotations

import dataclasses

import pytest

from core.settings import Settings
from worker.config import WorkerConfig
from worker.main import build_parser


def test_settings_give_every_timing() -> None:
    settings = Settings(
        WORKER_RETRY_DELAY_SECONDS=7, WORKER_LEASE_SECONDS=30, WORKER_VISIBILITY_TIMEOUT_SECONDS=60
    )
    config = WorkerConfig.from_settings(settings)
    assert config.retry_delay_seconds == 7
    assert config.lease_seconds == 30 and config.visibility_timeout_seconds == 60
    assert config.heartbeat_seconds == 10  # three beats in the shorter of lease and visibility
    assert config.shutdown_grace_seconds == settings.worker_shutdown_grace_seconds


def test_flags_override_only_what_they_name() -> None:
    settings = Settings(WORKER_SHUTDOWN_GRACE_SECONDS=20, WORKER_ENGINE_TIMEOUT_SECONDS=600)
    args = build_parser().parse_args(["--shutdown-grace-seconds", "90"])
    config = WorkerConfig.from_settings(
        settings,
        shutdown_grace_seconds=args.shutdown_grace_seconds,
        retry_delay_seconds=args.retry_delay_seconds,
        engine_timeout_seconds=args.engine_timeout_seconds,
    )
    assert config.shutdown_grace_seconds == 90  # the flag given
    assert config.engine_timeout_seconds == 600  # the flag left out: the setting
    assert config.retry_delay_seconds == settings.worker_retry_delay_seconds


def test_config_is_frozen() -> None:
    config = WorkerConfig.from_settings(Settings())
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lease_seconds = 1
