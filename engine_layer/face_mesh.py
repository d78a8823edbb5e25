"""MediaPipe's face mesh (468 points, Apache-2.0) as the offline tier's landmarker, in dlib's 68-point order.

The model is `face_landmark.tflite` from the mediapipe 0.10.21 wheel (`faceswap-admin models install-offline`
takes it out of the wheel; mediapipe itself is never installed), run by LiteRT (`ai-edge-litert`). It
reads a 192x192 RGB crop in [0, 1], upright and centred on the face, and returns 468 (x, y, z) points in
that crop plus a face-presence logit.

The crop is placed as MediaPipe places it: a square rotated so the eyes are level, 1.5 times the face's
extent. A first pass places it from SCRFD's box and eye key points; a second from the first pass's own
mesh (MediaPipe's tracking ROI: eye corners 33 -> 263 for the angle, the mesh's extent for the size),
which makes the result nearly independent of the detector's box.

`landmarks` returns 68 of the 468 points in dlib's order (MESH_TO_DLIB68), so the offline swapper works
unchanged; `mesh` gives all 468 for whoever needs the dense surface (forehead, cheeks, lips).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from engine_layer.datatypes import Face
from engine_layer.errors import ModelsMissing

if TYPE_CHECKING:  # imported where it is used: only the mesh landmarker needs LiteRT
    from ai_edge_litert.interpreter import Interpreter

INPUT_SIZE = 192
MESH_POINTS = 468
# Crop side relative to the face's extent, as in MediaPipe's face-landmark ROI (scale 1.5).
_ROI_SCALE = 1.5
# Outer eye corners in the mesh (subject's right, then left): they set the crop's rotation.
_RIGHT_EYE_OUTER, _LEFT_EYE_OUTER = 33, 263

# dlib's 68 points as mesh vertices. Eyes, brows, nose and lips are the mesh's own points for the same
# features (eye corners and lids, brow tops, bridge and nostrils, lip contours), chosen mirror-symmetric.
# The jaw is the exception: the mesh has no points on dlib's jaw line, which dlib draws on the visible
# contour; these 17 are the nearest vertices of the mesh's silhouette ring (face oval), picked as the
# ones closest to dlib's points on 16 faces (insightface's t1.jpg and the shared photos), mirror-symmetric.
# Mean distance to dlib's points there, in inter-ocular distances: jaw 0.07-0.21, brows 0.06-0.10, nose
# 0.03-0.07, eyes 0.03-0.06, lips 0.03-0.06 (benchmarks/landmarks_compare.py prints the figures).
MESH_TO_DLIB68: tuple[int, ...] = (
    # jaw 0-16, from the subject's right ear down to the chin (8) and up to the left ear
    127, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 356,
    # right brow 17-21 (outer to inner), left brow 22-26 (inner to outer)
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    # nose bridge 27-30 (top to tip), nostrils 31-35
    168, 197, 5, 4, 98, 97, 2, 326, 327,
    # right eye 36-41, left eye 42-47 (corner, upper lid, corner, lower lid)
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    # outer lips 48-59, inner lips 60-67
    61, 39, 37, 0, 267, 269, 291, 321, 314, 17, 84, 91,
    78, 82, 13, 312, 308, 317, 14, 87,
)  # fmt: skip


class MeshLandmarker:
    name = "mediapipe-face-mesh"

    def __init__(self, model_path: Path, threads: int = 1) -> None:
        model_path = Path(model_path)
        if not model_path.is_file():
            raise ModelsMissing(f"Landmark model {model_path} is missing.", file=str(model_path))
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interpreter = Interpreter(model_path=str(model_path), num_threads=threads)
            self._interpreter.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelsMissing(f"{model_path} cannot be loaded: {exc}", file=str(model_path)) from exc
        self._input, self._points, self._presence = _check_signature(self._interpreter, model_path)
        self._lock = threading.Lock()  # a LiteRT interpreter holds its tensors: one inference at a time

    def landmarks(self, image_bgr: NDArray[np.uint8], face: Face) -> NDArray[np.float32]:
        """(68, 2) float32 points in image coordinates, dlib's order."""
        return self.mesh(image_bgr, face)[0][MESH_TO_DLIB68, :2].copy()

    def mesh(self, image_bgr: NDArray[np.uint8], face: Face) -> tuple[NDArray[np.float32], float]:
        """(468, 3) float32 mesh in image pixels (z: depth, same scale, smaller = nearer) and the model's
        face-presence probability for the final crop."""
        centre, side, angle = _roi_from_detection(face)
        points, _ = self._run(image_bgr, centre, side, angle)
        centre, side, angle = _roi_from_mesh(points)
        return self._run(image_bgr, centre, side, angle)

    def _run(
        self, image_bgr: NDArray[np.uint8], centre: NDArray[np.float64], side: float, angle: float
    ) -> tuple[NDArray[np.float32], float]:
        affine = crop_matrix(centre, side, angle)
        crop = cv2.warpAffine(
            image_bgr,
            affine,
            (INPUT_SIZE, INPUT_SIZE),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
        )
        blob = (crop[:, :, ::-1].astype(np.float32) / np.float32(255.0))[None]
        with self._lock:
            self._interpreter.set_tensor(self._input, np.ascontiguousarray(blob))
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._points).reshape(MESH_POINTS, 3).astype(np.float64)
            logit = float(self._interpreter.get_tensor(self._presence).reshape(-1)[0])
        inverse = cv2.invertAffineTransform(affine)
        xy = raw[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        z = raw[:, 2:] * (side / INPUT_SIZE)
        presence = float(1.0 / (1.0 + np.exp(-np.clip(logit, -50.0, 50.0))))
        return np.hstack([xy, z]).astype(np.float32), presence


def crop_matrix(centre: NDArray[np.float64], side: float, angle: float) -> NDArray[np.float64]:
    """2x3 matrix from image pixels to the model's crop: `centre` to the middle, rotated by -`angle`
    (so a line at `angle` becomes level), `side` pixels to INPUT_SIZE."""
    scale = INPUT_SIZE / max(float(side), 1e-6)
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    rotation = np.array([[cos, sin], [-sin, cos]])
    shift = INPUT_SIZE / 2.0 - rotation @ np.asarray(centre, dtype=np.float64)
    return np.hstack([rotation, shift[:, None]])


def _roi_from_detection(face: Face) -> tuple[NDArray[np.float64], float, float]:
    kps = np.asarray(face.kps, dtype=np.float64)
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    eye_line = kps[1] - kps[0]
    angle = float(np.arctan2(eye_line[1], eye_line[0])) if np.all(np.isfinite(eye_line)) else 0.0
    centre = np.array([(x1 + x2) / 2.0, (y1 + y2) / 2.0])
    return centre, _ROI_SCALE * max(x2 - x1, y2 - y1, 1.0), angle


def _roi_from_mesh(points: NDArray[np.float32]) -> tuple[NDArray[np.float64], float, float]:
    xy = points[:, :2].astype(np.float64)
    eye_line = xy[_LEFT_EYE_OUTER] - xy[_RIGHT_EYE_OUTER]
    angle = float(np.arctan2(eye_line[1], eye_line[0]))
    cos, sin = np.cos(angle), np.sin(angle)
    upright = np.array([[cos, sin], [-sin, cos]])  # image -> eye-level frame
    local = xy @ upright.T
    low, high = local.min(axis=0), local.max(axis=0)
    centre = ((low + high) / 2.0) @ upright  # back to the image frame (upright is orthonormal)
    return centre, _ROI_SCALE * max(float((high - low).max()), 1.0), angle


def _check_signature(interpreter: Interpreter, model_path: Path) -> tuple[int, int, int]:
    inputs = interpreter.get_input_details()
    outputs = {int(o["shape"][-1]): int(o["index"]) for o in interpreter.get_output_details()}
    shape_ok = len(inputs) == 1 and list(inputs[0]["shape"]) == [1, INPUT_SIZE, INPUT_SIZE, 3]
    if not shape_ok or inputs[0]["dtype"] != np.float32 or set(outputs) != {MESH_POINTS * 3, 1}:
        raise ModelsMissing(
            f"{model_path} is not MediaPipe's face landmark model (192x192 RGB in, 468x3 points out).",
            file=str(model_path),
        )
    return int(inputs[0]["index"]), outputs[MESH_POINTS * 3], outputs[1]
