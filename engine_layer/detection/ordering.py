"""The contract's face numbering: background faces dropped, the rest numbered left to right. No cv2."""

from __future__ import annotations

from collections.abc import Iterable

from engine_layer.datatypes import Face
from engine_layer.detection.thresholds import BACKGROUND_AREA_RATIO
from engine_layer.errors import FaceCountMismatch, NoFaceDetected


def drop_background(faces: Iterable[Face]) -> list[Face]:
    kept = list(faces)
    if not kept:
        return kept
    largest = max(face.area for face in kept)
    return [face for face in kept if face.area >= largest * BACKGROUND_AREA_RATIO]


def order_faces(faces: Iterable[Face]) -> list[Face]:
    """Foreground faces numbered left to right by box centre; ties top to bottom."""
    return sorted(drop_background(faces), key=lambda face: (face.centre[0], face.centre[1]))


def require_count(field: str, faces: list[Face], expected: int) -> list[Face]:
    """The contract's answer when `field` holds the wrong number of (foreground) faces."""
    if not faces:
        raise NoFaceDetected(field)
    if len(faces) != expected:
        raise FaceCountMismatch(field, expected, len(faces))
    return faces
