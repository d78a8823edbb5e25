"""Bodies of the developer dashboard's requests and answers (/api/dashboard/...).

functions/dashboard builds every answer from these and parses every JSON body with them; the OpenAPI
document (functions/api/openapi.py) derives its dashboard schemas from them, so the two cannot drift.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from core.models.api_key import KeyStatus
from core.models.errors import ErrorCode
from core.models.plan import Plan
from core.models.task import TaskStatus
from engine_layer.operations import Operation

# The dashboard has always sent Python's isoformat ("+00:00", not pydantic's "Z"): the page parses both,
# but the answers stay byte-for-byte what they were.
IsoDateTime = Annotated[
    datetime,
    PlainSerializer(lambda moment: moment.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


# ---- requests -----------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Credentials(_Body):
    """POST /api/dashboard/auth/signup and /signin body."""

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class Confirmation(_Body):
    """POST /api/dashboard/auth/confirm body: the code Cognito e-mailed."""

    email: str = Field(min_length=3, max_length=254)
    code: str = Field(min_length=1, max_length=64)


class NewKey(_Body):
    """POST /api/dashboard/keys body."""

    name: str = Field(max_length=256)


# ---- answers ------------------------------------------------------------------------------------------


class SignedUp(BaseModel):
    success: Literal[True] = True
    confirmed: bool = Field(description="True when the account needs no e-mailed code.")


class Confirmed(BaseModel):
    success: Literal[True] = True


class SignedIn(BaseModel):
    """Cognito's tokens: send one as `Authorization: Bearer <token>` to the signed-in routes."""

    success: Literal[True] = True
    id_token: str
    access_token: str
    expires_in: int = Field(description="Seconds the tokens stay valid.")


class AccountView(BaseModel):
    success: Literal[True] = True
    account_id: str
    email: str | None


class KeyView(BaseModel):
    """One API key of the account (never the key itself: only its first characters)."""

    key_id: str
    name: str
    prefix: str | None
    plan: Plan
    status: KeyStatus
    created_at: IsoDateTime
    last_used_at: IsoDateTime | None
    revoked_at: IsoDateTime | None


class WindowView(BaseModel):
    used: int
    limit: int
    remaining: int
    reset_at: int = Field(description="When the window resets (epoch seconds).")


class DayView(BaseModel):
    date: str = Field(description="The UTC day, YYYY-MM-DD.")
    accepted: int
    refused: int


class KeyUsageView(KeyView):
    """A key with its plan windows (null for a revoked key) and its daily counts, oldest first."""

    hour: WindowView | None
    day: WindowView | None
    days: list[DayView]


class KeyList(BaseModel):
    success: Literal[True] = True
    keys: list[KeyUsageView]


class KeyCreated(BaseModel):
    """The new key, shown this once."""

    success: Literal[True] = True
    api_key: str
    key: KeyView
    # Left out of the answer until the key has one.
    webhook_secret: str | None = Field(default=None, exclude_if=lambda secret: secret is None)


class KeyChanged(BaseModel):
    success: Literal[True] = True
    key: KeyView


class UsageView(BaseModel):
    """The keys that can still be used, and the account's daily counts over all its keys."""

    success: Literal[True] = True
    keys: list[KeyUsageView]
    days: list[DayView]


class TaskRow(BaseModel):
    task_id: str
    key_id: str
    key_name: str
    operation: Operation
    status: TaskStatus
    created_at: IsoDateTime
    updated_at: IsoDateTime
    error_code: ErrorCode | None
    image_url: str | None = Field(description="A time-limited link to a completed task's result.")
    warnings: list[str]


class TaskList(BaseModel):
    success: Literal[True] = True
    tasks: list[TaskRow]


class FaceBox(BaseModel):
    index: int = Field(description="The index `swap_index` calls this face (0-based).")
    box: list[float] = Field(min_length=4, max_length=4, description="x1, y1, x2, y2 in pixels.")
    score: float


class FacesFound(BaseModel):
    success: Literal[True] = True
    width: int
    height: int
    faces: list[FaceBox]
