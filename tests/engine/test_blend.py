"""Two-band blending: a face patch of another tone meets the scene without a step (issue 8, item 3)."""

from __future__ import annotations

import cv2
import numpy as np

from engine_layer.offline.blend import composite, two_band
from engine_layer.offline.masks import feathered_inside
from engine_layer.offline.warp import Region


def disc_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray, Region]:
    rng = np.random.default_rng(3)
    scene = np.clip(100 + rng.normal(0, 4, (200, 200, 3)), 0, 255).astype(np.uint8)
    patch = np.clip(140 + rng.normal(0, 4, (200, 200, 3)), 0, 255).astype(np.float32)
    hard = np.zeros((200, 200), np.float32)
    cv2.circle(hard, (100, 100), 70, 1.0, -1)
    return scene, patch, feathered_inside(hard, 6), Region(0, 0, 200, 200)


def steepest_tone_step(image: np.ndarray) -> float:
    """The largest change of the slow tone (detail smoothed away) between neighbouring pixels."""
    slow = cv2.GaussianBlur(image.astype(np.float32).mean(axis=2), (0, 0), 3)
    return float(np.hypot(*np.gradient(slow)).max())


def test_the_slow_tone_ramps_wider_than_the_feather_and_nothing_outside_changes() -> None:
    scene, patch, mask, region = disc_scene()
    plain = composite(scene, patch, mask, region)
    blended = two_band(scene, patch, mask, region, sigma=12.0)

    outside = mask == 0
    assert np.array_equal(blended[outside], scene[outside])
    assert steepest_tone_step(blended) < 0.75 * steepest_tone_step(plain)  # 0.66 here
    centre = blended[90:110, 90:110].astype(np.float32).mean()
    assert abs(centre - 140) < 2  # inside the ramp the patch is whole
