"""Swap quality of the offline tier (`make eval`): identity, untouched background, natural colour,
seams, and a hard set of edited photos.

    python -m benchmarks.eval_quality [--photos ../shared/faces] [--model-dir .models] [--out eval-results]
                                      [--quick]

Every face in the photos is swapped onto every face of another person (people told apart by dlib's
128-D descriptor: distance > 0.6), with the engine's own detector and swapper (Engine.load, offline).
Per swap:
- identity: dlib descriptor distance of the result's face to the source face and to the target face.
  Goal: nearer the source (the swapper never uses this descriptor, so it is an independent judge).
- background: PSNR against the scene outside the target face's dilated mask, after the result is
  encoded the way the engine encodes it (encode_image: a JPEG scene's own tables and subsampling),
  next to the PSNR of a plain q95 JPEG re-encode of the untouched scene. Goal: no worse than the
  re-encode. `changed` counts pixels outside that mask that differ before encoding (goal 0).
- colour: CIE76 difference between the mean Lab colour of the face's skin in the result and in the
  scene (L 0..100). Goal: <= 20 (a washed-out or off-tone face fails). Beside it, `dLab local`: the
  same difference pixel by pixel after smoothing both faces' skin (shown, no goal of its own).
- seam: gradient of (result - scene) across the boundary of what the swap changed, relative to the
  scene's own gradient there (benchmarks.hard_edits.seam_score). Goal: <= 0.5.
Then the hard set (benchmarks.hard_set): each source face with hard light, colour casts and an
occluder, and its target with an occluder, in grey, tilted, small and as a tight crop.
Contact sheets: --out/contact_sheet.png (source | target | result | brow line and jaw, per swap) and
--out/hard_sheet.jpg (each hard case beside its clean twin); the tables go to --out/quality.md.
Exit status 1 when any goal fails, 0 when all hold or the photos are absent. --quick: three source
faces, one target each, for a run of about a minute.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from benchmarks import hard_edits
from benchmarks.eval_common import (
    SAME_PERSON,
    Judge,
    PhotoFace,
    brow_and_jaw,
    caption,
    contact_sheet,
    crop,
    load_photo_bytes,
)
from benchmarks.hard_set import SEAM_GOAL, HardFigure, HardSet
from engine_layer import manifest
from engine_layer.datatypes import DecodedImage
from engine_layer.decode import decode_image, encode_image
from engine_layer.engine import Engine
from engine_layer.landmarks import DlibLandmarker, Landmarker
from engine_layer.offline import ClassicSwapper
from engine_layer.offline.colour import smooth_over, to_lab
from engine_layer.offline.geometry import extended_landmarks, face_size
from engine_layer.offline.masks import FaceMasks, outline_points

ROOT = Path(__file__).resolve().parents[1]
LAB_GOAL = 20.0
JPEG_QUALITY = 95
QUICK_SOURCES = 3
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


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
    seam: float
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

    @property
    def seam_ok(self) -> bool:
        return self.seam <= SEAM_GOAL

    @property
    def ok(self) -> bool:
        return self.identity_ok and self.background_ok and self.colour_ok and self.seam_ok


def plain_reencode(image: np.ndarray) -> np.ndarray:
    """The baseline: the scene saved as a plain Pillow JPEG at q95 and read back."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image[..., ::-1])).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return load_photo_bytes(buffer.getvalue())


def engine_round_trip(scene: DecodedImage, pixels: np.ndarray) -> np.ndarray:
    """The result as a customer gets it: encoded by the engine in the scene's format, read back."""
    return load_photo_bytes(encode_image(scene, pixels))


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
    skin = FaceMasks(image.shape[:2], extended, origin).skin > 0.5
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


def collect_faces(photos: dict[str, DecodedImage], engine: Engine, judge: Judge) -> list[PhotoFace]:
    found = [
        (name, index, face)
        for name, decoded in photos.items()
        for index, face in enumerate(engine.detect(name, decoded))
    ]
    per_photo = {name: sum(f[0] == name for f in found) for name in photos}
    return [
        PhotoFace(
            name,
            index,
            photos[name].pixels,
            face,
            judge.descriptor(photos[name].pixels, face),
            label=name if per_photo[name] == 1 else f"{name}#{index}",
        )
        for name, index, face in found
    ]


def different_people(faces: list[PhotoFace]) -> list[tuple[PhotoFace, PhotoFace]]:
    return [
        (source, target)
        for source in faces
        for target in faces
        if np.linalg.norm(source.descriptor - target.descriptor) > SAME_PERSON
    ]


def hard_pairs(pairs: list[tuple[PhotoFace, PhotoFace]]) -> list[tuple[PhotoFace, PhotoFace]]:
    """Each source face once, onto the first face of another person (the pair table's first pair)."""
    chosen: dict[str, tuple[PhotoFace, PhotoFace]] = {}
    for source, target in pairs:
        chosen.setdefault(source.label, (source, target))
    return list(chosen.values())


