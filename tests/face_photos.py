"""Photos for the worker, end-to-end and benchmark runs, cut with Pillow out of insightface's bundled
t1.jpg (six people in a row), so no test needs a download or /work/shared.

Crops are chosen so that each holds exactly the faces it names and no part of a neighbour's face.
`face_boxes` gives each crop's face boxes (dlib HOG boxes measured once on t1.jpg, moved into the
crop's coordinates) for checks on where a result may differ from its scene.
"""

from __future__ import annotations

import importlib.util
import io
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

# dlib HOG boxes on t1.jpg (x1, y1, x2, y2), left to right.
T1_FACE_BOXES: tuple[tuple[int, int, int, int], ...] = (
    (67, 283, 175, 390),
    (275, 176, 364, 265),
    (450, 295, 557, 402),
    (724, 367, 832, 474),
    (870, 67, 999, 196),
    (1118, 283, 1226, 390),
)

# Crop rectangles on t1.jpg and the faces (indexes into T1_FACE_BOXES) each one holds.
ONE_FACE_CROPS: dict[int, tuple[int, int, int, int]] = {
    1: (215, 96, 425, 335),
    4: (805, 0, 1065, 262),
    5: (1060, 240, 1280, 460),
}
TWO_FACE_CROPS: dict[tuple[int, int], tuple[int, int, int, int]] = {
    (0, 2): (10, 270, 620, 520),
    (3, 5): (670, 272, 1280, 560),
}


def insightface_photo_path(name: str) -> Path:
    """A sample photo the insightface package ships (t1.jpg, Tom_Hanks_54745.png, ...): the one loader."""
    spec = importlib.util.find_spec("insightface")
    assert spec is not None and spec.submodule_search_locations, "insightface is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "images" / name


def insightface_photo(name: str) -> bytes:
    return insightface_photo_path(name).read_bytes()


@cache
def t1() -> Image.Image:
    with Image.open(insightface_photo_path("t1.jpg")) as image:
        return image.convert("RGB")


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, format="JPEG", quality=95)
    else:
        image.save(out, format=image_format)
    return out.getvalue()


def crop(rect: tuple[int, int, int, int], image_format: str = "JPEG") -> bytes:
    return _encode(t1().crop(rect), image_format)


def one_face(face: int = 1, image_format: str = "JPEG") -> bytes:
    return crop(ONE_FACE_CROPS[face], image_format)


def two_faces(pair: tuple[int, int] = (0, 2), image_format: str = "JPEG") -> bytes:
    return crop(TWO_FACE_CROPS[pair], image_format)


def large_jpeg(face: int, min_bytes: int) -> bytes:
    """A photo of one face, enlarged and given fine grain until its JPEG is over `min_bytes`."""
    photo = Image.open(io.BytesIO(one_face(face))).convert("RGB")
    scale = 2
    while True:
        big = photo.resize((photo.width * scale, photo.height * scale), Image.Resampling.LANCZOS)
        pixels = np.asarray(big).astype(np.int16)
        grain = np.random.default_rng(face).integers(-6, 7, size=pixels.shape, dtype=np.int16)
        out = io.BytesIO()
        Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=97)
        if out.tell() > min_bytes:
            return out.getvalue()
        scale += 1


def no_face(image_format: str = "JPEG") -> bytes:
    """A real photo region with no face in it (the floor between the people)."""
    return crop((300, 700, 700, 886), image_format)


def face_boxes(rect: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """The T1 face boxes lying inside `rect`, in the crop's coordinates."""
    left, top, right, bottom = rect
    return [
        (x1 - left, y1 - top, x2 - left, y2 - top)
        for x1, y1, x2, y2 in T1_FACE_BOXES
        if x1 >= left and y1 >= top and x2 <= right and y2 <= bottom
    ]
