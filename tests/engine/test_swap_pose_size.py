"""The offline swap across pose and size (issue 8, item 5): a rolled source gives the same face, no warp
triangle is stretched for yaw to 45 degrees and roll to 30 (a profile source's far cheek is worn from its
mirror image), a tight 112 px grey headshot works as source and as target, and a small face is swapped
smoothly."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from engine_layer.datatypes import Face
from engine_layer.offline import ClassicSwapper
from engine_layer.offline.colour import to_lab
from engine_layer.offline.geometry import extended_landmarks, face_size, mirror
from engine_layer.offline.layout import CANONICAL_POINTS, FACE_TRIANGLES
from engine_layer.offline.masks import fill_polygon, outline_points, shrunk
from engine_layer.offline.swapper import Texture, WarpPlan, warp_plan
from engine_layer.offline.warp import Region
from tests.engine.classic_faces import insightface_image, landmarker, t1_with_landmarks
from tests.engine.poses import rolled_about

ORIGIN = np.zeros(2, dtype=np.float32)
# warp.triangle_stretch over 99% of the face: same-way turns to 45 degrees measure 2-14 on t1.jpg, a
# profile's thin far cheek smeared over a frontal face's 19-45.
STRETCH_LIMIT = 16.0
BLOCK_LIMIT = 1.25


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
    rolled, rolled_face = rolled_about(scene, source, degrees)

    upright = swapper.swap(scene, target, swapper.source_identity(scene, source))
    result = swapper.swap(scene, target, swapper.source_identity(rolled, rolled_face))
    core = shrunk(inside_outline(scene.shape, target.landmarks68).astype(np.float32), 8) > 0
    difference = np.linalg.norm(to_lab(result)[core] - to_lab(upright)[core], axis=1)
    assert difference.mean() < 3.0
    assert np.percentile(difference, 99) < 20.0  # no torn or stretched triangle anywhere


def worst_stretch(swapper: ClassicSwapper, source_image, source_face, target68) -> float:
    """The anisotropy that triangles covering 99% of the target face's area stay under."""
    plan = warp_plan(swapper.source_identity(source_image, source_face), target68)
    stretch, areas = plan.stretch()
    order = np.argsort(stretch)
    covered = np.cumsum(areas[order]) / areas.sum()
    return float(stretch[order][np.searchsorted(covered, 0.99)])


# t1.jpg's faces by SCRFD-keypoint yaw (quality.yaw_degrees): 0: +5, 1: -52, 2: +10, 3: -22, 4: -45, 5: -25.
@pytest.mark.parametrize(
    ("source_index", "target_index"), [(0, 2), (2, 3), (3, 5), (5, 4), (4, 5), (3, 4), (2, 5)]
)
@pytest.mark.parametrize("degrees", [0, 30, -30])
def test_no_triangle_is_stretched_across_yaw_to_45_and_roll_to_30(
    swapper, group, source_index, target_index, degrees
) -> None:
    """Heads turned up to 45 degrees the same way, either face rolled by up to 30: every triangle of the
    warp keeps its shape within a factor (a torn or smeared triangle is stretched 20-1000x)."""
    scene, faces = group
    source_image, source_face = rolled_about(scene, faces[source_index], degrees)
    _, target = rolled_about(scene, faces[target_index], -degrees)
    assert worst_stretch(swapper, source_image, source_face, target.landmarks68) < STRETCH_LIMIT


def blockiness(image: np.ndarray, where: np.ndarray, period: int) -> float:
    """Mean step between columns and rows at multiples of `period` over the mean step elsewhere (1: none)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    steps = [np.abs(np.diff(grey, axis=1)), np.abs(np.diff(grey, axis=0)).T]
    masks_ = [where[:, 1:] & where[:, :-1], (where[1:] & where[:-1]).T]
    on, off = [], []
    for step, mask in zip(steps, masks_, strict=True):
        grid = (np.arange(step.shape[1]) % period) == period - 1
        on.append(step[:, grid][mask[:, grid]])
        off.append(step[:, ~grid][mask[:, ~grid]])
    return float(np.concatenate(on).mean() / max(np.concatenate(off).mean(), 1e-6))


@pytest.mark.parametrize("period", [2, 4, 8])
def test_faces_under_80_px_are_swapped_without_blocks(swapper, group, period) -> None:
    """t1.jpg at 45%: faces about 50 px wide, as target and as source (worn on a full-size face)."""
    scene, faces = group
    small = cv2.resize(scene, None, fx=0.45, fy=0.45, interpolation=cv2.INTER_AREA)
    scale = np.array([small.shape[1] / scene.shape[1], small.shape[0] / scene.shape[0]], np.float32)

    def shrunk_face(face: Face) -> Face:
        return Face(
            bbox=face.bbox * 0.45, score=1.0, kps=face.kps * scale, landmarks68=face.landmarks68 * scale
        )

    tiny_target, tiny_source = shrunk_face(faces[2]), shrunk_face(faces[0])
    assert face_size(tiny_target.landmarks68) < 80 and face_size(tiny_source.landmarks68) < 80
    on_small = swapper.swap(small, tiny_target, swapper.source_identity(scene, faces[0]))
    from_small = swapper.swap(scene, faces[2], swapper.source_identity(small, tiny_source))
    for result, image, face in ((on_small, small, tiny_target), (from_small, scene, faces[2])):
        inside = inside_outline(image.shape, face.landmarks68)
        assert np.array_equal(result[~inside], image[~inside])
        assert np.any(result != image, axis=2)[inside].mean() > 0.5
        assert blockiness(result, inside, period) < BLOCK_LIMIT


@pytest.mark.parametrize(("source_index", "target_index"), [(1, 0), (4, 2)])
def test_a_profile_source_on_a_frontal_target_is_not_smeared(
    swapper, group, source_index, target_index
) -> None:
    """The far cheek of a face turned 45-52 degrees is a strip a few pixels wide; worn on a frontal face
    it would be smeared over the whole cheek. That side is worn from the source's mirror image."""
    scene, faces = group
    target = faces[target_index]
    assert worst_stretch(swapper, scene, faces[source_index], target.landmarks68) < STRETCH_LIMIT


