"""Pull the production model files from an operator's https:// or s3:// location into the model directory.

Every file is checked before it is used: its sha256 must match the manifest's pinned value, or, for
files the manifest cannot pin (GFPGAN's ONNX export has no official checksum), the `SHA256SUMS` file
published next to the models (`sha256sum` format: "<hex>  <relative path>"). A file with no checksum
from either is refused before it is downloaded. Sizes are checked against the manifest and the
transfer's own length. The pull is all or nothing: files are staged inside the model directory and
moved into place only once every one of them has passed.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError

from engine_layer import manifest

CHECKSUM_FILE = "SHA256SUMS"  # at the source; the model directory keeps its own (manifest.CHECKSUM_RECORD)
_CHUNK = 1 << 20
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ModelPullError(Exception):
    """The pull was refused or failed; nothing in the model directory was changed."""


class PullEntry(Protocol):
    """What the pull needs from a manifest entry (engine_layer.manifest)."""

    @property
    def file(self) -> str: ...  # path relative to the model directory, "/"-separated

    @property
    def sha256(self) -> str | None: ...

    @property
    def size(self) -> int | None: ...

    @property
    def required(self) -> bool: ...


class _Readable(Protocol):
    """A response body: an HTTP response or botocore's StreamingBody."""

    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class _Download:
    stream: _Readable
    length: int | None  # what the transport announced, when it did


class _Source(Protocol):
    def describe(self, name: str) -> str: ...

    def open(self, name: str) -> AbstractContextManager[_Download | None]: ...  # None: not at the source


def pull(
    source: str,
    model_dir: Path,
    *,
    files: Sequence[PullEntry] | None = None,
    allow_http: bool = False,
) -> list[Path]:
    """Fetch `files` (default: the manifest's production tier) from `source`; return their paths.

    `allow_http` exists for tests against a loopback server; operators pull over https or s3 only.
    """
    wanted = list(files) if files is not None else _production_entries()
    origin = _source_for(source, allow_http)
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    published = _published_checksums(origin)
    expected = {entry.file: _expected_sha256(entry, published, origin) for entry in wanted}

    staging = Path(tempfile.mkdtemp(prefix=".pull-", dir=model_dir))
    try:
        ready: list[tuple[Path, Path]] = []  # (staged, final)
        installed: dict[str, Path] = {}
        for entry in wanted:
            final = model_dir / entry.file
            if final.is_file() and _size_ok(entry, final) and _sha256_of(final) == expected[entry.file]:
                installed[entry.file] = final  # already here and intact: no need to move 500 MB again
                continue
            staged = staging / entry.file
            if _fetch(origin, entry, expected[entry.file], staged):
                ready.append((staged, final))
                installed[entry.file] = final
        for staged, final in ready:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)  # same filesystem: atomic per file, and all checks already passed
        # Record what was verified in the model directory, so `models list` and the engine can check the
        # files the manifest cannot pin (GFPGAN) without going back to the source.
        manifest.write_record(model_dir, {name: expected[name] for name in installed})
        return list(installed.values())
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _production_entries() -> list[PullEntry]:
    return list(manifest.production_files())


def _expected_sha256(entry: PullEntry, published: dict[str, str], origin: _Source) -> str:
    pinned = entry.sha256.lower() if entry.sha256 else None
    listed = published.get(entry.file)
    if pinned and listed and pinned != listed:
        raise ModelPullError(
            f"{origin.describe(CHECKSUM_FILE)} lists {listed} for {entry.file}, but the manifest pins "
            f"{pinned}: the source holds a different file than the one this release was checked with."
        )
    digest = pinned or listed
    if digest is None:
        raise ModelPullError(
            f"No checksum for {entry.file}: the manifest does not pin one, so "
            f"{origin.describe(CHECKSUM_FILE)} must list it (in `sha256sum` format)."
        )
    return digest


def _published_checksums(origin: _Source) -> dict[str, str]:
    with origin.open(CHECKSUM_FILE) as download:
        if download is None:
            return {}
        text = download.stream.read(_CHUNK).decode("utf-8", errors="replace")
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*").removeprefix("./")
        if not _HEX64.match(digest.lower()) or not name:
            raise ModelPullError(f"{origin.describe(CHECKSUM_FILE)} line {number} is not '<sha256>  <file>'.")
        sums[name] = digest.lower()
    return sums


