"""The worker's timings: one frozen config, built once from Settings (WORKER_*) with the command line's
overrides applied on top. Nothing else holds a default for them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from core.settings import Settings


@dataclass(frozen=True)
class WorkerConfig:
    poll_wait_seconds: int
    visibility_timeout_seconds: int
    lease_seconds: int
    retry_delay_seconds: int
    shutdown_grace_seconds: float
    engine_timeout_seconds: float

    @property
    def heartbeat_seconds(self) -> float:
        # Three beats per window: one lost call to SQS or DynamoDB never lets either lapse.
        return min(self.visibility_timeout_seconds, self.lease_seconds) / 3

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: float | None) -> WorkerConfig:
        """The settings' WORKER_* values; an override that is not None (a flag given) replaces its field."""
        config = cls(**{field.name: getattr(settings, f"worker_{field.name}") for field in fields(cls)})
        return replace(config, **{name: value for name, value in overrides.items() if value is not None})
