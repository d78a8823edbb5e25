"""Direct uploads (POST /api/uploads): ids, where an upload lives, and how long it may be used.

An upload is stored under its key's own prefix, so an id presented by another key names nothing.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

# The contract's numbers (clients rely on them; not settings).
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
UPLOAD_URL_SECONDS = 15 * 60  # the presigned POST's life
# How long after it was uploaded a file may be named in a submission (the bucket's DeleteUploads rule
# removes it after a day).
UPLOAD_USABLE_FOR = timedelta(hours=24)

_UPLOAD_ID = re.compile(r"^upl_[0-9a-f]{32}$")


def new_upload_id() -> str:
    return "upl_" + secrets.token_hex(16)


def is_upload_id(value: str) -> bool:
    return bool(_UPLOAD_ID.match(value))


def upload_key(key_id: str, upload_id: str) -> str:
    return f"uploads/{key_id}/{upload_id}"


def is_expired(uploaded_at: datetime, now: datetime) -> bool:
    return now - uploaded_at > UPLOAD_USABLE_FOR
