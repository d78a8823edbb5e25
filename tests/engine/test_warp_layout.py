"""The warp's fixed triangle layout (issue 8, item 5): every face is cut into the same triangles, so a
hundredth of a pixel on a landmark cannot flip an edge in an open mouth, and a triangle that folds
over on a turned or rolled face is never drawn with its own, mirroring, map."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.spatial import ConvexHull

from engine_layer.offline import ClassicSwapper
from engine_layer.offline.geometry import extended_landmarks, face_size
from engine_layer.offline.layout import CANONICAL_POINTS, FACE_TRIANGLES
from engine_layer.offline.swapper import warp_plan
from engine_layer.offline.warp import Region, signed_areas, soundness, warp_piecewise_affine
from tests.engine.classic_faces import landmarker, t1_with_landmarks
from tests.engine.poses import rolled_about


@pytest.fixture(scope="module")
def group():
    return t1_with_landmarks()


@pytest.fixture(scope="module")
def swapper() -> ClassicSwapper:
    return ClassicSwapper(landmarker())


def test_the_layout_tiles_the_canonical_face_once() -> None:
    areas = signed_areas(CANONICAL_POINTS, FACE_TRIANGLES)
    assert (areas > 0).all()  # all listed the same way round
    assert areas.sum() == pytest.approx(ConvexHull(CANONICAL_POINTS).volume, rel=1e-9)  # no overlap, no gap
    edges = [
        tuple(sorted(pair))
        for t in FACE_TRIANGLES.tolist()
        for pair in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0]))
    ]
    # The mouth's inside and each eye are their own regions: their rims are edges of the layout.
    for ring in ([60, 61, 62, 63, 64, 65, 66, 67], [36, 37, 38, 39, 40, 41], [42, 43, 44, 45, 46, 47]):
        for first, second in zip(ring, ring[1:] + ring[:1], strict=True):
            assert tuple(sorted((first, second))) in edges


def test_every_face_is_cut_into_the_same_triangles(swapper, group) -> None:
    """Delaunay on the target's own points gave each face (and each landmark fit) its own triangles."""
    scene, faces = group
    source = swapper.source_identity(scene, faces[0])
    for target in faces[1:]:
        for degrees in (0, 30, -30):
            _, rolled = rolled_about(scene, target, degrees)
            assert np.array_equal(warp_plan(source, rolled.landmarks68).triangles, FACE_TRIANGLES)


def warped(plan, region: Region) -> tuple[np.ndarray, np.ndarray]:
    return warp_piecewise_affine(plan.pixels, plan.points, plan.destination, plan.triangles, region)


# t1.jpg's faces 0 and 2 laugh: open mouths, where a Delaunay of the target's points flips edges.
@pytest.mark.parametrize(("source_index", "target_index"), [(0, 3), (2, 3), (2, 0), (0, 5), (2, 5)])
def test_a_hundredth_of_a_pixel_on_the_target_moves_the_warp_by_a_few_grey_levels(
    swapper, group, source_index, target_index
) -> None:
    scene, faces = group
    source = swapper.source_identity(scene, faces[source_index])
    target68 = faces[target_index].landmarks68
    region = Region.around(extended_landmarks(target68), face_size(target68) * 0.05, scene.shape)
    before, before_covered = warped(warp_plan(source, target68), region)
    for seed in range(4):
        nudged = target68 + np.random.default_rng(seed).uniform(-0.01, 0.01, target68.shape)
        after, after_covered = warped(warp_plan(source, nudged.astype(np.float32)), region)
        both = (before_covered > 0) & (after_covered > 0)
        change = np.abs(after[..., :3] - before[..., :3]).max(axis=2)[both]
        # Pixels on the far edge of a fold may change hands (an edge of what hides what): a few at most.
        assert (change > 3).sum() <= 3, (seed, change.max(), (change > 3).sum())
        assert np.percentile(change, 99.9) <= 2


# Turned and rolled pairs whose layout folds over (far temple, mouth corner past the jaw, nose tip past
# the nose bridge) on the target or in the source.
@pytest.mark.parametrize(
    ("source_index", "target_index", "degrees"), [(0, 4, 0), (4, 0, 0), (2, 4, 30), (5, 4, -30), (3, 1, -30)]
)
def test_no_folded_triangle_is_drawn_with_its_own_map(
    swapper, group, source_index, target_index, degrees
) -> None:
    """Warp a picture of its own source coordinates: where a folded triangle's own map were drawn the
    sampled coordinates would run the other way round (a negative Jacobian), a mirror image."""
    scene, faces = group
    source_image, source_face = rolled_about(scene, faces[source_index], degrees)
    _, target = rolled_about(scene, faces[target_index], -degrees)
    plan = warp_plan(swapper.source_identity(source_image, source_face), target.landmarks68)
    assert (soundness(plan.points, plan.destination, plan.triangles) == 0).any()  # the layout folds here

    height, width = plan.pixels.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    coordinates = np.dstack([xs, ys])
    region = Region.around(plan.destination, 2.0, scene.shape)
    sampled, covered = warp_piecewise_affine(
        coordinates, plan.points, plan.destination, plan.triangles, region
    )
    d_dx = np.diff(sampled, axis=1)[:-1]
    d_dy = np.diff(sampled, axis=0)[:, :-1]
    jacobian = d_dx[..., 0] * d_dy[..., 1] - d_dx[..., 1] * d_dy[..., 0]
    inside = (covered[:-1, :-1] > 0) & (covered[1:, :-1] > 0) & (covered[:-1, 1:] > 0)
    mirrored = ((jacobian < -1e-3) & inside).astype(np.uint8)
    # Only pixels where two pieces meet may look mirrored (a line): no patch of them, however small.
    patches = cv2.morphologyEx(mirrored, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    assert patches.sum() == 0, (mirrored.sum(), patches.sum())
