"""Plain helpers for engine tests: CPU providers, t1.jpg's SCRFD face boxes and crops, image encoding."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]


CPU = ["CPUExecutionProvider"]


# Face boxes in t1.jpg (1280x886), left to right, as SCRFD finds them (x1, y1, x2, y2), rounded.
T1_BOXES = (
    (58, 263, 169, 395),
    (269, 147, 371, 265),
    (465, 265, 574, 416),
    (746, 339, 846, 481),
    (905, 54, 1013, 204),
    (1131, 272, 1225, 399),
)


def encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        options.setdefault("quality", 95)
    image.save(out, format=fmt, **options)
    return out.getvalue()


def around(face: int, margin: float = 0.6) -> tuple[int, int, int, int]:
    """A crop box holding t1's face `face` with `margin` (fraction of its size) on each side."""
    x1, y1, x2, y2 = T1_BOXES[face]
    w, h = x2 - x1, y2 - y1
    return (
        max(0, int(x1 - w * margin)),
        max(0, int(y1 - h * margin)),
        min(1280, int(x2 + w * margin)),
        min(886, int(y2 + h * margin)),
    )
