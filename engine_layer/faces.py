"""The contract's face numbering, and the detection settings every face-finding path shares.

API pre-check (engine_layer.precheck) and worker (engine_layer.detection) both take their threshold and
ordering from here, so a photo the API accepts is a photo the worker sees with the same faces. No cv2.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine_layer.datatypes import Face
from engine_layer.errors import FaceCountMismatch, NoFaceDetected

# SCRFD settings: insightface's defaults for the model family (score >= 0.5, NMS IoU 0.4).
DETECTION_THRESHOLD = 0.5
NMS_THRESHOLD = 0.4
# The detector sees the image scaled to fit this square (SCRFD's fixed 640x640 input).
DETECTOR_INPUT_SIZE = 640
# Faces larger than this (detector box side, px) are swapped and restored on a crop shrunk to it
# (face_crop): past it more pixels add cost, not detail. inswapper sees a 128 px aligned crop and GFPGAN
# a 512 px one (a box of about 280 px); the classic swap carries the source face's own detail, and source
# photos' faces are rarely above 700 px. A 768 px box is about a 1400 px aligned face. The worker's
# FACESWAP_FACE_RESOLUTION overrides it.
DEFAULT_FACE_RESOLUTION = 768
# Contract: a face whose box is under 1/16 of the largest face's box (same image) is background.
BACKGROUND_AREA_RATIO = 1.0 / 16.0


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