def score_swap(
    engine: Engine, landmarker: Landmarker, judge: Judge, scene: DecodedImage, reencoded: np.ndarray,
    source: PhotoFace, target: PhotoFace,
) -> tuple[SwapScore, np.ndarray]:  # fmt: skip
    started = time.perf_counter()
    swapper = engine.swapper
    result = swapper.swap(target.image, target.face, swapper.source_identity(source.image, source.face))
    seconds = time.perf_counter() - started
    landmarks = landmarker.landmarks(target.image, target.face)
    outside, skin = face_masks(target.image, landmarks)
    descriptor = judge.descriptor(result, target.face)
    score = SwapScore(
        source=source.label,
        target=target.label,
        to_source=float(np.linalg.norm(descriptor - source.descriptor)),
        to_target=float(np.linalg.norm(descriptor - target.descriptor)),
        psnr_result=psnr(engine_round_trip(scene, result), target.image, outside),
        psnr_reencode=psnr(reencoded, target.image, outside),
        changed_outside=int(np.any(result != target.image, axis=2)[outside].sum()),
        lab_difference=mean_lab_difference(result, target.image, skin),
        local_lab_difference=local_lab_difference(result, target.image, skin, face_size(landmarks)),
        seam=hard_edits.seam_score(result, target.image, face_size(landmarks)),
        seconds=seconds,
    )
    return score, sheet_cell(source, target, result, landmarks, score)


def sheet_cell(
    source: PhotoFace, target: PhotoFace, result: np.ndarray, landmarks: np.ndarray, score: SwapScore
) -> np.ndarray:
    tiles = np.hstack(
        [
            crop(source.image, source.face),
            crop(target.image, target.face),
            crop(result, target.face),
            brow_and_jaw(result, landmarks),
        ]
    )
    lines = [
        f"{score.source} -> {score.target}",
        f"src {score.to_source:.2f} tgt {score.to_target:.2f} dLab {score.lab_difference:.1f} "
        f"seam {score.seam:.2f}",
    ]
    return np.vstack([tiles, caption(lines, tiles.shape[1], score.ok)])


MARK = {True: "ok", False: "FAIL"}


def table(scores: list[SwapScore]) -> str:
    columns = [
        "source", "target", "d(src)", "d(tgt)", "id", "PSNR out", "PSNR q95", "changed", "bg",
        "dLab", "dLab local", "colour", "seam", "seam ok", "s",
    ]  # fmt: skip
    header = "| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|\n"
    rows = [
        f"| {s.source} | {s.target} | {s.to_source:.3f} | {s.to_target:.3f} | {MARK[s.identity_ok]} | "
        f"{s.psnr_result:.2f} | {s.psnr_reencode:.2f} | {s.changed_outside} | {MARK[s.background_ok]} | "
        f"{s.lab_difference:.1f} | {s.local_lab_difference:.1f} | {MARK[s.colour_ok]} | "
        f"{s.seam:.2f} | {MARK[s.seam_ok]} | {s.seconds:.2f} |"
        for s in scores
    ]
    return header + "\n".join(rows) + "\n"


def summary(scores: list[SwapScore]) -> str:
    count = len(scores)
    identity = sum(s.identity_ok for s in scores)
    background = sum(s.background_ok for s in scores)
    colour = sum(s.colour_ok for s in scores)
    seams = sum(s.seam_ok for s in scores)
    margin = min(s.psnr_result - s.psnr_reencode for s in scores)
    return (
        f"{count} swaps: nearer source {identity}/{count} "
        f"(mean d(src) {np.mean([s.to_source for s in scores]):.3f}, "
        f"d(tgt) {np.mean([s.to_target for s in scores]):.3f}); "
        f"background no worse than a q95 re-encode {background}/{count} (worst margin {margin:+.2f} dB); "
        f"mean Lab diff <= {LAB_GOAL:g} {colour}/{count} (max {max(s.lab_difference for s in scores):.1f}, "
        f"local max {max(s.local_lab_difference for s in scores):.1f}); "
        f"seam <= {SEAM_GOAL:g} {seams}/{count} (mean {np.mean([s.seam for s in scores]):.2f}, "
        f"max {max(s.seam for s in scores):.2f}); "
        f"mean swap time {np.mean([s.seconds for s in scores]):.2f}s"
    )


def hard_table(figures: list[HardFigure]) -> str:
    columns = ["case", "source", "target", "measure", "value", "goal", "result", "seam", "seam ok", "note"]
    header = "| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|\n"
    rows = []
    for f in figures:
        value = "n/a" if f.value is None else f"{f.value:.3f}"
        seam = "n/a" if f.seam is None else f"{f.seam:.2f}"
        rows.append(
            f"| {f.case} | {f.source} | {f.target} | {f.measure} | {value} | {f.goal} | {MARK[f.ok]} | "
            f"{seam} | {MARK[f.seam_ok]} | {f.note} |"
        )
    return header + "\n".join(rows) + "\n"