@pytest.mark.parametrize(("source_index", "target_index"), [(1, 0), (4, 2), (1, 3)])
def test_a_profile_sources_far_side_is_worn_from_its_mirror_image(
    swapper, group, source_index, target_index
) -> None:
    """Exactly one side of the face (its far cheek, on the image's left for t1's faces turned -45 to
    -52 degrees) is drawn from the mirror image; the nose line and the near side stay the source's."""
    scene, faces = group
    plan = warp_plan(swapper.source_identity(scene, faces[source_index]), faces[target_index].landmarks68)
    assert plan.fill is not None and plan.filled is not None
    canonical_x = CANONICAL_POINTS[FACE_TRIANGLES].mean(axis=1)[:, 0]
    assert (canonical_x[plan.filled] < 0.46).all()  # the subject's right: the image's left
    assert plan.filled.sum() >= 0.3 * len(FACE_TRIANGLES)


@pytest.mark.parametrize(("source_index", "target_index"), [(0, 2), (2, 3), (3, 5), (5, 4), (0, 1), (2, 4)])
def test_a_source_seen_well_enough_is_worn_whole(swapper, group, source_index, target_index) -> None:
    """Frontal sources and sources turned no further than the target keep their own two cheeks."""
    scene, faces = group
    plan = warp_plan(swapper.source_identity(scene, faces[source_index]), faces[target_index].landmarks68)
    assert plan.fill is None


def sampling_rates(plan: WarpPlan, target68: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Per pixel of the target's inner face, how many source pixels a step across it covers in its
    least sampled direction, over the face's typical rate (a smeared strip: well under 0.1).

    Measured on what `plan.warp` draws, mirror fill and blend included: the plan's textures are
    replaced by pictures of their own source coordinates, mirrored like the pixels they stand for."""
    height, width = plan.pixels.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    coordinates = np.dstack([xs, ys])
    fill = None if plan.fill is None else Texture(mirror(coordinates, plan.points)[0], plan.fill.points)
    region = Region.around(extended_landmarks(target68), 2.0, shape)
    sampled, _ = dataclasses.replace(plan, pixels=coordinates, fill=fill).warp(region)
    steps = np.stack([np.diff(sampled, axis=1)[:-1], np.diff(sampled, axis=0)[:, :-1]], axis=-1)
    values = np.linalg.svd(steps, compute_uv=False)
    outline = fill_polygon(
        (region.height, region.width), outline_points(extended_landmarks(target68)), region.origin
    )
    inner = shrunk(outline, round(0.08 * face_size(target68)))[:-1, :-1] > 0
    typical = np.median(np.sqrt(values[..., 0] * values[..., 1])[inner])
    rates: np.ndarray = values[..., 1][inner] / typical
    return rates


@pytest.mark.parametrize(("source_index", "target_index"), [(1, 0), (4, 2)])
def test_a_profile_source_samples_the_whole_frontal_face_evenly(
    swapper, group, source_index, target_index
) -> None:
    """Pixel by pixel: 95% of the target's inner face takes at least a quarter of the face's typical
    share of source pixels (frontal pairs: 0.65-0.72; the far cheek smeared from a profile: 0.08)."""
    scene, faces = group
    target68 = faces[target_index].landmarks68
    plan = warp_plan(swapper.source_identity(scene, faces[source_index]), target68)
    assert np.percentile(sampling_rates(plan, target68, scene.shape), 5) > 0.25
