"""The offline tier's ClassicRestorer: detail back, noise down, on the face and nowhere else."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine_layer.datatypes import Face
from engine_layer.offline import ClassicRestorer
from tests.engine.classic_faces import find_faces, insightface_image, landmarker, outline_mask


@pytest.fixture(scope="module")
def portrait() -> tuple[np.ndarray, Face]:
    scene = insightface_image("t1.jpg")
    face = find_faces(scene)[4]  # the largest of the six
    return scene, face


def _with_landmarks(image: np.ndarray, face: Face) -> Face:
    return Face(
        bbox=face.bbox, score=face.score, kps=face.kps, landmarks68=landmarker().landmarks(image, face)
    )


def _sharpness(image: np.ndarray, where: np.ndarray) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float64)
    return float(cv2.Laplacian(grey, cv2.CV_64F)[where].var())


def test_name_never_claims_gfpgan() -> None:
    assert ClassicRestorer.name == "classic-detail-restore"
    assert "gfpgan" not in ClassicRestorer.name.lower()


@pytest.mark.parametrize("use_landmarks", [True, False], ids=["landmark-outline", "box-ellipse"])
def test_only_the_face_changes(portrait, use_landmarks: bool) -> None:
    scene, face = portrait
    face = _with_landmarks(scene, face) if use_landmarks else face
    result = ClassicRestorer().restore(scene, face)
    assert result.shape == scene.shape and result.dtype == np.uint8
    changed = np.any(result != scene, axis=2)
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    rows, cols = np.nonzero(changed)
    assert changed.sum() > 0.2 * (x2 - x1) * (y2 - y1)
    if use_landmarks:
        assert not changed[~outline_mask(scene, face)].any()
    else:
        assert x1 <= cols.min() and cols.max() <= x2 and y1 <= rows.min() and rows.max() <= y2


def test_a_softened_face_gets_sharper(portrait) -> None:
    scene, face = portrait
    face = _with_landmarks(scene, face)
    soft = cv2.GaussianBlur(scene, (0, 0), 1.5)
    inside = outline_mask(scene, face)
    restored = ClassicRestorer().restore(soft, face)
    assert _sharpness(restored, inside) > 1.5 * _sharpness(soft, inside)


def test_a_noisy_face_gets_cleaner(portrait) -> None:
    scene, face = portrait
    face = _with_landmarks(scene, face)
    clean = cv2.GaussianBlur(scene, (0, 0), 1.0)  # the "true" face, free of the photo's own grain
    noise = np.random.default_rng(3).normal(0.0, 10.0, scene.shape)
    noisy = np.clip(clean + noise, 0, 255).astype(np.uint8)
    restored = ClassicRestorer().restore(noisy, face)
    inside = outline_mask(scene, face)

    def error(image: np.ndarray) -> float:
        return float(np.abs(image.astype(np.float64) - clean.astype(np.float64))[inside].mean())

    assert error(restored) < 0.8 * error(noisy)


def test_a_face_too_small_to_restore_is_left_alone() -> None:
    image = np.full((40, 40, 3), 120, dtype=np.uint8)
    tiny = Face(
        bbox=np.array([10, 10, 15, 15], dtype=np.float32), score=0.9, kps=np.zeros((5, 2), np.float32)
    )
    result = ClassicRestorer().restore(image, tiny)
    assert np.array_equal(result, image) and result is not image


def test_unusable_geometry_leaves_the_image_alone(portrait) -> None:
    scene, face = portrait
    broken = Face(bbox=np.full(4, np.nan, dtype=np.float32), score=0.9, kps=face.kps)
    assert np.array_equal(ClassicRestorer().restore(scene, broken), scene)
    # Landmarks that are not finite fall back to the detector's box, which still works.
    with_nan = Face(bbox=face.bbox, score=0.9, kps=face.kps, landmarks68=np.full((68, 2), np.nan))
    assert np.any(ClassicRestorer().restore(scene, with_nan) != scene)
