"""68-point landmarks (dlib's order) for a detected face, and the choice of landmarker.

Two landmarkers give the same 68 points: MediaPipe's face mesh (`engine_layer.face_mesh`, Apache-2.0, the
default) and dlib's 68-point model (trained on iBUG 300-W, whose terms exclude commercial use), kept
selectable by name for comparison (`load_landmarker(model_dir, "dlib-68")`).

dlib's predictor was trained on boxes from dlib's own HOG detector, which are tighter than SCRFD's (brows
to chin, no forehead). When the face has SCRFD keypoints the box handed to dlib is rebuilt from them
(eye and mouth centres), which on insightface's t1.jpg lands the 68 points within ~3% of the interocular
distance of what a HOG box gives; a face without keypoints uses its box as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import dlib
import numpy as np
from numpy.typing import NDArray

from engine_layer import manifest
from engine_layer.datatypes import Face
from engine_layer.errors import ModelsMissing
from engine_layer.manifest import ModelFile

# dlib-style box from SCRFD keypoints, in units of the eye-centre to mouth-centre distance.
_SIDE_PER_EYE_MOUTH = 2.35
_CENTRE_BELOW_EYES = 0.4
# Pixels around the box that the predictor may look at (its features stay inside the box, roughly).
_CROP_MARGIN = 0.5


class DlibLandmarker:
    name = "dlib-68"

    def __init__(self, model_path: Path) -> None:
        if not Path(model_path).is_file():
            raise ModelsMissing(f"Landmark model {model_path} is missing.", file=str(model_path))
        try:
            self._predictor = dlib.shape_predictor(str(model_path))
        except RuntimeError as exc:
            raise ModelsMissing(f"{model_path} cannot be loaded: {exc}", file=str(model_path)) from exc

    def landmarks(self, image_bgr: NDArray[np.uint8], face: Face) -> NDArray[np.float32]:
        """(68, 2) float32 points in image coordinates, dlib's order."""
        left, top, right, bottom = _dlib_box(face)
        side = max(right - left, bottom - top)
        height, width = image_bgr.shape[:2]
        x0 = int(max(0, np.floor(left - side * _CROP_MARGIN)))
        y0 = int(max(0, np.floor(top - side * _CROP_MARGIN)))
        x1 = int(min(width, np.ceil(right + side * _CROP_MARGIN)))
        y1 = int(min(height, np.ceil(bottom + side * _CROP_MARGIN)))
        if x1 <= x0 or y1 <= y0:  # a box wholly outside the image: predict on the nearest pixels
            x0, y0, x1, y1 = 0, 0, width, height
        crop = np.ascontiguousarray(image_bgr[y0:y1, x0:x1, ::-1])
        rect = dlib.rectangle(
            round(left - x0), round(top - y0), max(round(right - x0), 1), max(round(bottom - y0), 1)
        )
        shape = self._predictor(crop, rect)
        points = np.array([(part.x + x0, part.y + y0) for part in shape.parts()], dtype=np.float32)
        return points


def _dlib_box(face: Face) -> tuple[float, float, float, float]:
    kps = np.asarray(face.kps, dtype=np.float64)
    eyes = (kps[0] + kps[1]) / 2.0
    mouth = (kps[3] + kps[4]) / 2.0
    eye_mouth = float(np.linalg.norm(mouth - eyes))
    if not np.all(np.isfinite(kps)) or eye_mouth < 1.0:
        x1, y1, x2, y2 = (float(v) for v in face.bbox)
        return x1, y1, x2, y2
    side = _SIDE_PER_EYE_MOUTH * eye_mouth
    centre_x = (eyes[0] + mouth[0]) / 2.0
    centre_y = eyes[1] + _CENTRE_BELOW_EYES * eye_mouth
    return centre_x - side / 2, centre_y - side / 2, centre_x + side / 2, centre_y + side / 2


class Landmarker(Protocol):
    name: str

    def landmarks(self, image_bgr: NDArray[np.uint8], face: Face) -> NDArray[np.float32]:
        """(68, 2) float32 points in image coordinates, dlib's order."""
        ...


def _mesh(model_path: Path) -> Landmarker:
    from engine_layer.face_mesh import MeshLandmarker

    return MeshLandmarker(model_path)


# name -> (its model file, constructor)
LANDMARKERS: dict[str, tuple[ModelFile, Callable[[Path], Landmarker]]] = {
    "mediapipe-face-mesh": (manifest.FACE_MESH, _mesh),
    "dlib-68": (manifest.DLIB_68, DlibLandmarker),
}
DEFAULT_LANDMARKER = "mediapipe-face-mesh"


def load_landmarker(model_dir: Path, name: str = DEFAULT_LANDMARKER) -> Landmarker:
    """The landmarker called `name`, from its file in `model_dir` (ModelsMissing when that is absent)."""
    if name not in LANDMARKERS:
        raise ValueError(f"landmarker must be one of {sorted(LANDMARKERS)}, not {name!r}")
    model, build = LANDMARKERS[name]
    return build(model.path(model_dir))
