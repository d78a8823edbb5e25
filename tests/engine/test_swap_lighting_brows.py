"""No pale band above the brows (issue 8, item 3's "light band at the top of the mask").

A face mesh's brow points may run along a brow's upper edge or above it (on a small or grey source by
about a brow's width). The skin inside the brow outline then had its shading filled from the dark
brow and eye socket below it and came out as detail: a pale band over the brows. Measured here as
the mean Lab L just above the worn brows minus the forehead's a little higher, on insightface's
t1.jpg with its dlib points, the source's brow points raised by 5% of the face.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine_layer.datatypes import Face
from engine_layer.offline import ClassicSwapper, masks
from engine_layer.offline.colour import to_lab
from engine_layer.offline.geometry import BROWS, face_size
from engine_layer.offline.swapper import warp_plan
from tests.engine.classic_faces import landmarker, t1_with_landmarks

ORIGIN = np.zeros(2, dtype=np.float32)


def strip_above(
    shape: tuple[int, ...], brows: np.ndarray, size: float, low: float, high: float
) -> np.ndarray:
    """Pixels between `low` and `high` face sizes above the brow points (straight up)."""
    mask = np.zeros(shape[:2], np.uint8)
    lower = brows - [0.0, low * size]
    upper = brows - [0.0, high * size]
    polygon = np.vstack([lower, upper[::-1]])
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    return mask > 0


def brow_band(result: np.ndarray, scene: np.ndarray, destination: np.ndarray, size: float) -> float:
    """Mean L just above the brows (0.01-0.06 face) minus the forehead's above it (0.09-0.16), less the
    same difference in the scene: a forehead darkening upward under the target's own light is not a
    band the swap adds."""
    result_lightness, scene_lightness = to_lab(result)[..., 0], to_lab(scene)[..., 0]
    bands = []
    for group in (BROWS[:5], BROWS[5:]):
        near = strip_above(result.shape, destination[group], size, 0.01, 0.06)
        far = strip_above(result.shape, destination[group], size, 0.09, 0.16)
        added = result_lightness[near].mean() - result_lightness[far].mean()
        own = scene_lightness[near].mean() - scene_lightness[far].mean()
        bands.append(float(added - own))
    return max(bands)


@pytest.mark.parametrize("target_index", [2, 3])
def test_brow_points_above_the_brow_leave_no_pale_band(target_index: int) -> None:
    scene, faces = t1_with_landmarks()
    swapper = ClassicSwapper(landmarker())
    source, target = faces[0], faces[target_index]
    size = face_size(source.landmarks68)
    raised = source.landmarks68.copy()
    raised[BROWS, 1] -= 0.05 * size
    bands = []
    for points in (source.landmarks68, raised):
        identity = swapper.source_identity(
            scene, Face(bbox=source.bbox, score=source.score, kps=source.kps, landmarks68=points)
        )
        result = swapper.swap(scene, target, identity)
        destination = warp_plan(identity, target.landmarks68).destination
        bands.append(brow_band(result, scene, destination, face_size(target.landmarks68)))
    # No pale band, with the true outline or the raised one: the skin just above the brows is no more
    # than 0.8 L above the forehead's, beyond what the scene's own light gives (face 3's left brow: up to
    # +1.3 L). Raw differences before the brow-hair fix: up to 2.5 (raised outline) on face 3, about
    # 1.2 above the scene's own; with it -0.5 (raw 0.8); with the source's side light taken out before
    # its features are filled (lighting.source_base) 0.63 (raw 1.94, which this test once counted).
    assert max(bands) <= 0.8, bands


def test_brow_hair_is_found_wherever_the_outline_is() -> None:
    """A dark brow drawn a brow's width under its outline, on plain skin: the hair is found and the
    skin inside the outline is not taken for hair."""
    skin_colour = np.array([150, 170, 210], np.float32)
    image = np.tile(skin_colour, (200, 200, 1))
    image += np.random.default_rng(1).normal(0, 3, image.shape).astype(np.float32)
    points = np.zeros((68, 2), np.float32)
    points[:, 0] = np.linspace(40, 160, 68)
    points[:, 1] = 120.0
    points[0], points[16], points[8] = (20, 100), (180, 100), (100, 190)  # jaw ends and chin: face size
    points[BROWS, 0] = np.linspace(50, 150, 10)
    points[BROWS, 1] = 70.0 - 4.0 * np.sin(np.linspace(0, np.pi, 10))
    eyes = np.arange(36, 48)
    points[eyes, 1] = 110.0 + np.tile([0, -3, -3, 0, 3, 3], 2)
    points[eyes, 0] = np.concatenate([np.linspace(60, 85, 6), np.linspace(115, 140, 6)])
    hair_rows = slice(71, 75)  # just under the outline (its points at y 66-70)
    image[hair_rows, 55:145] = (40, 45, 60)
    image = np.clip(image, 0, 255).astype(np.uint8)
    lab = to_lab(image)
    skin = np.ones(image.shape[:2], np.float32) * (1.0 - masks.features_mask(image.shape[:2], points, ORIGIN))
    _around, hair = masks.brow_hair(lab, skin, points, ORIGIN)
    drawn = np.zeros(image.shape[:2], bool)
    drawn[hair_rows, 65:135] = True
    outline = masks.fill_polygon(image.shape[:2], points[BROWS[:5]], ORIGIN) > 0
    assert hair[drawn].mean() >= 0.95
    assert hair[outline & ~masks.grown(drawn.astype(np.float32), 1).astype(bool)].mean() <= 0.05