def hard_summary(figures: list[HardFigure]) -> str:
    lines = []
    for case in dict.fromkeys(f.case for f in figures):
        these = [f for f in figures if f.case == case]
        values = [f.value for f in these if f.value is not None]
        missing = sum(f.value is None for f in these)
        worst = min if these[0].goal.startswith(">") else max
        spread = f"mean {np.mean(values):.3f}, worst {worst(values):.3f}" if values else "no values"
        seams = [f.seam for f in these if f.seam is not None]
        seam = f"; seam max {max(seams):.2f}" if seams else ""
        lost = f"; {missing} without a result" if missing else ""
        lines.append(
            f"- {case}: {these[0].measure} {spread} (goal {these[0].goal}): "
            f"{sum(f.ok for f in these)}/{len(these)} pass{seam}{lost}"
        )
    return "\n".join(lines) + "\n"


def load_photos(photos_dir: Path) -> dict[str, DecodedImage]:
    paths = sorted(p for p in photos_dir.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    return {path.name: decode_image(path.read_bytes(), path.name) for path in paths}


def evaluate(photos_dir: Path, model_dir: Path, out_dir: Path, quick: bool = False) -> int:
    started = time.perf_counter()
    engine = Engine.load(model_dir, tier="offline", providers=["CPUExecutionProvider"])
    # Where the face is (masks, edits, seams) by the points the swap itself uses (the engine's default
    # landmarker, MediaPipe's face mesh); dlib's 68 only feed the judge's descriptor, which needs them.
    if not isinstance(engine.swapper, ClassicSwapper):
        raise SystemExit("make eval measures the offline tier's ClassicSwapper.")
    landmarker = engine.swapper
    judge = Judge(model_dir, DlibLandmarker(manifest.DLIB_68.path(model_dir)))
    photos = load_photos(photos_dir)
    faces = collect_faces(photos, engine, judge)
    pairs = different_people(faces)
    chosen = hard_pairs(pairs)
    if quick:
        chosen = chosen[:QUICK_SOURCES]
        pairs = chosen
    if not pairs:
        print(f"No pair of different people among the faces in {photos_dir}; nothing to evaluate.")
        return 0

    scores: list[SwapScore] = []
    cells: list[np.ndarray] = []
    reencoded = {name: plain_reencode(decoded.pixels) for name, decoded in photos.items()}
    refused: list[str] = []
    for source, target in pairs:
        try:
            score, cell = score_swap(
                engine, landmarker, judge, photos[target.photo], reencoded[target.photo], source, target
            )
        except Exception as error:  # a refused swap is a finding of the eval, not a crash
            refused.append(f"- {source.label} -> {target.label}: {type(error).__name__}: {error}")
            print(refused[-1])
            continue
        scores.append(score)
        cells.append(cell)
        print(
            f"  {score.source} -> {score.target}: d(src) {score.to_source:.3f} d(tgt) {score.to_target:.3f}"
        )

    figures = HardSet(engine.detector, landmarker, engine.swapper, judge).run(chosen)

    out_dir.mkdir(parents=True, exist_ok=True)
    # The hard sheet holds a dozen rows per source: JPEG keeps it a few MB where PNG takes ~30 MB.
    sheet_path, hard_path = out_dir / "contact_sheet.png", out_dir / "hard_sheet.jpg"
    if cells:
        cv2.imwrite(str(sheet_path), contact_sheet(cells, columns=2))
    hard_cells = [f.cell for f in figures if f.cell is not None]
    if hard_cells:
        cv2.imwrite(str(hard_path), contact_sheet(hard_cells, columns=2), [cv2.IMWRITE_JPEG_QUALITY, 92])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = (
        f"# Swap quality ({stamp}, {engine.swapper.name}{', --quick' if quick else ''})\n\n"
        f"## Pairs\n\n{table(scores)}\n{summary(scores) if scores else 'No swap succeeded.'}\n"
        + ("".join(f"{line}\n" for line in ["\nSwaps the engine refused:", *refused]) if refused else "")
        + "\n"
        f"## Hard set\n\n{hard_table(figures)}\n{hard_summary(figures)}"
        f"\nRun time {time.perf_counter() - started:.0f} s.\n"
    )
    (out_dir / "quality.md").write_text(report)
    print(report)
    print(f"Contact sheets: {sheet_path}, {hard_path}")
    failed = [s for s in scores if not s.ok] + [f for f in figures if not (f.ok and f.seam_ok)]
    return 1 if failed or refused else 0


def default_photos() -> Path:
    """../shared/faces beside the checkout; from a worktree under wt/, the one beside wt/."""
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "faces").is_dir():
            return base / "shared" / "faces"
    return ROOT.parent / "shared" / "faces"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--photos", type=Path, default=default_photos())
    parser.add_argument(
        "--model-dir", type=Path, default=Path(os.environ.get("FACESWAP_MODEL_DIR", ROOT / ".models"))
    )
    parser.add_argument("--out", type=Path, default=ROOT / "eval-results")
    parser.add_argument("--quick", action="store_true", help="three source faces, one target each")
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        print(f"Photos directory {args.photos} is absent: skipping the quality evaluation.")
        return 0
    return evaluate(args.photos, args.model_dir, args.out, quick=args.quick)


if __name__ == "__main__":
    sys.exit(main())
