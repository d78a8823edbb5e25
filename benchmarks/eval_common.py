"""What `make eval`'s pair table and hard set share: photos, faces, the independent judge, tiles."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np
from PIL import Image, ImageOps

from engine_layer import manifest
from engine_layer.datatypes import Face
from engine_layer.landmarks import DlibLandmarker

SAME_PERSON = 0.6  # dlib's own threshold for its 128-D descriptor
TILE = 176


@dataclass(frozen=True)
class PhotoFace:
    photo: str
    index: int
    image: np.ndarray
    face: Face
    descriptor: np.ndarray
    label: str = ""


class Judge:
    """dlib's face descriptor, used only to judge: the swapper never sees it."""

    def __init__(self, model_dir: Path, landmarker: DlibLandmarker) -> None:
        self._recogniser = dlib.face_recognition_model_v1(str(manifest.DLIB_RECOGNITION.path(model_dir)))
        self._landmarker = landmarker

    def descriptor(self, image: np.ndarray, face: Face) -> np.ndarray:
        image, face = upright(image, face)
        points = self._landmarker.landmarks(image, face)
        x1, y1, x2, y2 = (round(float(v)) for v in face.bbox)
        shape = dlib.full_object_detection(
            dlib.rectangle(x1, y1, x2, y2), [dlib.point(round(float(x)), round(float(y))) for x, y in points]
        )
        rgb = np.ascontiguousarray(image[..., ::-1])
        return np.asarray(self._recogniser.compute_face_descriptor(rgb, shape), dtype=np.float64)


def upright(image: np.ndarray, face: Face) -> tuple[np.ndarray, Face]:
    """The photo turned about the face's box centre so its eyes (SCRFD's first two points) are level,
    and the face turned with it.

    dlib's 68-point predictor starts from an upright mean shape in the box and misreads a rolled face:
    biden.jpg turned by -30 degrees moved its own descriptor by 0.21 (0.06 at +30, 0.04 at +-10),
    as far as the margins the judge decides. Upright, the judge reads every roll alike.
    """
    (left_x, left_y), (right_x, right_y) = face.kps[0], face.kps[1]
    roll = float(np.degrees(np.arctan2(right_y - left_y, right_x - left_x)))
    if abs(roll) < 1.0:
        return image, face
    centre = face.centre
    matrix = cv2.getRotationMatrix2D(centre, roll, 1.0)
    height, width = image.shape[:2]
    turned = cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    kps = (face.kps.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
    # Turning about the box's centre keeps the box where it is; an upright face's box is about as large.
    return turned, Face(bbox=face.bbox, score=face.score, kps=kps)


def load_photo(path: Path) -> np.ndarray:
    with Image.open(path) as opened:
        rgb = ImageOps.exif_transpose(opened).convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb)[..., ::-1])


def load_photo_bytes(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as opened:
        return np.ascontiguousarray(np.asarray(opened.convert("RGB"))[..., ::-1])


def crop(image: np.ndarray, face: Face, size: int = TILE) -> np.ndarray:
    """A square tile around the face (its box plus 40% each side), black where it leaves the photo."""
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    centre_x, centre_y = (x1 + x2) / 2, (y1 + y2) / 2
    half = max(1, int(max(x2 - x1, y2 - y1) * 0.7))
    padded = cv2.copyMakeBorder(image, half, half, half, half, cv2.BORDER_CONSTANT)
    top, left = int(centre_y), int(centre_x)
    return cv2.resize(padded[top : top + 2 * half, left : left + 2 * half], (size, size), cv2.INTER_AREA)


def _box_tile(
    image: np.ndarray, box: tuple[float, float, float, float], width: int, height: int
) -> np.ndarray:
    x1, y1, x2, y2 = box
    pad = int(max(x2 - x1, y2 - y1)) + 2
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT)
    part = padded[int(y1) + pad : int(y2) + pad, int(x1) + pad : int(x2) + pad]
    if part.size == 0:
        return np.zeros((height, width, 3), np.uint8)
    return cv2.resize(part, (width, height), interpolation=cv2.INTER_CUBIC)


def brow_and_jaw(image: np.ndarray, landmarks: np.ndarray, size: int = TILE) -> np.ndarray:
    """One tile: the brow line (where a second pair of brows or a light band shows) above the jaw
    (where a hard edge against the neck or hair shows), each magnified to half a tile."""
    width = float(landmarks[26, 0] - landmarks[17, 0])
    brow_y = float(landmarks[17:27, 1].mean())
    brow = (
        landmarks[17, 0] - 0.15 * width,
        brow_y - 0.3 * width,
        landmarks[26, 0] + 0.15 * width,
        brow_y + 0.15 * width,
    )
    jaw_top = float(landmarks[57, 1])
    jaw = (landmarks[3, 0], jaw_top, landmarks[13, 0], float(landmarks[8, 1]) + 0.2 * width)
    return np.vstack([_box_tile(image, brow, size, size // 2), _box_tile(image, jaw, size, size - size // 2)])


def caption(lines: list[str], width: int, ok: bool) -> np.ndarray:
    strip = np.full((16 + 17 * len(lines), width, 3), 255, dtype=np.uint8)
    colour = (0, 120, 0) if ok else (0, 0, 200)
    for row, text in enumerate(lines):
        cv2.putText(strip, text, (4, 15 + 17 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.42, colour, 1, cv2.LINE_AA)
    return strip


def contact_sheet(cells: list[np.ndarray], columns: int) -> np.ndarray:
    height = max(cell.shape[0] for cell in cells)
    cells = [
        cv2.copyMakeBorder(c, 0, height - c.shape[0], 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        for c in cells
    ]
    blank = np.full_like(cells[0], 255)
    padded = cells + [blank] * (-len(cells) % columns)
    rows = [np.hstack(padded[i : i + columns]) for i in range(0, len(padded), columns)]
    return np.vstack(rows)
