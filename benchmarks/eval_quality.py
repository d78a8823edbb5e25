"""Swap quality of the offline tier (`make eval`): identity, untouched background, natural colour.

    python -m benchmarks.eval_quality [--photos ../shared/faces] [--model-dir .models] [--out eval-results]

Every face in the photos is swapped onto every face of another person (people told apart by dlib's
128-D descriptor: distance > 0.6), with the engine's own detector, landmarker and ClassicSwapper.
Per swap:
- identity: dlib descriptor distance of the result's face to the source face and to the target face.
  Goal: nearer the source (the swapper never uses this descriptor, so it is an independent judge).
- background: PSNR against the scene outside the target face's dilated mask, after the result is
  JPEG-encoded (quality 95), next to the PSNR of a JPEG re-encode of the untouched scene alone.
  Goal: no worse than the re-encode. `changed` counts pixels outside that mask that differ before encoding.
- colour: CIE76 difference between the mean Lab colour of the face's skin in the result and in the
  scene (L 0..100). Goal: <= 20 (a washed-out or off-tone face fails). Beside it, `dLab local`: the
  same difference pixel by pixel after smoothing both faces' skin (shown, no goal of its own).
A contact sheet (source | target | result per swap) is written to --out/contact_sheet.png, the table
to --out/quality.md. Exit status 1 when any goal fails, 0 when all hold or the photos are absent.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np
from PIL import Image, ImageOps

from engine_layer.datatypes import Face
from engine_layer.detection import ScrfdDetector
from engine_layer.landmarks import DlibLandmarker
from engine_layer.offline import ClassicSwapper
from engine_layer.offline.colour import smooth_over, to_lab
from engine_layer.offline.geometry import extended_landmarks, face_size
from engine_layer.offline.masks import outline_points, skin_mask

ROOT = Path(__file__).resolve().parents[1]
SAME_PERSON = 0.6  # dlib's own threshold for its 128-D descriptor
LAB_GOAL = 20.0
JPEG_QUALITY = 95
TILE = 176


@dataclass(frozen=True)
class PhotoFace:
    photo: str
    index: int
    image: np.ndarray
    face: Face
    descriptor: np.ndarray


@dataclass(frozen=True)
class SwapScore:
    source: str
    target: str
    to_source: float
    to_target: float
    psnr_result: float
    psnr_reencode: float
    changed_outside: int
    lab_difference: float
    local_lab_difference: float
    seconds: float

    @property
    def identity_ok(self) -> bool:
        return self.to_source < self.to_target

    @property
    def background_ok(self) -> bool:
        return self.changed_outside == 0 and self.psnr_result >= self.psnr_reencode

    @property
    def colour_ok(self) -> bool:
        return self.lab_difference <= LAB_GOAL


class Judge:
    """dlib's face descriptor, used only to judge: the swapper never sees it."""

    def __init__(self, model_dir: Path, landmarker: DlibLandmarker) -> None:
        self._recogniser = dlib.face_recognition_model_v1(
            str(model_dir / "dlib_face_recognition_resnet_model_v1.dat")
        )
        self._landmarker = landmarker

    def descriptor(self, image: np.ndarray, face: Face) -> np.ndarray:
        points = self._landmarker.landmarks(image, face)
        x1, y1, x2, y2 = (round(float(v)) for v in face.bbox)
        shape = dlib.full_object_detection(
            dlib.rectangle(x1, y1, x2, y2), [dlib.point(round(float(x)), round(float(y))) for x, y in points]
        )
        rgb = np.ascontiguousarray(image[..., ::-1])
        return np.asarray(self._recogniser.compute_face_descriptor(rgb, shape), dtype=np.float64)


def load_photo(path: Path) -> np.ndarray:
    with Image.open(path) as opened:
        rgb = ImageOps.exif_transpose(opened).convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb)[..., ::-1])


def jpeg_round_trip(image: np.ndarray) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image[..., ::-1]).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return load_photo_bytes(buffer.getvalue())


