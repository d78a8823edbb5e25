"""What the engine can say about each swap it made, for customers to ask their users for a better photo.

Every measure comes from what both tiers have: the detector's score and five keypoints, and the pixels.
Each face is put into ArcFace's aligned 112x112 frame (the similarity fit of its keypoints onto
insightface's canonical template), where the cheeks sit at fixed places whatever the photo's size or
tilt. Measures the swapper alone knows (the offline tier's `occluded_share` and `side_lighting` on its
source identity) are reported when the swapper provides them, and only then.

Measures (per face, `source` and `target`):
- `detection_score`: SCRFD's confidence, 0..1.
- `face_width_px`: width of the detected face box in the image's pixels.
- `yaw_degrees`: head turn estimated from the keypoints (nose against the eyes in the eye-aligned frame,
  nose tip depth taken as 0.8 half eye distances): 0 frontal, + toward the image's right; about +-10 deg.
- `roll_degrees`: tilt of the eye line, + clockwise in the image.
- `landmark_fit_residual`: RMS distance of the five keypoints from their best similarity fit to the
  canonical frontal template, in eye distances: 0.05-0.15 on ordinary portraits (a smile widens the
  mouth), larger for a strongly turned head or a keypoint the detector misplaced.
- `lighting_asymmetry`: median Lab lightness (0..100) of the face's left cheek minus its right cheek in
  the aligned frame: within +-8 under even light, 20 or more for a face lit hard from one side.
Per swap: `lighting_difference` (|source asymmetry - target asymmetry|, Lab L units),
`yaw_difference_degrees`, and `warnings` (WARNINGS below; the report's `warnings` is their union).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from insightface.utils import face_align

from engine_layer.datatypes import Face

logger = logging.getLogger(__name__)

# Warning -> when it is given. The README's API section documents the same list.
WARNINGS: dict[str, str] = {
    "low_detection_score": "a face was found with a detection score under 0.6 (blur, occlusion, odd light)",
    "low_resolution_source": "the source face is under 80 px wide: the result has little detail of its own",
    "small_target_face": "the target face is under 80 px wide: little room for detail and a soft edge",
    "large_pose_difference": "source and target heads are turned more than 30 degrees apart",
    "extreme_pose": "a face is turned more than 45 degrees or tilted more than 30 degrees",
    "poor_landmark_fit": "a face's keypoints fit a face's layout badly (residual over 0.25 eye distances)",
    "source_side_lit": "the source face is lit from one side (cheeks differ by more than 18 Lab L)",
    "lighting_mismatch": "source and target are lit from different sides (difference over 18 Lab L)",
    "source_occluded": "over 10% of the source face is hidden (hand, microphone, hair) and was not used",
}

MIN_DETECTION_SCORE = 0.6
MIN_FACE_WIDTH_PX = 80.0
MAX_YAW_DIFFERENCE = 30.0
MAX_YAW = 45.0
MAX_ROLL = 30.0
MAX_FIT_RESIDUAL = 0.25
MAX_SIDE_LIGHTING = 18.0
MAX_OCCLUDED_SHARE = 0.10

_TEMPLATE = face_align.arcface_dst.astype(np.float64)  # (5, 2): eyes, nose, mouth corners in 112x112
_ALIGNED = 112
# Cheek boxes in the aligned frame (x1, y1, x2, y2): below the eyes, beside the nose, above the mouth.
_LEFT_CHEEK = (20, 64, 38, 82)
_RIGHT_CHEEK = (74, 64, 92, 82)
_CHEEKS = (_LEFT_CHEEK, _RIGHT_CHEEK)
_NOSE_DEPTH = 0.8  # nose tip in front of the eyes' plane, in half eye distances (an average face)
_DECIMALS = 3


@dataclass(frozen=True)
class SwapInputs:
    """One swap as the engine planned it: where each face is and what the swapper read from the source."""

    target_index: int
    target_image: np.ndarray
    target: Face
    source_field: str
    source_index: int
    source_image: np.ndarray
    source: Face
    identity: object  # the swapper's source identity; may carry occluded_share / side_lighting


def report(swaps: Sequence[SwapInputs]) -> dict[str, Any]:
    """{"warnings": [...], "faces": [one entry per swap, in target order]}; JSON-ready, no NaN."""
    faces = [measure_swap(swap) for swap in swaps]
    warnings = sorted({warning for face in faces for warning in face["warnings"]})
    return {"warnings": warnings, "faces": faces}


def measure_swap(swap: SwapInputs) -> dict[str, Any]:
    source = measure_face(swap.source_image, swap.source)
    target = measure_face(swap.target_image, swap.target)
    for name in ("occluded_share", "side_lighting"):
        value = getattr(swap.identity, name, None)
        if isinstance(value, int | float) and math.isfinite(value):
            source[name] = round(float(value), _DECIMALS)
    entry: dict[str, Any] = {
        "target_index": swap.target_index,
        "source_image": swap.source_field,
        "source_index": swap.source_index,
        "source": source,
        "target": target,
        "yaw_difference_degrees": round(abs(source["yaw_degrees"] - target["yaw_degrees"]), 1),
    }
    if "lighting_asymmetry" in source and "lighting_asymmetry" in target:
        difference = abs(source["lighting_asymmetry"] - target["lighting_asymmetry"])
        entry["lighting_difference"] = round(difference, 1)
    entry["warnings"] = warnings_for(entry)
    return entry


def measure_face(image: np.ndarray, face: Face) -> dict[str, Any]:
    kps = np.asarray(face.kps, dtype=np.float64)
    x1, _, x2, _ = (float(v) for v in face.bbox)
    matrix = similarity_to_template(kps)
    measures: dict[str, Any] = {
        "detection_score": round(float(face.score), _DECIMALS),
        "face_width_px": round(max(0.0, x2 - x1), 1),
        "yaw_degrees": round(yaw_degrees(kps), 1),
        "roll_degrees": round(roll_degrees(kps), 1),
        "landmark_fit_residual": round(fit_residual(kps, matrix), _DECIMALS),
    }
    asymmetry = lighting_asymmetry(image, matrix)
    if asymmetry is not None:
        measures["lighting_asymmetry"] = round(asymmetry, 1)
    return measures


def warnings_for(entry: dict[str, Any]) -> list[str]:
    source, target = entry["source"], entry["target"]
    found: list[str] = []
    if min(source["detection_score"], target["detection_score"]) < MIN_DETECTION_SCORE:
        found.append("low_detection_score")
    if source["face_width_px"] < MIN_FACE_WIDTH_PX:
        found.append("low_resolution_source")
    if target["face_width_px"] < MIN_FACE_WIDTH_PX:
        found.append("small_target_face")
    if entry["yaw_difference_degrees"] > MAX_YAW_DIFFERENCE:
        found.append("large_pose_difference")
    if any(abs(f["yaw_degrees"]) > MAX_YAW or abs(f["roll_degrees"]) > MAX_ROLL for f in (source, target)):
        found.append("extreme_pose")
    if max(source["landmark_fit_residual"], target["landmark_fit_residual"]) > MAX_FIT_RESIDUAL:
        found.append("poor_landmark_fit")
    if abs(source.get("lighting_asymmetry", 0.0)) > MAX_SIDE_LIGHTING:
        found.append("source_side_lit")
    if entry.get("lighting_difference", 0.0) > MAX_SIDE_LIGHTING:
        found.append("lighting_mismatch")
    if source.get("occluded_share", 0.0) > MAX_OCCLUDED_SHARE:
        found.append("source_occluded")
    return found


def roll_degrees(kps: np.ndarray) -> float:
    dx, dy = kps[1] - kps[0]
    return math.degrees(math.atan2(dy, dx)) if dx or dy else 0.0


def yaw_degrees(kps: np.ndarray) -> float:
    """Nose tip's offset from the eyes' midpoint along the eye line, over half the eye distance, read
    through a face whose nose tip stands _NOSE_DEPTH half eye distances in front of the eyes."""
    eye_line = kps[1] - kps[0]
    half_eyes = float(np.linalg.norm(eye_line)) / 2.0
    if half_eyes < 1e-6:
        return 0.0
    offset = float((kps[2] - (kps[0] + kps[1]) / 2.0) @ (eye_line / (2.0 * half_eyes)))
    return math.degrees(math.atan2(offset / half_eyes, _NOSE_DEPTH))


def similarity_to_template(kps: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity (Umeyama) taking the five keypoints onto the ArcFace template,
    the fit insightface's norm_crop makes; all five points count (no outlier rejection)."""
    source_mean, target_mean = kps.mean(axis=0), _TEMPLATE.mean(axis=0)
    source, target = kps - source_mean, _TEMPLATE - target_mean
    variance = float((source**2).sum()) / len(kps)
    if variance < 1e-9:
        return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    u, singular, vt = np.linalg.svd(target.T @ source / len(kps))
    sign = np.diag([1.0, float(np.sign(np.linalg.det(u) * np.linalg.det(vt))) or 1.0])
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(singular) @ sign)) / variance
    return np.hstack([scale * rotation, (target_mean - scale * rotation @ source_mean)[:, None]])


