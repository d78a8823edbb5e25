"""S3 adapter for direct uploads: the presigned POST a client uploads with, and reading the file back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from core.adapters.clients import client

# Without s3:ListBucket (the API is not granted it) S3 answers a read of a missing key with 403, not 404.
_ABSENT = {"NoSuchKey", "404", "NotFound", "AccessDenied", "403"}


@dataclass(frozen=True)
class StoredUpload:
    data: bytes
    content_type: str
    uploaded_at: datetime


class UploadStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """{"url": ..., "fields": {...}}: a browser-style form POST that S3 accepts only with this content
        type and a body of 1..max_bytes bytes, until `expires_in` seconds from now."""
        return client("s3").generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )

    def read(self, key: str, max_bytes: int) -> StoredUpload | int | None:
        """The upload, None when there is none, or its size when it is over `max_bytes` (not read)."""
        try:
            answer = client("s3").get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _ABSENT:
                return None
            raise
        body = answer["Body"]
        size = int(answer.get("ContentLength") or 0)
        if size > max_bytes:
            body.close()
            return size
        return StoredUpload(body.read(), answer.get("ContentType", ""), answer["LastModified"])
