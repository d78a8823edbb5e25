"""The offline swap across pose and size (issue 8, item 5): a rolled source gives the same face, a
tight 112 px grey headshot works as source and as target, and a small face is swapped smoothly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine_layer.datatypes import Face
from engine_layer.offline import ClassicSwapper
from engine_layer.offline.colour import to_lab
from engine_layer.offline.geometry import extended_landmarks, face_size
from engine_layer.offline.masks import fill_polygon, outline_points, shrunk
from tests.engine.classic_faces import insightface_image, landmarker, t1_with_landmarks

ORIGIN = np.zeros(2, dtype=np.float32)


@pytest.fixture(scope="module")
def group() -> tuple[np.ndarray, list[Face]]:
    return t1_with_landmarks()


@pytest.fixture(scope="module")
def swapper() -> ClassicSwapper:
    return ClassicSwapper(landmarker())


def headshot() -> tuple[np.ndarray, Face]:
    """insightface's Tom Hanks crop: 112 px, grey, the face filling the frame."""
    image = insightface_image("Tom_Hanks_54745.png")
    assert image.shape[:2] == (112, 112)
    face = Face(
        bbox=np.array([4, 4, 108, 108], dtype=np.float32), score=1.0, kps=np.zeros((5, 2), np.float32)
    )
    face.landmarks68 = landmarker().landmarks(image, face)
    return image, face


def inside_outline(shape: tuple[int, ...], landmarks: np.ndarray) -> np.ndarray:
    return fill_polygon(shape[:2], outline_points(extended_landmarks(landmarks)), ORIGIN) > 0


def test_a_tight_grey_headshot_works_as_target(swapper, group) -> None:
    scene, faces = group
    target_image, target_face = headshot()
    result = swapper.swap(target_image, target_face, swapper.source_identity(scene, faces[0]))
    inside = inside_outline(target_image.shape, target_face.landmarks68)
    assert np.array_equal(result[~inside], target_image[~inside])
    assert np.abs(result.astype(int) - target_image.astype(int))[inside].mean() > 3
    assert np.abs(to_lab(result)[..., 1:]).max() < 3  # a grey photo stays grey


def test_a_tight_grey_headshot_works_as_source(swapper, group) -> None:
    scene, faces = group
    target = faces[2]
    source_image, source_face = headshot()
    result = swapper.swap(scene, target, swapper.source_identity(source_image, source_face))
    inside = inside_outline(scene.shape, target.landmarks68)
    assert np.array_equal(result[~inside], scene[~inside])
    core = shrunk(inside.astype(np.float32), round(face_size(target.landmarks68) * 0.1)) > 0
    changed = np.any(result != scene, axis=2)
    assert changed[core].mean() > 0.8  # the face is worn whole, not only where the crop reached


@pytest.mark.parametrize("degrees", [30, -30])
def test_a_rolled_source_gives_the_same_face(swapper, group, degrees) -> None:
    scene, faces = group
    source, target = faces[0], faces[2]
    height, width = scene.shape[:2]
    centre = tuple(float(v) for v in source.landmarks68.mean(axis=0))
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    rolled = cv2.warpAffine(
        scene, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )
    moved = source.landmarks68 @ matrix[:, :2].T + matrix[:, 2]
    rolled_face = Face(bbox=source.bbox, score=1.0, kps=source.kps, landmarks68=moved.astype(np.float32))

    upright = swapper.swap(scene, target, swapper.source_identity(scene, source))
    result = swapper.swap(scene, target, swapper.source_identity(rolled, rolled_face))
    core = shrunk(inside_outline(scene.shape, target.landmarks68).astype(np.float32), 8) > 0
    difference = np.linalg.norm(to_lab(result)[core] - to_lab(upright)[core], axis=1)
    assert difference.mean() < 3.0
    assert np.percentile(difference, 99) < 20.0  # no torn or stretched triangle anywhere
