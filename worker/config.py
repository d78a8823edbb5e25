"""The worker's timings: one frozen config, built once from Settings (WORKER_*) with the command line's
overrides applied on top. Nothing else holds a default for them."""

from __future__ import annotations

from dataclasses import dataclass

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
    def from_settings(
        cls,
        settings: Settings,
        *,
        poll_wait_seconds: int | None = None,
        retry_delay_seconds: int | None = None,
        shutdown_grace_seconds: float | None = None,
        engine_timeout_seconds: float | None = None,
    ) -> WorkerConfig:
        """The settings' WORKER_* values; an override that is not None (a flag given) replaces its field."""

        def given(override: float | None, setting: float) -> float:
            return setting if override is None else override

        return cls(
            poll_wait_seconds=int(given(poll_wait_seconds, settings.worker_poll_wait_seconds)),
            visibility_timeout_seconds=settings.worker_visibility_timeout_seconds,
            lease_seconds=settings.worker_lease_seconds,
            retry_delay_seconds=int(given(retry_delay_seconds, settings.worker_retry_delay_seconds)),
            shutdown_grace_seconds=given(shutdown_grace_seconds, settings.worker_shutdown_grace_seconds),
            engine_timeout_seconds=given(engine_timeout_seconds, settings.worker_engine_timeout_seconds),
        )