def _fetch(origin: _Source, entry: PullEntry, digest: str, staged: Path) -> bool:
    """Download one file into `staged` and verify it; False when an optional file is absent."""
    where = origin.describe(entry.file)
    staged.parent.mkdir(parents=True, exist_ok=True)
    hasher, received = hashlib.sha256(), 0
    with origin.open(entry.file) as download:
        if download is None:
            if entry.required:
                raise ModelPullError(f"{where} does not exist (or this role may not read it).")
            return False
        if entry.size is not None and download.length is not None and download.length != entry.size:
            raise ModelPullError(f"{where} is {download.length} bytes; the manifest expects {entry.size}.")
        try:
            with staged.open("wb") as out:
                while chunk := download.stream.read(_CHUNK):
                    hasher.update(chunk)
                    received += len(chunk)
                    out.write(chunk)
        except (OSError, http.client.HTTPException, BotoCoreError) as exc:
            raise ModelPullError(f"Downloading {where} failed after {received} bytes: {exc}") from exc
    if download.length is not None and received != download.length:
        raise ModelPullError(f"{where} was cut short: {received} of {download.length} bytes arrived.")
    if entry.size is not None and received != entry.size:
        raise ModelPullError(f"{where} is {received} bytes; the manifest expects {entry.size}.")
    if hasher.hexdigest() != digest:
        raise ModelPullError(f"{where} has sha256 {hasher.hexdigest()}, expected {digest}; refusing it.")
    return True


def _sha256_of(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _size_ok(entry: PullEntry, path: Path) -> bool:
    return entry.size is None or path.stat().st_size == entry.size


# --- sources ---------------------------------------------------------------------------------------------


def _source_for(source: str, allow_http: bool) -> _Source:
    parsed = urllib.parse.urlsplit(source)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ModelPullError(f"{source} names no bucket; use s3://bucket/prefix.")
        return _S3Source(parsed.netloc, parsed.path.strip("/"))
    if parsed.scheme == "https" or (parsed.scheme == "http" and allow_http):
        if not parsed.netloc:
            raise ModelPullError(f"{source} names no host.")
        return _HttpSource(source.rstrip("/") + "/")
    raise ModelPullError(f"{source}: models are pulled from https:// or s3:// locations only.")


class _HttpSource:
    def __init__(self, base_url: str) -> None:
        self._base = base_url

    def describe(self, name: str) -> str:
        return self._url(name)

    def _url(self, name: str) -> str:
        return urllib.parse.urljoin(self._base, urllib.parse.quote(name))

    @contextmanager
    def open(self, name: str) -> Iterator[_Download | None]:
        url = self._url(name)
        try:
            response = urllib.request.urlopen(url, timeout=60)  # noqa: S310 (scheme checked in _source_for)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                yield None
                return
            raise ModelPullError(f"{url} answered HTTP {exc.code}.") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ModelPullError(f"{url} could not be reached: {exc}") from exc
        with response:
            announced = response.headers.get("Content-Length")
            yield _Download(response, int(announced) if announced and announced.isdigit() else None)


class _S3Source:
    def __init__(self, bucket: str, prefix: str) -> None:
        self._bucket, self._prefix = bucket, prefix

    def _key(self, name: str) -> str:
        return f"{self._prefix}/{name}" if self._prefix else name

    def describe(self, name: str) -> str:
        return f"s3://{self._bucket}/{self._key(name)}"

    @contextmanager
    def open(self, name: str) -> Iterator[_Download | None]:
        from core.adapters.clients import client

        try:
            response = client("s3").get_object(Bucket=self._bucket, Key=self._key(name))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            # Without s3:ListBucket on the bucket (the worker role has GetObject only), S3 answers a
            # missing key with 403 AccessDenied, not 404: both mean "not there" to a pull. A required
            # file still fails (in _fetch); an optional one is skipped.
            if code in {"NoSuchKey", "404", "NotFound", "AccessDenied", "403"}:
                yield None
                return
            raise ModelPullError(f"{self.describe(name)}: {code or exc}") from exc
        except BotoCoreError as exc:
            raise ModelPullError(f"{self.describe(name)} could not be reached: {exc}") from exc
        body = response["Body"]
        try:
            yield _Download(body, int(response["ContentLength"]))
        finally:
            body.close()
