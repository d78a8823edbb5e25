"""Large blurs on a shrunk copy (engine_layer.offline.filters): away from the picture's border the same
as a full-size blur to within a fraction of a grey level, and a small blur is the full-size one exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine_layer.offline.filters import gaussian, shrink_step


def picture(height: int = 300, width: int = 420) -> np.ndarray:
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    smooth = 120 + 60 * np.sin(xs / 37.0) * np.cos(ys / 23.0)
    edge = np.where(xs > width * 0.6, 80.0, 0.0).astype(np.float32)  # a hard step, the worst case
    return np.dstack([smooth + edge + rng.normal(0, 12, (height, width)).astype(np.float32)] * 3)


@pytest.mark.parametrize("sigma", [8.0, 13.5, 30.0])
def test_a_large_blur_matches_the_full_size_one(sigma: float) -> None:
    image = picture()
    assert shrink_step(sigma) > 1  # the shrunk path is the one under test
    exact = cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    fast = gaussian(image, sigma)
    assert fast.shape == image.shape and fast.dtype == np.float32
    # The border differs (edges replicated at the coarser scale): callers use blurs inside a margin.
    margin = int(2 * sigma)
    inside = (slice(margin, -margin), slice(margin, -margin))
    error = np.abs(fast - exact)[inside]
    assert error.mean() < 0.25
    assert error.max() < 2.0


def test_a_small_blur_is_the_full_size_one() -> None:
    image = picture()[..., 0]
    assert shrink_step(3.0) == 1
    assert np.array_equal(
        gaussian(image, 3.0), cv2.GaussianBlur(image, (0, 0), 3.0, borderType=cv2.BORDER_REPLICATE)
    )
