"""Bodies of the API's answers and JSON requests that have no model elsewhere.

Each is what the code builds its answer from and what the OpenAPI document (functions/api/openapi.py)
derives its schema from, so the two cannot drift. Models marked "schema only" describe parts another
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.models.errors import ErrorBody
from core.models.task import TaskStatus

# Formats a direct upload may declare (the same the API accepts as images).
UploadContentType = Literal["image/jpeg", "image/png", "image/webp"]


class SubmissionAccepted(BaseModel):
    """201 answer to a submission."""

    success: Literal[True] = True
    task_id: str
    status: TaskStatus
    status_url: str


class HealthBody(BaseModel):
    success: Literal[True] = True
    status: Literal["ok"] = "ok"


class ErrorEnvelope(BaseModel):
    """Every error answer."""

    success: Literal[False] = False
    error: ErrorBody


class UploadRequest(BaseModel):
    """POST /api/uploads body."""

    model_config = ConfigDict(extra="ignore", strict=True)

    content_type: UploadContentType
    content_length: int = Field(ge=1, description="Size in bytes of the file to upload (at most max_bytes).")


class UploadCreated(BaseModel):
    """201 answer to POST /api/uploads: POST `fields` plus a `file` part to `url` (multipart/form-data)."""

    success: Literal[True] = True
    upload_id: str = Field(pattern=r"^upl_[0-9a-f]{32}$")
    url: str
    fields: dict[str, str]
    expires_at: datetime
    max_bytes: int


class WebhookSecretCreated(BaseModel):
    """201 answer to POST /api/webhooks/secret: the key's new signing secret, shown once."""

    success: Literal[True] = True
    webhook_secret: str = Field(pattern=r"^whsec_[A-Za-z0-9+/=]+$")


class WatermarkReport(BaseModel):
    found: bool
    confidence: float = Field(ge=0, le=1, description="1 minus the chance an unmarked image reads as marked.")
    registered: bool = Field(description="The mark was issued by this service for a task not yet expired.")
    task_id: str | None = Field(description="The task behind the mark: only for the key that owns it.")


class VerifyReport(BaseModel):
    """200 answer to POST /api/verify: what marks an image carries (README "Provenance")."""

    success: Literal[True] = True
    metadata: dict[str, Any] | None = Field(
        description="Our XMP fields (digital source type, operation, engine)."
    )
    c2pa: dict[str, Any] = Field(
        description="Content Credentials: present, valid, validation_state, actions."
    )
    watermark: WatermarkReport
