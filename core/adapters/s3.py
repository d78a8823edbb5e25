"""S3 adapter: task inputs, results, and time-limited links to results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.adapters.clients import client


class MediaStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, key: str, data: bytes, content_type: str) -> None:
        client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, ServerSideEncryption="AES256"
        )

    def put_once(self, key: str, data: bytes, content_type: str) -> bool:
        """Write `key` only if it does not exist (S3's conditional write). False when it already did:
        a second attempt at a task never writes its result a second time."""
        from botocore.exceptions import ClientError

        try:
            client("s3").put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                ServerSideEncryption="AES256",
                IfNoneMatch="*",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"PreconditionFailed", "412"}:
                return False
            raise
        return True

    def get(self, key: str) -> bytes:
        return client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def presigned_get(self, key: str, ttl_seconds: int) -> tuple[str, datetime]:
        url = client("s3").generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=ttl_seconds
        )
        return url, datetime.now(UTC) + timedelta(seconds=ttl_seconds)