def fit_residual(kps: np.ndarray, matrix: np.ndarray) -> float:
    """RMS distance of the keypoints from the template after the similarity fit, in eye distances."""
    moved = kps @ matrix[:, :2].T + matrix[:, 2]
    eye_distance = float(np.linalg.norm(_TEMPLATE[1] - _TEMPLATE[0]))
    return float(np.sqrt(np.mean(np.sum((moved - _TEMPLATE) ** 2, axis=1)))) / eye_distance


def lighting_asymmetry(image: np.ndarray, matrix: np.ndarray) -> float | None:
    """Left cheek minus right cheek median Lab lightness in the aligned frame (None: a cheek is not in
    the photo). Only the two cheek boxes are sampled, so the cost does not grow with the photo."""
    inverse = cv2.invertAffineTransform(matrix)
    height, width = image.shape[:2]
    medians = []
    for x1, y1, x2, y2 in _CHEEKS:
        corners = np.array([(x1, y1), (x2, y1), (x1, y2), (x2, y2)], dtype=np.float64)
        mapped = corners @ inverse[:, :2].T + inverse[:, 2]
        if mapped.min() < 0 or mapped[:, 0].max() >= width or mapped[:, 1].max() >= height:
            return None  # a cheek lies partly outside the photo
        shifted = matrix.copy()
        shifted[:, 2] -= (x1, y1)  # the box's corner at the output's origin
        cheek = cv2.warpAffine(image, shifted, (x2 - x1, y2 - y1), flags=cv2.INTER_LINEAR)
        lightness = cv2.cvtColor(cheek.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)[..., 0]
        medians.append(float(np.median(lightness)))
    return medians[0] - medians[1]
