"""The offline tier's ClassicSwapper on real photos (insightface's t1.jpg: six people; Tom Hanks)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine_layer.datatypes import Face
from engine_layer.errors import EngineError
from engine_layer.offline import ClassicSwapper
from engine_layer.offline.colour import to_lab
from engine_layer.offline.geometry import (
    BROWS,
    JAW,
    extended_landmarks,
    face_size,
    forehead_points,
    mirror,
    yaw,
)
from engine_layer.offline.masks import fill_polygon, lips_mask, outline_points
from engine_layer.offline.swapper import mirrored_face
from engine_layer.offline.warp import Region, triangulate, warp_piecewise_affine
from tests.engine.classic_faces import (
    descriptor,
    find_faces,
    insightface_image,
    landmarker,
    mean_lab,
    outline_mask,
    skin_pixels,
)


@pytest.fixture(scope="module")
def group() -> tuple[np.ndarray, list[Face]]:
    image = insightface_image("t1.jpg")
    faces = find_faces(image)
    assert len(faces) == 6
    return image, faces


@pytest.fixture(scope="module")
def hanks() -> tuple[np.ndarray, Face]:
    # The 112 px crop is too small for dlib's finder; at 4x it is an ordinary portrait.
    image = cv2.resize(
        insightface_image("Tom_Hanks_54745.png"), None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC
    )
    faces = find_faces(image)
    assert len(faces) == 1
    return image, faces[0]


@pytest.fixture(scope="module")
def swapper() -> ClassicSwapper:
    return ClassicSwapper(landmarker())


def test_name_is_the_classic_one(swapper: ClassicSwapper) -> None:
    assert swapper.name == "classic-landmark-warp"


def test_only_the_target_face_changes(swapper: ClassicSwapper, group, hanks) -> None:
    scene, faces = group
    target = faces[2]
    result = swapper.swap(scene, target, swapper.source_identity(*hanks))

    assert result.shape == scene.shape and result.dtype == np.uint8
    inside = outline_mask(scene, target)
    changed = np.any(result != scene, axis=2)
    assert not changed[~inside].any(), "a pixel outside the target's face outline changed"
    assert changed[inside].mean() > 0.5, "the face itself was barely touched"
    assert np.abs(result.astype(int) - scene.astype(int))[inside].mean() > 8


def test_result_looks_like_the_source_not_the_target(swapper: ClassicSwapper, group, hanks) -> None:
    scene, faces = group
    source_image, source_face = hanks
    source_descriptor = descriptor(source_image, source_face)
    identity = swapper.source_identity(source_image, source_face)
    for target in faces[1:4]:
        before_target = np.linalg.norm(descriptor(scene, target) - source_descriptor)
        result = swapper.swap(scene, target, identity)
        after = descriptor(result, target)
        to_source = np.linalg.norm(after - source_descriptor)
        to_target = np.linalg.norm(after - descriptor(scene, target))
        assert to_source < to_target, (to_source, to_target)
        assert to_source < before_target  # it moved toward the source


def test_swap_between_two_people_in_one_photo(swapper: ClassicSwapper, group) -> None:
    scene, faces = group
    first, second = faces[0], faces[4]
    result = swapper.swap(scene, second, swapper.source_identity(scene, first))
    after = descriptor(result, second)
    assert np.linalg.norm(after - descriptor(scene, first)) < np.linalg.norm(
        after - descriptor(scene, second)
    )


def test_colour_and_light_follow_the_scene_not_the_source(swapper: ClassicSwapper, group, hanks) -> None:
    """A source shot under bright bluish light must still wear the scene's skin tone."""
    scene, faces = group
    target = faces[3]
    source_image, source_face = hanks
    lab = to_lab(source_image)
    lab[..., 0] = np.clip(lab[..., 0] * 1.35 + 10, 0, 100)
    lab[..., 2] -= 25  # towards blue
    tinted = np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2BGR) * 255 + 0.5, 0, 255).astype(np.uint8)

    skin_source = skin_pixels(tinted, source_face)
    skin_scene = skin_pixels(scene, target)
    scene_colour = mean_lab(scene, skin_scene)
    assert np.linalg.norm(mean_lab(tinted, skin_source) - scene_colour) > 25  # the test can fail

    result = swapper.swap(scene, target, swapper.source_identity(tinted, source_face))
    assert np.linalg.norm(mean_lab(result, skin_scene) - scene_colour) < 6


