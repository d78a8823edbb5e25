"""`make deploy`'s last step against the template's DashboardBucket in moto: the bucket ends up holding
exactly dashboard/, each file with its content type."""

from __future__ import annotations

from core.adapters.clients import client
from infra.local.resources import physical_name
from infra.sam.publish_dashboard import DASHBOARD_DIR, publish, stack_of


def test_the_bucket_holds_exactly_the_folder_with_content_types(aws_env: dict[str, str]) -> None:
    s3 = client("s3")
    bucket = physical_name("test", "DashboardBucket")
    s3.put_object(Bucket=bucket, Key="js/removed-long-ago.js", Body=b"old")

    written = publish(s3, bucket)

    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert (
        listed
        == set(written)
        == {p.relative_to(DASHBOARD_DIR).as_posix() for p in DASHBOARD_DIR.rglob("*") if p.is_file()}
    )
    assert {"index.html", "style.css", "js/main.js"} <= listed
    assert s3.head_object(Bucket=bucket, Key="js/main.js")["ContentType"] == "text/javascript; charset=utf-8"
    assert s3.head_object(Bucket=bucket, Key="index.html")["ContentType"] == "text/html; charset=utf-8"
    assert (
        s3.get_object(Bucket=bucket, Key="index.html")["Body"].read()
        == (DASHBOARD_DIR / "index.html").read_bytes()
    )


def test_the_stack_comes_from_samconfig() -> None:
    assert stack_of("dev") == ("faceswap-dev", "us-east-1")
    assert stack_of("prod") == ("faceswap-prod", "us-east-1")
