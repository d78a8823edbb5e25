"""`make eval`'s identity judge (dlib's descriptor) reads a rolled face as it reads the upright one: it
turns the face upright first (benchmarks.eval_common.upright). Without that, dlib's 68-point predictor,
which starts from an upright mean shape in the box, misreads a face rolled by 30 degrees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks import hard_edits as edits
from benchmarks.eval_common import Judge, upright
from engine_layer import manifest
from engine_layer.datatypes import Face
from engine_layer.engine import Engine
from engine_layer.landmarks import DlibLandmarker

ROLLS = (30.0, -30.0)


@pytest.fixture(scope="module")
def judge(model_dir: Path) -> Judge:
    return Judge(model_dir, DlibLandmarker(manifest.DLIB_68.path(model_dir)))


def bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image)[..., ::-1])


def only_face(engine: Engine, image: np.ndarray) -> Face:
    return max(engine.detector.detect(image), key=lambda face: face.area)


def test_upright_levels_the_eyes(engine: Engine, crop: Callable[..., Image.Image]) -> None:
    photo = edits.rotated(bgr(crop(2, margin=1.0)), 30.0)
    face = only_face(engine, photo)
    _, turned = upright(photo, face)
    (left_x, left_y), (right_x, right_y) = turned.kps[0], turned.kps[1]
    assert abs(np.degrees(np.arctan2(right_y - left_y, right_x - left_x))) < 0.5
    assert np.allclose(turned.bbox, face.bbox)


@pytest.mark.parametrize("index", [0, 1, 2, 4])
def test_a_rolled_face_reads_as_the_upright_one(
    engine: Engine, crop: Callable[..., Image.Image], judge: Judge, index: int
) -> None:
    photo = bgr(crop(index, margin=1.0))
    reference = judge.descriptor(photo, only_face(engine, photo))
    for degrees in ROLLS:
        rolled = edits.rotated(photo, degrees)
        distance = float(np.linalg.norm(judge.descriptor(rolled, only_face(engine, rolled)) - reference))
        # Read without turning upright, these faces moved 0.43-0.69 (dlib's same-person threshold is
        # 0.6); upright, at most 0.1. Identity margins in `make eval` go down to a few hundredths.
        assert distance < 0.12, (index, degrees, distance)
