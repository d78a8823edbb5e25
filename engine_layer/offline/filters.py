"""Large Gaussian blurs on a shrunk copy.

A blur many pixels wide is smooth at a coarser scale anyway, so it is computed on a copy shrunk until
its sigma is about BLUR_SIGMA_AT_SCALE pixels and brought back bilinearly. At full size a face that
fills a 2 MP photo spent a third of its swap in three such blurs, and the cost grew with the
megapixels rather than with anything the result shows.
"""

from __future__ import annotations

import cv2
import numpy as np

BLUR_SIGMA_AT_SCALE = 4.0


def shrink_step(sigma: float) -> int:
    """The factor a blur of `sigma` px may run shrunk by (1: at full size)."""
    return max(1, int(sigma // BLUR_SIGMA_AT_SCALE))


def shrunk_by(values: np.ndarray, step: int) -> np.ndarray:
    """`values` area-averaged down by `step` (whole pixels, at least one each way)."""
    height, width = values.shape[:2]
    small: np.ndarray = cv2.resize(
        values, (max(1, width // step), max(1, height // step)), interpolation=cv2.INTER_AREA
    )
    return small


def grown_to(small: np.ndarray, height: int, width: int) -> np.ndarray:
    """A shrunk copy brought back to `height` x `width`, bilinearly (it is smooth at that scale)."""
    full: np.ndarray = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return full


def gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    """`values` (H x W or H x W x C float32) blurred by a Gaussian of `sigma` px, edges replicated.

    Shrunk, it is within a fraction of a grey level of the full-size blur more than 2 sigma inside
    the picture (tests/unit/test_filters.py); nearer the border the coarser replicated edge can differ
    by a few levels, so callers blur a region with a margin around what they use."""
    height, width = values.shape[:2]
    step = shrink_step(sigma)
    if step == 1:
        blurred: np.ndarray = cv2.GaussianBlur(values, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
        return blurred
    small = shrunk_by(values, step)
    # Per axis: whole-pixel sizes shrink the two sides by slightly different factors.
    sigma_x, sigma_y = sigma * small.shape[1] / width, sigma * small.shape[0] / height
    small = cv2.GaussianBlur(small, (0, 0), sigma_x, sigmaY=sigma_y, borderType=cv2.BORDER_REPLICATE)
    return grown_to(small, height, width).reshape(values.shape)
