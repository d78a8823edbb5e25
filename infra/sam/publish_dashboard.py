"""`python -m infra.sam.publish_dashboard --config-env dev` (`make deploy` runs it after `sam deploy`):
upload dashboard/ into the stage's DashboardBucket (the stack's DashboardBucketName output), each file
with its content type, and delete what is no longer in the folder. CloudFront serves the bucket at the
DashboardUrl output; files are sent with `Cache-Control: no-cache`, so a deploy shows at once."""

from __future__ import annotations

import argparse
import mimetypes
import sys
import tomllib
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = REPO / "dashboard"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def content_type(path: Path) -> str:
    return _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def publish(s3: Any, bucket: str, root: Path = DASHBOARD_DIR) -> list[str]:
    """Make the bucket hold exactly the folder's files; return the keys written."""
    files = {path.relative_to(root).as_posix(): path for path in sorted(root.rglob("*")) if path.is_file()}
    for key, path in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(path),
            CacheControl="no-cache",
            ServerSideEncryption="AES256",
        )
    stale = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        stale += [item["Key"] for item in page.get("Contents", []) if item["Key"] not in files]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]]}
        )
    return list(files)


def stack_of(config_env: str, samconfig: Path = REPO / "samconfig.toml") -> tuple[str, str]:
    config = tomllib.loads(samconfig.read_text())[config_env]
    parameters = {**config.get("global", {}).get("parameters", {}), **config["deploy"]["parameters"]}
    return parameters["stack_name"], parameters["region"]


def bucket_of(cloudformation: Any, stack_name: str) -> str:
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    bucket: str = outputs["DashboardBucketName"]
    return bucket


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config-env", default="dev", help="samconfig.toml environment (dev, prod)")
    args = parser.parse_args(argv)
    stack_name, region = stack_of(args.config_env)
    session = boto3.session.Session(region_name=region)
    bucket = bucket_of(session.client("cloudformation"), stack_name)
    written = publish(session.client("s3"), bucket)
    print(f"dashboard: {len(written)} files in s3://{bucket}/ (see the stack's DashboardUrl output)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
