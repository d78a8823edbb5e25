"""Engine speed (`make bench`): per-stage times and a whole basicswap on one-face photos around 1 MP.

    python benchmarks/engine_bench.py [--photos ../shared/faces] [--model-dir .models] [--tier auto]
                                      [--repeat 3] [--json bench-results/engine.json]

Stages, timed one by one on the engine's own components: decode, detect, landmarks (the offline tier's
landmarker, MediaPipe's face mesh; the classic swapper computes them again inside `swap`), swap (source
identity + swap), restore, encode. Then the whole `Engine.run(basicswap)` against the baseline the
issue sets: decode + detect of both images + encode of the result. Goal: basicswap under 3x that baseline.

Photos: the one-face JPEGs of 0.5-2.5 MP in --photos; when that folder is absent (a fresh clone), crops
of insightface's t1.jpg around each face, enlarged to about 1 MP, stand in (and the output says so).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np

from engine_layer.decode import decode_image, encode_image
from engine_layer.engine import Engine
from engine_layer.landmarks import Landmarker, load_landmarker
from engine_layer.manifest import Tier
from engine_layer.operations import Operation

ROOT = Path(__file__).resolve().parents[1]

GOAL_RATIO = 3.0
T = TypeVar("T")


@dataclass
class Photo:
    name: str
    data: bytes
    megapixels: float


@dataclass
class Timings:
    stages: dict[str, list[float]] = field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        self.stages.setdefault(stage, []).append(seconds)

    def median_ms(self, stage: str) -> float:
        return 1000.0 * statistics.median(self.stages[stage]) if stage in self.stages else float("nan")


def timed(timings: Timings, stage: str, call: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = call()
    timings.add(stage, time.perf_counter() - start)
    return result


# --- photos ----------------------------------------------------------------------------------------------


def shared_photos(folder: Path, engine: Engine) -> list[Photo]:
    photos = []
    for path in sorted(folder.glob("*.jpg")):
        data = path.read_bytes()
        decoded = decode_image(data, "targetimage")
        megapixels = decoded.pixels.shape[0] * decoded.pixels.shape[1] / 1e6
        if 0.5 <= megapixels <= 2.5 and len(engine.detect("targetimage", decoded)) == 1:
            photos.append(Photo(path.name, data, megapixels))
    return photos


def t1_crops(engine: Engine) -> list[Photo]:
    import insightface

    t1 = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
    data = t1.read_bytes()
    scene = decode_image(data, "targetimage").pixels
    photos = []
    for index, face in enumerate(engine.detect("targetimage", decode_image(data, "targetimage"))):
        x1, y1, x2, y2 = (float(v) for v in face.bbox)
        side = 2.2 * max(x2 - x1, y2 - y1)  # the face and some shoulders: a portrait crop
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        left, top = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        crop = scene[
            top : int(min(scene.shape[0], cy + side / 2)), left : int(min(scene.shape[1], cx + side / 2))
        ]
        scale = np.sqrt(1.0e6 / (crop.shape[0] * crop.shape[1]))
        portrait = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        ok, encoded = cv2.imencode(".jpg", portrait, [cv2.IMWRITE_JPEG_QUALITY, 92])
        assert ok
        photo = Photo(f"t1-face{index}", encoded.tobytes(), portrait.shape[0] * portrait.shape[1] / 1e6)
        if len(engine.detect("targetimage", decode_image(photo.data, "targetimage"))) == 1:
            photos.append(photo)
    return photos


# --- measuring -------------------------------------------------------------------------------------------


def measure_pair(
    engine: Engine, landmarker: Landmarker | None, source: Photo, target: Photo, timings: Timings
) -> None:
    src = timed(timings, "decode", lambda: decode_image(source.data, "srcimage"))
    tgt = timed(timings, "decode", lambda: decode_image(target.data, "targetimage"))
    src_face = timed(timings, "detect", lambda: engine.detect("srcimage", src))[0]
    tgt_face = timed(timings, "detect", lambda: engine.detect("targetimage", tgt))[0]
    if landmarker is not None:
        timed(timings, "landmarks", lambda: landmarker.landmarks(tgt.pixels, tgt_face))
    swapped = timed(
        timings,
        "swap",
        lambda: engine.swapper.swap(
            tgt.pixels, tgt_face, engine.swapper.source_identity(src.pixels, src_face)
        ),
    )
    timed(timings, "restore", lambda: engine.restorer.restore(swapped, tgt_face))
    timed(timings, "encode", lambda: encode_image(tgt, swapped))

    images = {"srcimage": source.data, "targetimage": target.data}
    timed(timings, "basicswap", lambda: engine.run(Operation.BASICSWAP, images, None, False))
    timed(timings, "basicswap+enhance", lambda: engine.run(Operation.BASICSWAP, images, None, True))

    def baseline() -> None:
        for field_name, photo in images.items():
            decoded = decode_image(photo, field_name)
            engine.detect(field_name, decoded)
        encode_image(tgt, tgt.pixels)

    timed(timings, "baseline", baseline)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument(
        "--model-dir", type=Path, default=Path(os.environ.get("FACESWAP_MODEL_DIR", ROOT / ".models"))
    )
    parser.add_argument("--tier", default="auto", choices=["auto", "offline", "production"])
    parser.add_argument(
        "--repeat", type=int, default=3, help="passes over all photo pairs (first is warm-up)"
    )
    parser.add_argument(
        "--json", type=Path, help="also write the figures here (e.g. bench-results/engine.json)"
    )
    args = parser.parse_args(argv)

    engine = Engine.load(args.model_dir, tier=args.tier)
    print(f"engine: {engine.describe()}")
    if args.photos.is_dir():
        photos = shared_photos(args.photos, engine)
        origin = str(args.photos)
    else:
        print(f"{args.photos} is absent: using crops of insightface's t1.jpg enlarged to about 1 MP instead.")
        photos, origin = t1_crops(engine), "t1.jpg crops"
    if len(photos) < 2:
        print(f"Need at least two one-face photos of 0.5-2.5 MP in {origin}; found {len(photos)}.")
        return 1
    print("photos: " + ", ".join(f"{p.name} ({p.megapixels:.2f} MP)" for p in photos))
    pairs = [(photos[i], photos[(i + 1) % len(photos)]) for i in range(len(photos))]

    # The offline swapper finds 68 landmarks inside `swap`; timing them alone shows their share.
    landmarker = load_landmarker(args.model_dir) if engine.tier is Tier.OFFLINE else None
    measure_pair(engine, landmarker, *pairs[0], Timings())  # warm-up: sessions, caches, lazy imports
    timings = Timings()
    for _ in range(max(1, args.repeat)):
        for source, target in pairs:
            measure_pair(engine, landmarker, source, target, timings)

    stages = ["decode", "detect", "landmarks", "swap", "restore", "encode", "basicswap", "basicswap+enhance"]
    print(f"\n{'stage':<20}{'median ms':>12}   (per image for decode/detect, per swap otherwise)")
    for stage in stages:
        figure = f"{timings.median_ms(stage):.1f}" if stage in timings.stages else "-"
        print(f"{stage:<20}{figure:>12}")
    baseline = timings.median_ms("baseline")
    whole = timings.median_ms("basicswap")
    ratio = whole / baseline
    verdict = "meets" if ratio < GOAL_RATIO else "MISSES"
    print(f"\nbaseline (decode + detect of both images + encode): {baseline:.1f} ms")
    print(f"basicswap / baseline = {ratio:.2f}x -> {verdict} the goal of < {GOAL_RATIO:.0f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures: dict[str, Any] = {
            "engine": engine.describe(),
            "photos": [p.name for p in photos],
            "median_ms": {stage: timings.median_ms(stage) for stage in [*stages, "baseline"]},
            "ratio": ratio,
            "goal_ratio": GOAL_RATIO,
        }
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
