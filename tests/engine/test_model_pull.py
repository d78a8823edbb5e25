"""`pull()` against a real HTTP server and a moto S3 server, both on 127.0.0.1: checksums from the manifest or
SHA256SUMS, sizes, optional files, and all-or-nothing installation into the model directory."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cli.model_pull import CHECKSUM_FILE, ModelPullError, pull
from core.adapters import clients
from core.adapters.clients import client
from engine_layer import manifest
from infra.local.moto_server import LOCAL_CREDENTIALS, start_moto


@dataclass(frozen=True)
class Entry:
    file: str
    sha256: str | None = None
    size: int | None = None
    required: bool = True


PAYLOADS = {
    manifest.INSWAPPER.file: b"swapper weights " * 4096,
    manifest.ARCFACE.file: b"arcface weights " * 2048,
    manifest.GFPGAN.file: b"restorer weights " * 3000,
}
ENTRIES = [Entry(name) for name in PAYLOADS]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checksums(payloads: dict[str, bytes]) -> bytes:
    return "".join(f"{sha(data)}  {name}\n" for name, data in payloads.items()).encode()


def publish(root: Path, payloads: dict[str, bytes], sums: bytes | None) -> None:
    for name, data in payloads.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    if sums is not None:
        (root / CHECKSUM_FILE).write_bytes(sums)


class _Handler(SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def do_GET(self) -> None:
        self.requests.append(self.path)
        if self.path.endswith(".cut"):  # announce more than is sent: a connection dropped mid-file
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            return
        if self.path.endswith(
            (".chunked", ".brokenchunk")
        ):  # no Content-Length: the size is learnt at the end
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            if self.path.endswith(".chunked"):
                self.wfile.write(b"b\r\nhello world\r\n0\r\n\r\n")
            else:
                self.wfile.write(b"5\r\nhel")
            return
        if self.path.endswith(".forbidden"):
            self.send_error(403)
            return
        super().do_GET()


@dataclass
class Server:
    root: Path
    url: str
    requests: list[str]


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "published"
    root.mkdir()
    requests: list[str] = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Server(root, f"http://127.0.0.1:{httpd.server_address[1]}/models", requests)
    finally:
        httpd.shutdown()
        httpd.server_close()


def _published(server: Server) -> Path:
    root = server.root / "models"
    root.mkdir(exist_ok=True)
    return root


def _leftovers(model_dir: Path) -> list[Path]:
    return [path for path in model_dir.rglob("*") if path.name.startswith(".pull-")]


def test_http_is_refused_unless_a_test_allows_it(tmp_path: Path) -> None:
    with pytest.raises(ModelPullError, match="https:// or s3://"):
        pull("http://127.0.0.1:1/models", tmp_path / "models", files=ENTRIES)
    with pytest.raises(ModelPullError, match="https:// or s3://"):
        pull("ftp://example.invalid/models", tmp_path / "models", files=ENTRIES)
    with pytest.raises(ModelPullError, match="no bucket"):
        pull("s3:///models", tmp_path / "models", files=ENTRIES)
    with pytest.raises(ModelPullError, match="no host"):
        pull("https:///models", tmp_path / "models", files=ENTRIES)


def test_pull_over_http_with_published_checksums(server: Server, tmp_path: Path) -> None:
    publish(_published(server), PAYLOADS, checksums(PAYLOADS))
    model_dir = tmp_path / "models"
    paths = pull(server.url, model_dir, files=ENTRIES, allow_http=True)
    assert sorted(paths) == sorted(model_dir / name for name in PAYLOADS)
    for name, data in PAYLOADS.items():
        assert (model_dir / name).read_bytes() == data
    assert _leftovers(model_dir) == []


def test_verified_checksums_are_recorded_for_the_manifest(server: Server, tmp_path: Path) -> None:
    gfpgan = manifest.GFPGAN  # the manifest cannot pin it: the record vouches for it
    assert gfpgan.sha256 is None
    payload = {gfpgan.file: PAYLOADS[manifest.GFPGAN.file]}
    publish(_published(server), payload, checksums(payload))
    model_dir = tmp_path / "models"
    pull(server.url, model_dir, files=[gfpgan], allow_http=True)
    assert manifest.read_record(model_dir) == {gfpgan.file: sha(PAYLOADS[manifest.GFPGAN.file])}
    assert manifest.file_status(model_dir, gfpgan).checksum_ok is True


def test_by_default_the_manifest_production_files_are_pulled(server: Server, tmp_path: Path) -> None:
    fakes = {entry.file: b"not the real weights" for entry in manifest.production_files()}
    publish(_published(server), fakes, sums=None)
    with pytest.raises(ModelPullError, match=f"No checksum for {re.escape(manifest.GFPGAN.file)}"):
        pull(server.url, tmp_path / "models", allow_http=True)
    publish(_published(server), fakes, checksums({manifest.GFPGAN.file: fakes[manifest.GFPGAN.file]}))
    too_small = (
        f"{re.escape(manifest.INSWAPPER.file)} is 20 bytes; the manifest expects {manifest.INSWAPPER.size}"
    )
    with pytest.raises(ModelPullError, match=too_small):
        pull(server.url, tmp_path / "models", allow_http=True)
    assert not list((tmp_path / "models").rglob("*.onnx"))


def test_pinned_checksums_and_sizes_need_no_published_list(server: Server, tmp_path: Path) -> None:
    publish(_published(server), PAYLOADS, sums=None)
    pinned = [Entry(name, sha256=sha(data).upper(), size=len(data)) for name, data in PAYLOADS.items()]
    paths = pull(server.url, tmp_path / "models", files=pinned, allow_http=True)
    assert len(paths) == 3


def test_a_file_without_any_checksum_is_refused_before_downloading(server: Server, tmp_path: Path) -> None:
    publish(_published(server), PAYLOADS, sums=None)
    with pytest.raises(ModelPullError, match=f"No checksum for {re.escape(manifest.INSWAPPER.file)}"):
        pull(server.url, tmp_path / "models", files=ENTRIES, allow_http=True)
    assert not any(path.endswith(".onnx") for path in server.requests)


def test_a_corrupt_file_leaves_the_model_directory_untouched(server: Server, tmp_path: Path) -> None:
    root = _published(server)
    publish(root, PAYLOADS, checksums(PAYLOADS))
    manifest.GFPGAN.path(root).write_bytes(b"tampered" + PAYLOADS[manifest.GFPGAN.file][8:])
    model_dir = tmp_path / "models"
    with pytest.raises(ModelPullError, match=rf"{re.escape(manifest.GFPGAN.file)} has sha256 .* refusing it"):
        pull(server.url, model_dir, files=ENTRIES, allow_http=True)
    # The two files that did verify were not installed either: all or nothing.
    assert [path for path in model_dir.rglob("*") if path.is_file()] == []
    assert _leftovers(model_dir) == []


def test_manifest_pin_and_published_list_must_agree(server: Server, tmp_path: Path) -> None:
    publish(_published(server), PAYLOADS, checksums(PAYLOADS))
    entries = [Entry(manifest.INSWAPPER.file, sha256="0" * 64)]
    with pytest.raises(ModelPullError, match="manifest pins"):
        pull(server.url, tmp_path / "models", files=entries, allow_http=True)


def test_wrong_size_is_refused(server: Server, tmp_path: Path) -> None:
    publish(_published(server), PAYLOADS, checksums(PAYLOADS))
    entries = [Entry(manifest.INSWAPPER.file, size=123)]
    with pytest.raises(ModelPullError, match="manifest expects 123"):
        pull(server.url, tmp_path / "models", files=entries, allow_http=True)


def test_a_transfer_cut_short_is_refused(server: Server, tmp_path: Path) -> None:
    root = _published(server)
    (root / CHECKSUM_FILE).write_text(f"{'a' * 64}  weights.cut\n")
    with pytest.raises(ModelPullError, match=r"cut short|failed after"):
        pull(server.url, tmp_path / "models", files=[Entry("weights.cut")], allow_http=True)
    assert _leftovers(tmp_path / "models") == []


def test_sizes_are_checked_when_the_server_announces_none(server: Server, tmp_path: Path) -> None:
    root = _published(server)
    (root / CHECKSUM_FILE).write_text(
        f"{sha(b'hello world')}  weights.chunked\n{sha(b'x')}  weights.brokenchunk\n"
    )
    assert pull(server.url, tmp_path / "ok", files=[Entry("weights.chunked", size=11)], allow_http=True)
    with pytest.raises(ModelPullError, match="manifest expects 12"):
        pull(server.url, tmp_path / "models", files=[Entry("weights.chunked", size=12)], allow_http=True)
    with pytest.raises(ModelPullError, match="failed after"):
        pull(server.url, tmp_path / "models", files=[Entry("weights.brokenchunk")], allow_http=True)
    assert _leftovers(tmp_path / "models") == []


def test_optional_files_may_be_absent_required_ones_may_not(server: Server, tmp_path: Path) -> None:
    payloads = {manifest.INSWAPPER.file: PAYLOADS[manifest.INSWAPPER.file]}
    sums = checksums({**payloads, manifest.SCRFD_10G.file: b"never published"})
    publish(_published(server), payloads, sums)
    entries = [Entry(manifest.INSWAPPER.file), Entry(manifest.SCRFD_10G.file, required=False)]
    assert pull(server.url, tmp_path / "a", files=entries, allow_http=True) == [
        tmp_path / "a" / manifest.INSWAPPER.file
    ]
    with pytest.raises(ModelPullError, match=f"{re.escape(manifest.SCRFD_10G.file)} does not exist"):
        pull(server.url, tmp_path / "b", files=[Entry(manifest.SCRFD_10G.file)], allow_http=True)


def test_intact_files_are_not_downloaded_again(server: Server, tmp_path: Path) -> None:
    publish(_published(server), PAYLOADS, checksums(PAYLOADS))
    model_dir = tmp_path / "models"
    pull(server.url, model_dir, files=ENTRIES, allow_http=True)
    manifest.GFPGAN.path(model_dir).write_bytes(b"damaged on disk")
    server.requests.clear()
    pull(server.url, model_dir, files=ENTRIES, allow_http=True)
    assert sorted(path for path in server.requests if path.endswith(".onnx")) == [
        f"/models/{manifest.GFPGAN.file}"
    ]
    assert manifest.GFPGAN.path(model_dir).read_bytes() == PAYLOADS[manifest.GFPGAN.file]


def test_server_errors_and_bad_checksum_lists_are_reported(server: Server, tmp_path: Path) -> None:
    root = _published(server)
    (root / CHECKSUM_FILE).write_text(f"{sha(b'x')}  weights.forbidden\n")
    with pytest.raises(ModelPullError, match="HTTP 403"):
        pull(server.url, tmp_path / "models", files=[Entry("weights.forbidden")], allow_http=True)
    (root / CHECKSUM_FILE).write_text(f"# published models\nnot-a-digest  {manifest.INSWAPPER.file}\n")
    with pytest.raises(ModelPullError, match="line 2"):
        pull(server.url, tmp_path / "models", files=ENTRIES, allow_http=True)
    with pytest.raises(ModelPullError, match="could not be reached"):
        pull("http://127.0.0.1:9/models", tmp_path / "models", files=ENTRIES, allow_http=True)


# --- s3: a moto server of its own on 127.0.0.1 (a bucket is all a pull needs) -------------------------------


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server, endpoint = start_moto()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}.items():
            patch.setenv(name, value)
        clients.reset()
        try:
            yield endpoint
        finally:
            server.stop()
    clients.reset()


@pytest.fixture()
def model_bucket(moto_endpoint: str) -> Iterator[str]:
    bucket = "faceswap-model-pull-test"
    s3 = client("s3")
    s3.create_bucket(Bucket=bucket)
    yield bucket
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


def _upload(bucket: str, prefix: str, payloads: dict[str, bytes], sums: bytes) -> None:
    s3 = client("s3")
    for name, data in payloads.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=data)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/{CHECKSUM_FILE}", Body=sums)


def test_pull_from_s3(model_bucket: str, tmp_path: Path) -> None:
    _upload(model_bucket, "release-1", PAYLOADS, checksums(PAYLOADS))
    model_dir = tmp_path / "models"
    paths = pull(f"s3://{model_bucket}/release-1/", model_dir, files=ENTRIES)
    assert len(paths) == 3
    assert manifest.ARCFACE.path(model_dir).read_bytes() == PAYLOADS[manifest.ARCFACE.file]


def test_s3_refusals(model_bucket: str, tmp_path: Path) -> None:
    tampered = {**PAYLOADS, manifest.INSWAPPER.file: b"not the weights"}
    _upload(model_bucket, "bad", tampered, checksums(PAYLOADS))
    with pytest.raises(ModelPullError, match=rf"s3://.*/bad/{re.escape(manifest.INSWAPPER.file)} has sha256"):
        pull(f"s3://{model_bucket}/bad", tmp_path / "models", files=ENTRIES)
    with pytest.raises(ModelPullError, match="does not exist"):
        pull(f"s3://{model_bucket}/empty", tmp_path / "models", files=[Entry("x.onnx", sha256=sha(b"x"))])
    with pytest.raises(ModelPullError, match="NoSuchBucket"):
        pull("s3://no-such-bucket-here/models", tmp_path / "models", files=ENTRIES)
    assert not (tmp_path / "models").exists() or list((tmp_path / "models").rglob("*.onnx")) == []


def test_an_unreachable_s3_endpoint_is_reported(
    moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    clients.reset()
    try:
        with pytest.raises(ModelPullError, match="could not be reached"):
            pull("s3://any-bucket/models", tmp_path / "models", files=ENTRIES)
    finally:
        monkeypatch.undo()
        clients.reset()


@pytest.fixture()
def s3_without_list_permission(moto_endpoint: str) -> Iterator[None]:
    """S3 as the worker role sees it: with s3:GetObject but no s3:ListBucket, S3 answers a missing key
    with 403 AccessDenied instead of 404 NoSuchKey (moto grants everything, so the answer is rewritten
    on its way into botocore, exactly where a real 403 would arrive)."""

    def as_access_denied(parsed: dict[str, Any], **_: Any) -> None:
        if parsed.get("Error", {}).get("Code") == "NoSuchKey":
            parsed["Error"] = {"Code": "AccessDenied", "Message": "Access Denied"}
            parsed["ResponseMetadata"]["HTTPStatusCode"] = 403

    events = client("s3").meta.events
    events.register("after-call.s3.GetObject", as_access_denied, unique_id="deny-missing-keys")
    try:
        yield
    finally:
        events.unregister("after-call.s3.GetObject", unique_id="deny-missing-keys")


def test_optional_files_are_optional_when_s3_answers_403(
    model_bucket: str, s3_without_list_permission: None, tmp_path: Path
) -> None:
    # Only the required files published: the optional detector (det_10g) is left out, as in production.
    payloads = {manifest.INSWAPPER.file: PAYLOADS[manifest.INSWAPPER.file]}
    _upload(model_bucket, "release-2", payloads, checksums({**payloads, manifest.SCRFD_10G.file: b"x"}))
    entries = [Entry(manifest.INSWAPPER.file), Entry(manifest.SCRFD_10G.file, required=False)]
    model_dir = tmp_path / "models"
    assert pull(f"s3://{model_bucket}/release-2", model_dir, files=entries) == [
        manifest.INSWAPPER.path(model_dir)
    ]
    with pytest.raises(
        ModelPullError,
        match=rf"{re.escape(manifest.SCRFD_10G.file)} does not exist \(or this role may not read it\)",
    ):
        pull(f"s3://{model_bucket}/release-2", tmp_path / "b", files=[Entry(manifest.SCRFD_10G.file)])


def test_the_production_manifest_pulls_with_only_required_files_behind_a_403(
    model_bucket: str, s3_without_list_permission: None, tmp_path: Path
) -> None:
    entries = list(manifest.production_files())
    required = [entry for entry in entries if entry.required]
    assert len(required) < len(entries), "the manifest has optional production files"
    payloads = {entry.file: f"weights of {entry.file}".encode() for entry in required}
    listed = {**payloads, **{e.file: b"not published" for e in entries if not e.required}}
    _upload(model_bucket, "prod", payloads, checksums(listed))
    files = [Entry(e.file, required=e.required) for e in entries]  # sizes/pins of the real files aside
    assert len(pull(f"s3://{model_bucket}/prod", tmp_path / "models", files=files)) == len(required)
