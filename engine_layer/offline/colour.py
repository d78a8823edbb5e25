"""Colour helpers for the offline swap: Lab conversion, averages over skin only (normalised
convolution), the scene's lip colour, and the scene's photographic grain. Light itself is lighting.py's.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from cv2.typing import MatLike
from numpy.typing import NDArray

from engine_layer.offline.filters import grown_to, shrink_step, shrunk_by

_MIN_SKIN_PIXELS = 30


def to_lab(bgr: np.ndarray) -> np.ndarray:
    """BGR uint8 (or float 0..255) -> float32 CIE Lab (L 0..100, a and b about -128..127)."""
    return cv2.cvtColor(bgr.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)


def from_lab(lab: np.ndarray) -> np.ndarray:
    """float32 Lab -> BGR float32 0..255 (unclipped, unrounded)."""
    return cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2BGR) * 255.0


def smooth_over(values: np.ndarray, weights: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian average of `values` counting each pixel by `weights` (normalised convolution).

    Where `weights` is zero (an eye, the mouth) the result is filled from the skin around it. Large
    blurs run on a shrunk copy (the result is smooth at that scale anyway): a face filling a 40 MP
    photo would otherwise take a minute.
    """
    height, width = weights.shape
    step = shrink_step(sigma)
    weighted = values * weights[..., None]
    if step > 1:
        weighted, weights = shrunk_by(weighted, step), shrunk_by(weights, step)
    scaled_sigma = sigma * weights.shape[1] / width
    kernel = int(2 * round(3 * scaled_sigma) + 1)
    weighted = cv2.GaussianBlur(weighted, (kernel, kernel), scaled_sigma).reshape(*weights.shape, -1)
    total = cv2.GaussianBlur(weights, (kernel, kernel), scaled_sigma)[..., None]
    smooth: MatLike = (weighted / np.maximum(total, 1e-3)).astype(np.float32)
    uncovered = total[..., 0] <= 1e-3
    if uncovered.any():  # far from every weighted pixel: the plain weighted mean
        smooth[uncovered] = _mean(weighted, np.ones_like(weights)) / max(float(weights.mean()), 1e-6)
    if step > 1:
        smooth = grown_to(smooth, height, width)
    return smooth.reshape(height, width, -1)


def match_lips(
    result_lab: np.ndarray, scene_lab: np.ndarray, result_lips: np.ndarray, scene_lips: np.ndarray
) -> np.ndarray:
    """Give the warped lips (soft mask `result_lips`) the hue of the scene's own lips (`scene_lips`)."""
    if float(result_lips.sum()) < _MIN_SKIN_PIXELS or float(scene_lips.sum()) < _MIN_SKIN_PIXELS:
        return result_lab
    shift = _mean(scene_lab, scene_lips)[1:] - _mean(result_lab, result_lips)[1:]
    moved = result_lab.copy()
    moved[..., 1:] += result_lips[..., None] * shift
    return moved


def _mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    total = max(float(weights.sum()), 1e-6)
    counted = np.flatnonzero(weights)  # a lips mask is a few percent of its region
    channels = values.reshape(-1, values.shape[-1])[counted]
    mean: NDArray[np.floating[Any]] = (channels * weights.reshape(-1, 1)[counted]).sum(axis=0) / total
    return mean


_GRAIN_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


def grain(bgr: np.ndarray, where: np.ndarray) -> float:
    """Fine-grain level (standard deviation in grey levels) by Immerkaer's estimator, on `where` only."""
    if not where.any():
        return 0.0
    grey = cv2.cvtColor(np.clip(bgr, 0, 255).astype(np.float32), cv2.COLOR_BGR2GRAY)
    response = np.abs(cv2.filter2D(grey, -1, _GRAIN_KERNEL))[where]
    return float(np.sqrt(np.pi / 2.0) * response.mean() / 6.0)


def match_grain(patch: np.ndarray, scene: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Add grey grain to a face patch (float BGR) that is smoother than the scene's own skin.

    A face warped up from a small source is smoother than the photo it lands in and looks pasted on.
    Seeded: the same inputs give the same bytes.
    """
    where = skin > 0.5
    missing = grain(scene, where) ** 2 - grain(patch, where) ** 2
    if missing <= 0.25:
        return patch
    noise = np.random.default_rng(0).normal(0.0, np.sqrt(missing), patch.shape[:2]).astype(np.float32)
    return patch + noise[..., None]
