"""The one settings object. Every resource name comes from an environment variable that
template.yaml sets (and the local stack sets the same way), so no name is written twice."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine_layer.detection.thresholds import DEFAULT_FACE_RESOLUTION

EngineTier = Literal["auto", "offline", "production"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    stage: str = Field("local", alias="STAGE")
    media_bucket: str = Field("faceswap-local-media-bucket", alias="MEDIA_BUCKET")
    tasks_table: str = Field("faceswap-local-tasks-table", alias="TASKS_TABLE")
    api_keys_table: str = Field("faceswap-local-api-keys-table", alias="API_KEYS_TABLE")
    rate_limits_table: str = Field("faceswap-local-rate-limits-table", alias="RATE_LIMITS_TABLE")
    idempotency_table: str = Field("faceswap-local-idempotency-table", alias="IDEMPOTENCY_TABLE")
    task_queue_url: str = Field("", alias="TASK_QUEUE_URL")
    task_dlq_url: str = Field("", alias="TASK_DLQ_URL")
    webhook_queue_url: str = Field("", alias="WEBHOOK_QUEUE_URL")

    # Engine
    model_dir: Path = Field(Path(".models"), alias="FACESWAP_MODEL_DIR")
    engine_tier: EngineTier = Field("auto", alias="FACESWAP_ENGINE_TIER")
    # A production stage sets this so a worker refuses to start without the tier it pays for.
    require_tier: Literal["offline", "production"] | None = Field(None, alias="FACESWAP_REQUIRE_TIER")
    # Faces larger than this (box side, px) are swapped and restored on a crop shrunk to it: cost then
    # follows the faces, not the megapixels (engine_layer.face_crop).
    face_resolution: int = Field(DEFAULT_FACE_RESOLUTION, alias="FACESWAP_FACE_RESOLUTION", ge=256, le=8192)

    # Results and task records
    result_url_ttl_seconds: int = Field(3600, alias="RESULT_URL_TTL_SECONDS", ge=60, le=7 * 24 * 3600)
    task_ttl_days: int = Field(7, alias="TASK_TTL_DAYS", ge=1)
    # The bucket's lifecycle rule (template RetentionDays) deletes inputs and results after this many days;
    # status stops handing out links to results past it (result_expired) instead of links that 403.
    media_retention_days: int = Field(1, alias="MEDIA_RETENTION_DAYS", ge=1)

    # Fetching images named by URL (JSON bodies): one budget for every URL of a request, DNS included,
    # kept well inside the API function's timeout.
    url_fetch_timeout_seconds: float = Field(10.0, alias="URL_FETCH_TIMEOUT_SECONDS", gt=0, le=15)
    # http:// and any port; only the local stack sets it (stages fetch https:// on 443 only).
    url_fetch_allow_http: bool = Field(False, alias="URL_FETCH_ALLOW_HTTP")

    # Worker
    worker_poll_wait_seconds: int = Field(20, alias="WORKER_POLL_WAIT_SECONDS", ge=0, le=20)
    # The lease runs out before the message reappears (visibility > lease): a dead worker's message comes
    # back to a task that can be re-taken at once, so a crash costs one receive, not two.
    worker_visibility_timeout_seconds: int = Field(120, alias="WORKER_VISIBILITY_TIMEOUT_SECONDS", ge=2)
    # A task `processing` longer than this without a heartbeat is considered abandoned and re-taken.
    worker_lease_seconds: int = Field(110, alias="WORKER_LEASE_SECONDS", ge=1)
    # On SIGTERM, how long the task in hand may still run before it is given back (keep it under the
    # orchestrator's stop timeout minus one poll wait).
    worker_shutdown_grace_seconds: float = Field(20.0, alias="WORKER_SHUTDOWN_GRACE_SECONDS", ge=0)
    # How long a task that failed unexpectedly waits before its next attempt.
    worker_retry_delay_seconds: int = Field(10, alias="WORKER_RETRY_DELAY_SECONDS", ge=0, le=900)
    # An engine call running longer is a wedged device: give the task back and exit to be replaced.
    worker_engine_timeout_seconds: float = Field(600.0, alias="WORKER_ENGINE_TIMEOUT_SECONDS", gt=0)

    # The origin browsers may call the API from (template CorsAllowOrigin; gateway responses use it too).
    cors_allow_origin: str = Field("*", alias="CORS_ALLOW_ORIGIN", min_length=1)
    # Nothing waits for ever (functions/sweeper): a task `queued` longer than this ends failed/queue_timeout;
    # a `processing` task whose lease lapsed is re-driven, or failed once it has had this many attempts.
    task_max_queued_seconds: int = Field(3600, alias="TASK_MAX_QUEUED_SECONDS", ge=1)
    task_max_attempts: int = Field(3, alias="TASK_MAX_ATTEMPTS", ge=1)
    # A processing task whose lease lapsed this long ago gets a new message (any message it still had would
    # have come back long before; a duplicate is harmless, the claim is conditional).
    task_redrive_after_seconds: int = Field(600, alias="TASK_REDRIVE_AFTER_SECONDS", ge=1)
    # How often the local stack's sweeper loop runs (the template schedules the function every minute).
    sweeper_interval_seconds: float = Field(60.0, alias="SWEEPER_INTERVAL_SECONDS", gt=0)

    # Webhooks (core/logic/webhooks.py). Delays before each retry: Standard Webhooks' schedule, 8 attempts.
    webhook_retry_delays_seconds: str = Field(
        "5,300,1800,7200,18000,36000,36000", alias="WEBHOOK_RETRY_DELAYS_SECONDS", pattern=r"^\d+(,\d+)*$"
    )
    webhook_timeout_seconds: float = Field(10.0, alias="WEBHOOK_TIMEOUT_SECONDS", gt=0, le=30)
    # http://, any port and loopback receivers; only the local stack sets it (stages: https on 443, public).
    webhook_allow_loopback: bool = Field(False, alias="WEBHOOK_ALLOW_LOOPBACK")
    # Provenance: the Secrets Manager secret (template C2paSigningSecret) holding the stage's Content
    # Credentials key and certificate chain; the worker signs every result with it.
    c2pa_signing_secret: str = Field("faceswap-local-c2pa-signing-secret", alias="C2PA_SIGNING_SECRET")

    # Keys
    # How long a warm function may keep using a key record it looked up: the bound on how late a
    # revocation or a disabling made elsewhere (the CLI, another function) takes effect. At most 1 s.
    key_cache_ttl_seconds: float = Field(1.0, alias="KEY_CACHE_TTL_SECONDS", ge=0, le=1)

    # Dashboard accounts (template UserPool / UserPoolClient). The JWKS URL is empty on a stage (Cognito's
    # own, from the issuer); the local stack points it at moto, which serves the pool's keys itself.
    cognito_user_pool_id: str = Field("", alias="COGNITO_USER_POOL_ID")
    cognito_client_id: str = Field("", alias="COGNITO_CLIENT_ID")
    cognito_jwks_url: str = Field("", alias="COGNITO_JWKS_URL")

    @property
    def webhook_retry_delays(self) -> list[int]:
        return [int(d) for d in self.webhook_retry_delays_seconds.split(",")]

    @model_validator(mode="after")
    def _lease_inside_visibility(self) -> Settings:
        if self.worker_lease_seconds >= self.worker_visibility_timeout_seconds:
            raise ValueError(
                "WORKER_LEASE_SECONDS must be shorter than WORKER_VISIBILITY_TIMEOUT_SECONDS, so a dead "
                "worker's message reappears only once its task can be re-taken"
            )
        if self.task_redrive_after_seconds < self.worker_visibility_timeout_seconds:
            raise ValueError("TASK_REDRIVE_AFTER_SECONDS must be at least WORKER_VISIBILITY_TIMEOUT_SECONDS")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