def load_photo_bytes(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as opened:
        return np.ascontiguousarray(np.asarray(opened.convert("RGB"))[..., ::-1])


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    if not where.any():
        return float("inf")
    error = float(np.mean((a[where].astype(np.float64) - b[where].astype(np.float64)) ** 2))
    return float("inf") if error == 0 else 10.0 * np.log10(255.0**2 / error)


def face_masks(image: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(outside: pixels beyond the face hull grown by 10% of the face + 16 px, skin: face skin pixels)."""
    extended = extended_landmarks(landmarks)
    origin = np.zeros(2, dtype=np.float32)
    hull = np.zeros(image.shape[:2], dtype=np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(outline_points(extended).astype(np.int32)), 1)
    grow = int(face_size(landmarks) * 0.10) + 16
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    outside = cv2.dilate(hull, kernel) == 0
    skin = skin_mask(image.shape[:2], extended, origin) > 0.5
    return outside, skin


def mean_lab_difference(a: np.ndarray, b: np.ndarray, skin: np.ndarray) -> float:
    if not skin.any():
        return float("nan")
    mean_a = to_lab(a)[skin].mean(axis=0)
    mean_b = to_lab(b)[skin].mean(axis=0)
    return float(np.linalg.norm(mean_a - mean_b))


def local_lab_difference(a: np.ndarray, b: np.ndarray, skin: np.ndarray, size: float) -> float:
    """Mean over the skin of the CIE76 difference of the two images' smoothed skin colour: catches a
    face that is right on average but washed out on one side or blotchy (features smoothed away)."""
    if not skin.any():
        return float("nan")
    rows, cols = np.nonzero(skin)
    margin = int(size * 0.3)
    y1, y2 = max(0, rows.min() - margin), rows.max() + margin + 1
    x1, x2 = max(0, cols.min() - margin), cols.max() + margin + 1
    weights = skin[y1:y2, x1:x2].astype(np.float32)
    sigma = max(1.0, size * 0.1)
    smooth_a = smooth_over(to_lab(a[y1:y2, x1:x2]), weights, sigma)
    smooth_b = smooth_over(to_lab(b[y1:y2, x1:x2]), weights, sigma)
    return float(np.linalg.norm(smooth_a - smooth_b, axis=2)[weights > 0].mean())


def collect_faces(photos: Sequence[Path], detector: ScrfdDetector, judge: Judge) -> list[PhotoFace]:
    faces = []
    for path in photos:
        image = load_photo(path)
        for index, face in enumerate(detector.detect(image)):
            faces.append(PhotoFace(path.name, index, image, face, judge.descriptor(image, face)))
    return faces


def label(face: PhotoFace, total: dict[str, int]) -> str:
    return face.photo if total[face.photo] == 1 else f"{face.photo}#{face.index}"


def crop(image: np.ndarray, face: Face) -> np.ndarray:
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    centre_x, centre_y = (x1 + x2) / 2, (y1 + y2) / 2
    half = int(max(x2 - x1, y2 - y1) * 0.7)
    padded = cv2.copyMakeBorder(image, half, half, half, half, cv2.BORDER_CONSTANT)
    top, left = int(centre_y), int(centre_x)
    return cv2.resize(padded[top : top + 2 * half, left : left + 2 * half], (TILE, TILE), cv2.INTER_AREA)


def sheet_cell(source: PhotoFace, target: PhotoFace, result: np.ndarray, score: SwapScore) -> np.ndarray:
    tiles = np.hstack(
        [crop(source.image, source.face), crop(target.image, target.face), crop(result, target.face)]
    )
    caption = np.full((40, tiles.shape[1], 3), 255, dtype=np.uint8)
    ok = score.identity_ok and score.background_ok and score.colour_ok
    colour = (0, 120, 0) if ok else (0, 0, 200)
    lines = [
        f"{score.source} -> {score.target}",
        f"src {score.to_source:.2f} tgt {score.to_target:.2f} dLab {score.lab_difference:.1f}",
    ]
    for row, text in enumerate(lines):
        cv2.putText(caption, text, (4, 15 + 17 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.42, colour, 1, cv2.LINE_AA)
    return np.vstack([tiles, caption])


def contact_sheet(cells: list[np.ndarray], columns: int = 3) -> np.ndarray:
    blank = np.full_like(cells[0], 255)
    padded = cells + [blank] * (-len(cells) % columns)
    rows = [np.hstack(padded[i : i + columns]) for i in range(0, len(padded), columns)]
    return np.vstack(rows)


def table(scores: list[SwapScore]) -> str:
    columns = [
        "source", "target", "d(src)", "d(tgt)", "id", "PSNR out", "PSNR re-enc", "changed", "bg",
        "dLab", "dLab local", "colour", "s",
    ]  # fmt: skip
    header = "| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|\n"
    mark = {True: "ok", False: "FAIL"}
    rows = [
        f"| {s.source} | {s.target} | {s.to_source:.3f} | {s.to_target:.3f} | {mark[s.identity_ok]} | "
        f"{s.psnr_result:.2f} | {s.psnr_reencode:.2f} | {s.changed_outside} | {mark[s.background_ok]} | "
        f"{s.lab_difference:.1f} | {s.local_lab_difference:.1f} | {mark[s.colour_ok]} | {s.seconds:.2f} |"
        for s in scores
    ]
    return header + "\n".join(rows) + "\n"


def summary(scores: list[SwapScore]) -> str:
    count = len(scores)
    identity = sum(s.identity_ok for s in scores)
    background = sum(s.background_ok for s in scores)
    colour = sum(s.colour_ok for s in scores)
    return (
        f"{count} swaps: nearer source {identity}/{count} "
        f"(mean d(src) {np.mean([s.to_source for s in scores]):.3f}, "
        f"d(tgt) {np.mean([s.to_target for s in scores]):.3f}); "
        f"background no worse than re-encode {background}/{count}; "
        f"mean Lab diff <= {LAB_GOAL:g} {colour}/{count} (max {max(s.lab_difference for s in scores):.1f}, "
        f"local max {max(s.local_lab_difference for s in scores):.1f}); "
        f"mean swap time {np.mean([s.seconds for s in scores]):.2f}s"
    )


def evaluate(photos_dir: Path, model_dir: Path, out_dir: Path) -> int:
    photos = sorted(p for p in photos_dir.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    detector = ScrfdDetector(model_dir / "scrfd.onnx", ["CPUExecutionProvider"])
    landmarker = DlibLandmarker(model_dir / "shape_predictor_68_face_landmarks.dat")
    judge = Judge(model_dir, landmarker)
    swapper = ClassicSwapper(landmarker)
    faces = collect_faces(photos, detector, judge)
    per_photo = {p.name: sum(f.photo == p.name for f in faces) for p in photos}

    scores: list[SwapScore] = []
    cells: list[np.ndarray] = []
    reencoded: dict[str, np.ndarray] = {}
    for source in faces:
        for target in faces:
            if np.linalg.norm(source.descriptor - target.descriptor) <= SAME_PERSON:
                continue  # same person (or the same face): a swap proves nothing
            started = time.perf_counter()
            result = swapper.swap(
                target.image, target.face, swapper.source_identity(source.image, source.face)
            )
            seconds = time.perf_counter() - started
            landmarks = landmarker.landmarks(target.image, target.face)
            outside, skin = face_masks(target.image, landmarks)
            if target.photo not in reencoded:
                reencoded[target.photo] = jpeg_round_trip(target.image)
            descriptor = judge.descriptor(result, target.face)
            score = SwapScore(
                source=label(source, per_photo),
                target=label(target, per_photo),
                to_source=float(np.linalg.norm(descriptor - source.descriptor)),
                to_target=float(np.linalg.norm(descriptor - target.descriptor)),
                psnr_result=psnr(jpeg_round_trip(result), target.image, outside),
                psnr_reencode=psnr(reencoded[target.photo], target.image, outside),
                changed_outside=int(np.any(result != target.image, axis=2)[outside].sum()),
                lab_difference=mean_lab_difference(result, target.image, skin),
                local_lab_difference=local_lab_difference(result, target.image, skin, face_size(landmarks)),
                seconds=seconds,
            )
            scores.append(score)
            cells.append(sheet_cell(source, target, result, score))
            print(f"  {score.source} -> {score.target}: d(src) {score.to_source:.3f}", end="")
            print(f" d(tgt) {score.to_target:.3f}")

    if not scores:
        print(f"No pair of different people among the faces in {photos_dir}; nothing to evaluate.")
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    sheet_path = out_dir / "contact_sheet.png"
    cv2.imwrite(str(sheet_path), contact_sheet(cells))
    report = table(scores) + "\n" + summary(scores) + "\n"
    (out_dir / "quality.md").write_text(report)
    print(report)
    print(f"Contact sheet: {sheet_path}")
    failed = [s for s in scores if not (s.identity_ok and s.background_ok and s.colour_ok)]
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument(
        "--model-dir", type=Path, default=Path(os.environ.get("FACESWAP_MODEL_DIR", ROOT / ".models"))
    )
    parser.add_argument("--out", type=Path, default=ROOT / "eval-results")
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        print(f"Photos directory {args.photos} is absent: skipping the quality evaluation.")
        return 0
    return evaluate(args.photos, args.model_dir, args.out)


if __name__ == "__main__":
    sys.exit(main())
