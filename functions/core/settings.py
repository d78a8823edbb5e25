"""The one settings object. Every resource name comes from an environment variable that
template.yaml sets (and the local stack sets the same way), so no name is written twice."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine_layer.faces import DEFAULT_FACE_RESOLUTION

EngineTier = Literal["auto", "offline", "production"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    stage: str = Field("local", alias="STAGE")
    media_bucket: str = Field("faceswap-local-media-bucket", alias="MEDIA_BUCKET")
    tasks_table: str = Field("faceswap-local-tasks-table", alias="TASKS_TABLE")
    api_keys_table: str = Field("faceswap-local-api-keys-table", alias="API_KEYS_TABLE")
    rate_limits_table: str = Field("faceswap-local-rate-limits-table", alias="RATE_LIMITS_TABLE")
    task_queue_url: str = Field("", alias="TASK_QUEUE_URL")
    task_dlq_url: str = Field("", alias="TASK_DLQ_URL")

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

    # Fetching images named by URL (JSON bodies)
    url_fetch_timeout_seconds: float = Field(10.0, alias="URL_FETCH_TIMEOUT_SECONDS", gt=0)

    # Worker
    worker_poll_wait_seconds: int = Field(20, alias="WORKER_POLL_WAIT_SECONDS", ge=0, le=20)
    worker_visibility_timeout_seconds: int = Field(120, alias="WORKER_VISIBILITY_TIMEOUT_SECONDS", ge=10)
    # A task `processing` longer than this without a heartbeat is considered abandoned and re-taken.
    worker_lease_seconds: int = Field(180, alias="WORKER_LEASE_SECONDS", ge=10)
    # On SIGTERM, how long the task in hand may still run before it is given back (keep it under the
    # orchestrator's stop timeout minus one poll wait).
    worker_shutdown_grace_seconds: float = Field(20.0, alias="WORKER_SHUTDOWN_GRACE_SECONDS", ge=0)
    # How long a task that failed unexpectedly waits before its next attempt.
    worker_retry_delay_seconds: int = Field(10, alias="WORKER_RETRY_DELAY_SECONDS", ge=0, le=900)
    # An engine call running longer is a wedged device: give the task back and exit to be replaced.
    worker_engine_timeout_seconds: float = Field(600.0, alias="WORKER_ENGINE_TIMEOUT_SECONDS", gt=0)

    # Keys
    key_cache_ttl_seconds: float = Field(5.0, alias="KEY_CACHE_TTL_SECONDS", ge=0, le=60)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