def test_lips_take_the_scene_lip_colour(swapper: ClassicSwapper, group) -> None:
    """Lips mapped with the skin's colour shift turn violet; they must end near the scene's own lips."""
    scene, faces = group
    source, target = faces[0], faces[4]

    def lips(image: np.ndarray, face: Face) -> np.ndarray:
        return lips_mask(image.shape[:2], swapper.landmarks(image, face), np.zeros(2, np.float32)) > 0.5

    result = swapper.swap(scene, target, swapper.source_identity(scene, source))
    scene_lips = mean_lab(scene, lips(scene, target))[1:]
    result_lips = mean_lab(result, lips(result, target))[1:]
    assert np.linalg.norm(result_lips - scene_lips) < 5


def test_bright_background_does_not_wash_the_face_out(swapper: ClassicSwapper, group, hanks) -> None:
    """Poisson blending pulls a face toward a white wall behind it; the face must keep its tone."""
    scene, faces = group
    target = faces[1]
    inside = outline_mask(scene, target)
    grown = cv2.dilate(inside.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    bright = scene.copy()
    bright[~grown] = 255
    skin = skin_pixels(scene, target)

    result = swapper.swap(bright, target, swapper.source_identity(*hanks))
    lightness_before = mean_lab(bright, skin)[0]
    lightness_after = mean_lab(result, skin)[0]
    assert abs(lightness_after - lightness_before) < 5
    inside_bright = outline_mask(bright, target)  # the landmarker's view of the brightened photo
    assert np.array_equal(result[~inside_bright], bright[~inside_bright])


def test_grey_scene_gets_a_grey_face(swapper: ClassicSwapper, group) -> None:
    scene, faces = group
    source_chroma = to_lab(scene)[skin_pixels(scene, faces[0])][:, 1:]
    assert np.abs(source_chroma).mean() > 5  # a coloured source face (the test can fail)
    grey = cv2.cvtColor(cv2.cvtColor(scene, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    result = swapper.swap(grey, faces[2], swapper.source_identity(scene, faces[0]))
    chroma = to_lab(result)[outline_mask(grey, faces[2])][:, 1:]
    assert np.abs(chroma).mean() < 1.5


def test_face_cut_by_the_border(swapper: ClassicSwapper, group, hanks) -> None:
    scene, faces = group
    target = faces[0]
    x_cut = round(float(target.centre[0]))  # the left half of the photo up to the face's middle
    cut = np.ascontiguousarray(scene[:, :x_cut])
    target_cut = find_faces(cut)
    if not target_cut:  # dlib's finder may not see half a face; the box from the whole photo still holds
        target_cut = [target]
    result = swapper.swap(cut, target_cut[0], swapper.source_identity(*hanks))
    assert result.shape == cut.shape
    inside = outline_mask(cut, target_cut[0])
    assert np.array_equal(result[~inside], cut[~inside])
    assert np.any(result != cut)


def test_source_with_half_its_face_outside_the_image(swapper: ClassicSwapper, group, hanks) -> None:
    scene, faces = group
    source_image, source_face = hanks
    x_cut = round(float(source_face.centre[0]) + 20)
    half = np.ascontiguousarray(source_image[:, :x_cut])
    result = swapper.swap(scene, faces[2], swapper.source_identity(half, source_face))
    inside = outline_mask(scene, faces[2])
    assert np.array_equal(result[~inside], scene[~inside])


def test_tiny_face_is_swapped_without_error(swapper: ClassicSwapper, group, hanks) -> None:
    scene, faces = group
    small = cv2.resize(scene, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    target = Face(
        bbox=faces[2].bbox * 0.25,
        score=1.0,
        kps=faces[2].kps * 0.25,
        landmarks68=landmarker().landmarks(scene, faces[2]) * 0.25,
    )
    result = swapper.swap(small, target, swapper.source_identity(*hanks))
    assert result.shape == small.shape
    outline = outline_points(extended_landmarks(target.landmarks68))
    inside = fill_polygon(small.shape[:2], outline, np.zeros(2, dtype=np.float32)) > 0
    assert np.array_equal(result[~inside], small[~inside])
    assert np.any(result[inside] != small[inside])


def test_unusable_landmarks_are_an_engine_error(swapper: ClassicSwapper, group) -> None:
    scene, faces = group
    broken = Face(bbox=faces[0].bbox, score=1.0, kps=faces[0].kps, landmarks68=np.full((68, 2), np.nan))
    with pytest.raises(EngineError):
        swapper.source_identity(scene, broken)


def test_forehead_points_sit_above_the_brows_and_within_the_jaw(group) -> None:
    scene, faces = group
    points = landmarker().landmarks(scene, faces[2])
    forehead = forehead_points(points)
    assert forehead.shape == (15, 2)
    assert forehead[:, 1].min() < points[BROWS][:, 1].min() - 5  # the arc rises above the brows
    slack = 0.05 * face_size(points)  # a tilted head leans the arc a little past the jaw's span
    assert points[JAW][:, 0].min() - slack <= forehead[:, 0].min()
    assert forehead[:, 0].max() <= points[JAW][:, 0].max() + slack
    assert extended_landmarks(points).shape == (83, 2)


def test_piecewise_warp_reproduces_a_known_affine_map() -> None:
    rng = np.random.default_rng(7)
    source = cv2.GaussianBlur(rng.integers(0, 256, (120, 120, 3), dtype=np.uint8), (0, 0), 2)
    source_points = rng.uniform(20, 100, (12, 2)).astype(np.float32)
    # target = source shifted by (+5, +3): the warp must fetch each target pixel from 5, 3 back.
    target_points = source_points + np.array([5, 3], dtype=np.float32)
    region = Region.around(target_points, 0, (140, 140))
    warped, coverage = warp_piecewise_affine(
        source, source_points, target_points, triangulate(target_points), region
    )
    ys, xs = np.nonzero(coverage > 0)
    expected = source[ys + region.y - 3, xs + region.x - 5]
    assert np.abs(warped[ys, xs].astype(int) - expected.astype(int)).max() <= 1
    assert coverage.sum() > 1000


def test_mirroring_swaps_sides_and_undoes_itself(group) -> None:
    scene, faces = group
    points = extended_landmarks(landmarker().landmarks(scene, faces[2]))
    flipped_image, flipped = mirror(scene, points)
    assert np.array_equal(flipped_image[:, ::-1], scene)
    # The subject's right eye (36-41) is on the image's left before and after the flip.
    assert flipped[36:42, 0].mean() < flipped[42:48, 0].mean()
    assert yaw(flipped[:68]) == pytest.approx(-yaw(points[:68]), abs=1e-4)
    again_image, again = mirror(flipped_image, flipped)
    assert np.array_equal(again_image, scene) and np.allclose(again, points, atol=1e-3)


def test_a_source_turned_the_other_way_still_gives_its_identity(swapper: ClassicSwapper, group) -> None:
    """The source is mirrored so its head turns the other way from the target's: the swap must cope."""
    scene, faces = group
    source, target = faces[0], faces[4]
    flipped_scene = np.ascontiguousarray(scene[:, ::-1])
    flipped_face = mirrored_face(source, scene.shape[1])  # box and key points where the flip put them
    result = swapper.swap(scene, target, swapper.source_identity(flipped_scene, flipped_face))
    after = descriptor(result, target)
    to_source = np.linalg.norm(after - descriptor(flipped_scene, flipped_face))
    assert to_source < np.linalg.norm(after - descriptor(scene, target))
