"""The eval's hard-set edits and measures (benchmarks.hard_edits) on images built here: the shadow lands
past the nose line, the occluder measure sees an overwritten occluder, the seam score tells a hard
pasted edge from a feathered one."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks import hard_edits as edits
from engine_layer.datatypes import Face


def textured(height: int = 240, width: int = 240, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.linspace(70, 180, width, dtype=np.float32)[None, :, None] * np.ones((height, 1, 3), np.float32)
    noise = cv2.GaussianBlur(rng.normal(0, 18, (height, width, 3)).astype(np.float32), (0, 0), 1.5)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def geometry() -> edits.Geometry:
    """A frontal face 120 px wide in the middle of a 240 px image (eyes level, nose at x = 120)."""
    kps = np.array([[95, 105], [145, 105], [120, 135], [100, 160], [140, 160]], np.float32)
    face = Face(bbox=np.array([60, 60, 180, 200], np.float32), score=0.9, kps=kps)
    landmarks = np.zeros((68, 2), np.float32)
    jaw_x = np.linspace(62, 178, 17)
    jaw_y = 110 + 85 * np.sin(np.linspace(0, np.pi, 17))
    landmarks[:17] = np.stack([jaw_x, jaw_y], axis=1)
    landmarks[17:27] = np.stack([np.linspace(80, 160, 10), np.full(10, 92)], axis=1)
    landmarks[27:36] = [[120, 100 + 5 * i] for i in range(9)]
    landmarks[36:48] = [[95 + (i % 6), 105] for i in range(6)] + [[145 + (i % 6), 105] for i in range(6)]
    landmarks[48:68] = [[100 + 2 * i, 165] for i in range(20)]
    return edits.Geometry(face, landmarks)


def test_hard_shadow_darkens_the_face_past_the_nose_line_only() -> None:
    image = np.full((240, 240, 3), 200, np.uint8)
    shaded = edits.hard_shadow(image, geometry())
    assert shaded[130, 160].max() == pytest.approx(200 * edits.SHADOW_FACTOR, abs=3)  # cheek past the nose
    assert shaded[130, 80].min() == 200  # the other cheek
    assert shaded[5, 235].min() >= 195  # far outside the face


def test_side_gradient_runs_across_the_face() -> None:
    image = np.full((240, 240, 3), 200, np.uint8)
    lit = edits.side_gradient(image, geometry())
    assert lit[130, 50, 0] == 200 and lit[130, 200, 0] == pytest.approx(100, abs=2)
    assert lit[130, 80, 0] > lit[130, 120, 0] > lit[130, 160, 0]


def test_occluder_measure_sees_an_overwritten_occluder() -> None:
    image = textured()
    covered_image, covered = edits.occluded(image, edits.cheek_point(geometry()), geometry())
    assert covered.sum() > 300
    assert set(np.unique(covered_image[covered])) == {edits.OCCLUDER_GREY, edits.OCCLUDER_RIM}
    assert edits.unchanged_share(covered_image, covered_image, covered) == 1.0
    pasted = covered_image.copy()
    pasted[covered] = image[covered]  # a swap that painted face over the occluder
    assert edits.unchanged_share(pasted, covered_image, covered) < 0.1


def test_seam_score_tells_a_hard_edge_from_a_feathered_one() -> None:
    scene = textured()
    region = np.zeros(scene.shape[:2], np.float32)
    cv2.ellipse(region, (120, 120), (60, 75), 0, 0, 360, 1.0, -1)
    brighter = np.clip(scene.astype(np.float32) + 30, 0, 255)
    hard = np.where(region[..., None] > 0, brighter, scene).astype(np.uint8)
    soft_alpha = cv2.GaussianBlur(region, (0, 0), 8.0)[..., None]
    soft = np.clip(np.rint(brighter * soft_alpha + scene * (1 - soft_alpha)), 0, 255).astype(np.uint8)
    hard_score = edits.seam_score(hard, scene, 150.0)
    soft_score = edits.seam_score(soft, scene, 150.0)
    assert hard_score > 0.5 > soft_score
    assert edits.seam_score(scene.copy(), scene, 150.0) == 0.0


def test_lab_measures() -> None:
    image = textured()
    where = edits.inner_face(image.shape, geometry().landmarks)
    assert 3000 < where.sum() < 240 * 240 / 2
    assert edits.mean_lab_distance(image, image, where) == 0.0
    assert edits.mean_lab_distance(image, edits.colour_cast(image, "warm"), where) > 3.0
    assert edits.mean_chroma(edits.grey(image), where) < 0.5


def test_geometry_edits_keep_a_usable_image() -> None:
    image = textured()
    assert edits.tight_crop(image, geometry()).shape == (edits.TIGHT_SIDE, edits.TIGHT_SIDE, 3)
    assert edits.rotated(image, 30).shape[0] > image.shape[0]
    small = edits.shrunk(image, geometry())
    assert small.shape[1] == round(240 * edits.SMALL_FACE_WIDTH / 120)
