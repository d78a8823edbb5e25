"""The API's numpy SCRFD (detection.scrfd_numpy) finds the very faces the worker's insightface SCRFD finds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine_layer import manifest
from engine_layer.datatypes import DecodedImage, Face
from engine_layer.decode import decode_image
from engine_layer.detection.pipeline import letterbox
from engine_layer.detection.scrfd_insightface import ScrfdDetector
from engine_layer.detection.scrfd_numpy import FaceCounter
from engine_layer.errors import ModelsMissing
from tests.engine.helpers import CPU, encode


@pytest.fixture(scope="session")
def counter(model_dir: Path) -> FaceCounter:
    return FaceCounter(manifest.SCRFD.path(model_dir))


@pytest.fixture(scope="session")
def detector(model_dir: Path) -> ScrfdDetector:
    return ScrfdDetector(manifest.SCRFD.path(model_dir), CPU)


def assert_same_faces(api: list[Face], worker: list[Face]) -> None:
    assert len(api) == len(worker)
    for a, w in zip(api, worker, strict=True):
        assert np.abs(a.bbox - w.bbox).max() < 0.5
        assert np.abs(a.kps - w.kps).max() < 0.5
        assert abs(a.score - w.score) < 1e-3


def composite_with_background_face(t1_rgb: Image.Image, crop: Callable[..., Image.Image]) -> Image.Image:
    """One big face, plus a copy of another face shrunk far below 1/16 of its area: a background face."""
    scene = crop(3, margin=0.6).resize((440, 626), Image.Resampling.BICUBIC)
    tiny = crop(1, margin=0.3).resize((46, 53), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (700, 626), (120, 130, 140))
    canvas.paste(scene, (0, 0))
    canvas.paste(tiny, (560, 80))
    return canvas


def test_same_faces_on_t1(counter: FaceCounter, detector: ScrfdDetector, t1_image: DecodedImage) -> None:
    api = counter.faces(t1_image)
    assert len(api) == 6
    assert_same_faces(api, detector.detect(t1_image.pixels))


def test_same_face_on_a_close_up(
    counter: FaceCounter, detector: ScrfdDetector, tom_hanks_bytes: bytes
) -> None:
    decoded = decode_image(tom_hanks_bytes, "srcimage")
    api = counter.faces(decoded)
    assert len(api) == 1
    assert_same_faces(api, detector.detect(decoded.pixels))


@pytest.mark.parametrize("variant", ["grey", "small", "large", "tall", "rotated"])
def test_same_faces_on_variants(
    counter: FaceCounter,
    detector: ScrfdDetector,
    t1_rgb: Image.Image,
    crop: Callable[..., Image.Image],
    variant: str,
) -> None:
    image = {
        "grey": lambda: t1_rgb.convert("L"),
        "small": lambda: t1_rgb.resize((400, 277)),
        "large": lambda: t1_rgb.resize((2600, 1800)),
        "tall": lambda: crop(3, 4),
        "rotated": lambda: crop(2, 3).rotate(25, expand=True),
    }[variant]()
    decoded = decode_image(encode(image), "srcimage")
    api = counter.faces(decoded)
    assert_same_faces(api, detector.detect(decoded.pixels))


def test_background_rule_gives_the_same_answer(
    counter: FaceCounter, detector: ScrfdDetector, t1_rgb: Image.Image, crop: Callable[..., Image.Image]
) -> None:
    decoded = decode_image(encode(composite_with_background_face(t1_rgb, crop)), "srcimage")
    api = counter.faces(decoded)
    # The small face is a face to SCRFD, but the contract does not count it.
    assert len(api) == 1 and api[0].centre[0] < 440
    assert_same_faces(api, detector.detect(decoded.pixels))


def test_the_small_face_is_really_detected_before_the_rule(
    counter: FaceCounter, t1_rgb: Image.Image, crop: Callable[..., Image.Image]
) -> None:
    # Guards the test above: SCRFD itself reports both faces; only the background rule drops one.
    decoded = decode_image(encode(composite_with_background_face(t1_rgb, crop)), "srcimage")
    boxes, _ = counter.detect_canvas(letterbox(decoded.pixels)[0])
    assert boxes.shape[0] == 2


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelsMissing):
        FaceCounter(manifest.SCRFD.path(tmp_path))
