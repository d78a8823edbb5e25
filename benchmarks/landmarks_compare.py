"""The offline tier's two landmarkers side by side: MediaPipe's face mesh (68 of its 468 points) and dlib's
68-point model.

    python -m benchmarks.landmarks_compare [--photos ../shared/faces] [--model-dir .models]

On every face SCRFD finds in the photos and in insightface's t1.jpg, in inter-ocular distances (IOD:
between dlib's eye centres):
- agreement: mean distance between the two landmarkers' points, per feature group;
- roll stability: each landmarker on the photo rotated by +-15 and +-30 degrees about the face (detected
  again), its points rotated back, mean distance to its own points on the upright photo;
- mirror stability: the same on the photo flipped left-right (points renumbered);
- time per face.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import insightface
import numpy as np

from engine_layer import manifest
from engine_layer.datatypes import Face
from engine_layer.decode import decode_image
from engine_layer.detection.scrfd_insightface import ScrfdDetector
from engine_layer.face_mesh import MeshLandmarker
from engine_layer.landmarks import DlibLandmarker
from engine_layer.offline.geometry import mirror

ROOT = Path(__file__).resolve().parents[1]
GROUPS = {
    "jaw": range(0, 17),
    "brows": range(17, 27),
    "nose": range(27, 36),
    "eyes": range(36, 48),
    "lips": range(48, 68),
}
ROLLS = (-30.0, -15.0, 15.0, 30.0)
Landmarks = Callable[[np.ndarray, Face], np.ndarray]


def inter_ocular(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[36:42].mean(0) - points[42:48].mean(0)))


def nearest(faces: list[Face], point: np.ndarray) -> Face | None:
    if not faces:
        return None
    return min(faces, key=lambda f: float(np.linalg.norm(np.asarray(f.centre) - point)))


def rolled(
    image: np.ndarray, face: Face, angle: float, detector: ScrfdDetector, landmarks: Landmarks
) -> np.ndarray | None:
    """Points found on the photo rolled by `angle` degrees about the face, mapped back to the photo."""
    centre = np.asarray(face.centre, dtype=np.float64)
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, 1.0)
    turned = cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REFLECT)
    found = nearest(detector.detect(turned), centre)
    if found is None or np.linalg.norm(np.asarray(found.centre) - centre) > 0.3 * (
        face.bbox[2] - face.bbox[0]
    ):
        return None
    back = cv2.invertAffineTransform(matrix)
    points = landmarks(turned, found).astype(np.float64)
    return points @ back[:, :2].T + back[:, 2]


def mirrored(
    image: np.ndarray, face: Face, detector: ScrfdDetector, landmarks: Landmarks
) -> np.ndarray | None:
    flipped = np.ascontiguousarray(image[:, ::-1])
    width = image.shape[1]
    centre = np.array([width - 1 - face.centre[0], face.centre[1]])
    found = nearest(detector.detect(flipped), centre)
    if found is None:
        return None
    points = landmarks(flipped, found)
    extended = np.vstack([points, np.zeros((15, 2), np.float32)])  # mirror() renumbers 83 points
    return mirror(flipped, extended)[1][:68].astype(np.float64)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument("--model-dir", type=Path, default=ROOT / ".models")
    args = parser.parse_args(argv)
    photos = sorted(
        p for p in args.photos.glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"}
    )
    photos.append(Path(insightface.__file__).parent / "data" / "images" / "t1.jpg")
    detector = ScrfdDetector(manifest.SCRFD.path(args.model_dir), ["CPUExecutionProvider"])
    landmarkers: dict[str, Landmarks] = {
        "mesh": MeshLandmarker(manifest.FACE_MESH.path(args.model_dir)).landmarks,
        "dlib": DlibLandmarker(manifest.DLIB_68.path(args.model_dir)).landmarks,
    }
    agreement: dict[str, list[float]] = {group: [] for group in GROUPS}
    roll_error: dict[str, list[float]] = {name: [] for name in landmarkers}
    mirror_error: dict[str, list[float]] = {name: [] for name in landmarkers}
    seconds: dict[str, list[float]] = {name: [] for name in landmarkers}
    faces_seen = 0
    for path in photos:
        image = decode_image(path.read_bytes(), "photo").pixels
        for face in detector.detect(image):
            faces_seen += 1
            upright = {}
            for name, landmarks in landmarkers.items():
                started = time.perf_counter()
                upright[name] = landmarks(image, face).astype(np.float64)
                seconds[name].append(time.perf_counter() - started)
            iod = inter_ocular(upright["dlib"])
            for group, indices in GROUPS.items():
                gap = np.linalg.norm(upright["mesh"][indices] - upright["dlib"][indices], axis=1)
                agreement[group].append(float(gap.mean()) / iod)
            for name, landmarks in landmarkers.items():
                for angle in ROLLS:
                    points = rolled(image, face, angle, detector, landmarks)
                    if points is not None:
                        roll_error[name].append(
                            float(np.linalg.norm(points - upright[name], axis=1).mean()) / iod
                        )
                points = mirrored(image, face, detector, landmarks)
                if points is not None:
                    mirror_error[name].append(
                        float(np.linalg.norm(points - upright[name], axis=1).mean()) / iod
                    )
    print(f"{faces_seen} faces in {len(photos)} photos")
    print(
        "mesh vs dlib, mean distance / IOD: "
        + ", ".join(f"{g} {np.mean(v):.3f}" for g, v in agreement.items())
    )
    print(f"  all 68 points: {np.mean([np.mean(v) for v in zip(*agreement.values(), strict=True)]):.3f}")
    for name in landmarkers:
        print(
            f"{name}: roll +-15/30 deg mean {np.mean(roll_error[name]):.3f} IOD "
            f"(max {np.max(roll_error[name]):.3f}, {len(roll_error[name])} rolls); "
            f"mirror {np.mean(mirror_error[name]):.3f} IOD (max {np.max(mirror_error[name]):.3f}); "
            f"{1000 * np.median(seconds[name]):.1f} ms per face (median)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
