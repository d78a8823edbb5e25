"""The offline swap keeps the target's light and what is in front of either face (issue 8, items 1-3).

Each case compares a swap from a spoiled source (a hard shadow, a grey disc on the chin)
with the swap from the clean source, inside the target's inner face, with the source's landmarks held
fixed so only the swap's own handling is measured (a landmarker's jitter is not the swapper's).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine_layer.datatypes import Face
from engine_layer.offline import ClassicSwapper, LandmarkFace
from engine_layer.offline.colour import to_lab
from engine_layer.offline.geometry import BROWS, extended_landmarks, face_size
from engine_layer.offline.masks import FaceMasks, fill_polygon, outline_points, shrunk
from tests.engine.classic_faces import landmarker, t1_with_landmarks

ORIGIN = np.zeros(2, dtype=np.float32)


@pytest.fixture(scope="module")
def group() -> tuple[np.ndarray, list[Face]]:
    return t1_with_landmarks()


@pytest.fixture(scope="module")
def source(group) -> tuple[np.ndarray, Face]:
    """An evenly lit colour face (the first in t1.jpg) to spoil."""
    scene, faces = group
    return scene, faces[0]


@pytest.fixture(scope="module")
def swapper() -> ClassicSwapper:
    return ClassicSwapper(landmarker())


def inner_face(shape: tuple[int, ...], landmarks: np.ndarray) -> np.ndarray:
    hard = fill_polygon(shape[:2], outline_points(extended_landmarks(landmarks)), ORIGIN)
    return shrunk(hard, round(face_size(landmarks) * 0.08)) > 0


def lab_distance(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    return float(np.linalg.norm(to_lab(a)[where] - to_lab(b)[where], axis=1).mean())


def half_shadow(image: np.ndarray, landmarks: np.ndarray, factor: float = 0.45) -> np.ndarray:
    """The image darkened to `factor` past the nose line (27 -> 33), with a soft edge."""
    top, bottom = landmarks[27], landmarks[33]
    normal = np.array([bottom[1] - top[1], top[0] - bottom[0]], dtype=np.float64)
    normal /= np.linalg.norm(normal)
    ys, xs = np.mgrid[: image.shape[0], : image.shape[1]]
    signed = (xs - top[0]) * normal[0] + (ys - top[1]) * normal[1]
    past = 1.0 / (1.0 + np.exp(-signed / (0.02 * face_size(landmarks))))
    return np.clip(image * (1.0 - (1.0 - factor) * past)[..., None], 0, 255).astype(np.uint8)


def grey_disc(
    image: np.ndarray, centre: np.ndarray, axes: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """A flat grey ellipse with a light rim drawn over `image`; the copy and the ellipse's pixels."""
    spoiled = image.copy()
    where = np.zeros(image.shape[:2], dtype=np.uint8)
    middle = (round(float(centre[0])), round(float(centre[1])))
    size = (round(axes[0]), round(axes[1]))
    cv2.ellipse(spoiled, middle, size, 0, 0, 360, (225, 225, 225), -1)
    cv2.ellipse(spoiled, middle, (size[0] - 3, size[1] - 3), 0, 0, 360, (128, 128, 128), -1)
    cv2.ellipse(where, middle, size, 0, 0, 360, 1, -1)
    return spoiled, where > 0


def same_face(face: Face) -> Face:
    return Face(bbox=face.bbox, score=face.score, kps=face.kps, landmarks68=face.landmarks68)


@pytest.mark.parametrize("target_index", [2, 3])
def test_a_hard_shadow_on_the_source_does_not_reach_the_result(swapper, group, source, target_index) -> None:
    scene, faces = group
    target = faces[target_index]
    source_image, source_face = source
    shadowed = half_shadow(source_image, source_face.landmarks68)
    inside = inner_face(scene.shape, target.landmarks68)

    clean = swapper.swap(scene, target, swapper.source_identity(source_image, same_face(source_face)))
    result = swapper.swap(scene, target, swapper.source_identity(shadowed, same_face(source_face)))
    # Before the lighting transfer this was 6.3-6.6; issue 8 aims at 3 (reached on larger faces).
    assert lab_distance(result, clean, inside) <= 4.0


@pytest.mark.parametrize("target_index", [2, 3])
def test_an_occluder_on_the_source_is_not_transferred(swapper, group, source, target_index) -> None:
    scene, faces = group
    target = faces[target_index]
    source_image, source_face = source
    points = source_face.landmarks68
    size = face_size(points)
    spoiled, _ = grey_disc(source_image, points[8] - [0.0, 0.08 * size], (0.2 * size, 0.1 * size))
    inside = inner_face(scene.shape, target.landmarks68)

    clean_identity = swapper.source_identity(source_image, same_face(source_face))
    spoiled_identity = swapper.source_identity(spoiled, same_face(source_face))
    clean = swapper.swap(scene, target, clean_identity)
    result = swapper.swap(scene, target, spoiled_identity)
    # Issue 8's goal is 3 on photo-sized faces; on these small ones the disc moved the swap by 2.0-2.3
    # when it was transferred, and by about 1 now that the scene's own skin shading fills its place.
    assert lab_distance(result, clean, inside) <= 1.5
    # The disc covers about a tenth of the searched skin; the clean face has a few hair strands.
    assert spoiled_identity.occluded_share > clean_identity.occluded_share + 0.05


def test_an_occluder_on_the_target_stays_in_front(swapper, group, source) -> None:
    scene, faces = group
    target = faces[2]
    points = target.landmarks68
    size = face_size(points)
    spoiled, disc = grey_disc(scene, points[3] * 0.55 + points[31] * 0.45, (0.1 * size, 0.14 * size))

    result = swapper.swap(spoiled, same_face(target), swapper.source_identity(*source))
    assert np.any(result != spoiled)  # the face itself was swapped
    unchanged = np.all(result[disc] == spoiled[disc], axis=1)
    assert unchanged.mean() >= 0.95


def test_side_lighting_says_how_one_sided_the_source_light_is(swapper, source) -> None:
    source_image, source_face = source
    even: LandmarkFace = swapper.source_identity(source_image, same_face(source_face))
    shadowed = swapper.source_identity(
        half_shadow(source_image, source_face.landmarks68), same_face(source_face)
    )
    assert 0.0 <= even.side_lighting < 0.2
    assert shadowed.side_lighting > 0.4


def test_brows_are_never_taken_for_hair(group) -> None:
    """A gated brow lets the target's own brow show beside the source's: a second pair of brows."""
    scene, faces = group
    for face in faces:
        extended = extended_landmarks(face.landmarks68)
        gate = FaceMasks(scene.shape[:2], extended, ORIGIN).forehead_gate(to_lab(scene))
        brows = np.zeros(scene.shape[:2], dtype=bool)
        for half in (BROWS[:5], BROWS[5:]):
            brows |= fill_polygon(scene.shape[:2], face.landmarks68[half], ORIGIN) > 0
        assert gate[brows].min() > 0.99
