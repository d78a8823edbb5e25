"""What in front of a face is not face: hands, microphones, glasses frames, strands of hair.

Skin has a narrow chromaticity (the share of red and green in R+G+B), and chromaticity does not change
when light gets dimmer or brighter: a shadow or a side light multiplies R, G and B alike (in linear
light and so in gamma-encoded sRGB too). So a robust model of the face's own skin chromaticity, fitted
on cheeks, nose and chin with the outliers left out, tells skin in shadow from a grey microphone, a
black frame or a hand in other light. Very dark pixels (hair, frames) carry no chromaticity and count
as not face. Eyes, brows, lips and nostrils are explained by the landmarks and are never searched.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from engine_layer.offline.masks import sampled

# Mahalanobis distances (in the skin's own chromaticity spreads) where a pixel stops being skin.
_SKIN_SURE, _SKIN_NOT = 4.0, 6.0
_DARK = 45.0  # R+G+B below this (of 765): too dark to have a colour, not taken for skin
_SPREAD_FLOOR = 0.006  # chromaticity spread (about JPEG noise): a flat sample must not flag everything
_MIN_SAMPLES = 30
# Saturation relative to the skin's own: above _GREY_NOT skin-like, below _GREY_SURE surely not skin.
_GREY_NOT, _GREY_SURE = 0.35, 0.15
# Brighter than this percentile of the reference skin (R+G+B), pale skin of the skin's hue is a highlight.
_HIGHLIGHT_PERCENTILE = 95.0
_MIN_SATURATION = 0.03  # a skin this grey (a monochrome photo) leaves saturation no cue
_SPECK = 0.03  # occluded blobs thinner than this share of the face are noise (pores, specular dots)


def chromaticity(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(h, w, 2) red and green shares of R+G+B, and R+G+B itself (float32, 0..765)."""
    values = bgr[..., :3].astype(np.float32)
    total = values[..., 0] + values[..., 1] + values[..., 2]  # not .sum(axis=2): 5x slower over 3
    shares: NDArray[np.float32] = values[..., [2, 1]] / np.maximum(total, 1.0)[..., None]
    return shares, total


def not_face(
    bgr: np.ndarray,
    reference: np.ndarray,
    search: np.ndarray,
    size: float,
    within: np.ndarray | None = None,
    highlights_are_skin: bool = False,
) -> np.ndarray:
    """float32 0..1: how surely each pixel is something other than the face's skin.

    Occluders are found inside `search` (0/1: skin, away from eyes, brows, mouth and nostrils) and
    followed from there over the rest of `within` (0/1, default `search`), so one reaching over a
    lip or an eye stays whole. `reference` (0/1) marks where skin is expected (cheeks, nose, chin); an
    occluder may cover part of it, so the skin model is refitted on its inliers.

    `highlights_are_skin`: pale skin of the skin's hue, brighter than nearly all of it, is skin, not a
    grey occluder. True for a target, whose highlights taken for occluders stayed "in front" and
    showed as pale patches on the swapped face; a source's highlights are its light, which is
    dropped with its occluders.
    """
    smooth = max(1, round(size * 0.005)) * 2 + 1  # JPEG and sensor noise off the chromaticity
    colour, total = chromaticity(cv2.GaussianBlur(bgr[..., :3].astype(np.float32), (smooth, smooth), 0))
    samples_at = (reference > 0.5) & (total > _DARK)
    samples = sampled(colour, samples_at)
    if len(samples) < _MIN_SAMPLES:
        return np.zeros(search.shape, dtype=np.float32)
    # Robust start (median, and spreads from the median absolute deviation), then refits on the
    # inliers: an occluder over the reference region must not widen the model until it fits.
    mean = np.median(samples, axis=0)
    spread = 1.4826 * np.median(np.abs(samples - mean), axis=0)
    inverse: NDArray[np.floating[Any]] = np.diag(1.0 / (spread**2 + _SPREAD_FLOOR**2))
    for _ in range(2):
        inliers = samples[_squared_distance(samples - mean, inverse) < _SKIN_SURE**2]
        if len(inliers) < _MIN_SAMPLES:
            break
        mean = inliers.mean(axis=0)
        inverse = np.linalg.inv(np.cov(inliers, rowvar=False) + np.eye(2) * _SPREAD_FLOOR**2)
    distance = np.sqrt(_squared_distance(colour - mean.astype(np.float32), inverse.astype(np.float32)))
    unlike = np.clip((distance - _SKIN_SURE) / (_SKIN_NOT - _SKIN_SURE), 0.0, 1.0)
    # Toward grey: skin's saturation varies (pale to flushed) but never nearly vanishes, while grey,
    # white and black things (microphones, frames, white or grey hair) have next to none.
    saturation = np.hypot(colour[..., 0] - np.float32(1 / 3), colour[..., 1] - np.float32(1 / 3))
    typical = float(np.median(np.linalg.norm(inliers - 1.0 / 3.0, axis=1)))
    if typical > _MIN_SATURATION:
        relative = saturation / typical
        greyish = np.clip((_GREY_NOT - relative) / (_GREY_NOT - _GREY_SURE), 0.0, 1.0)
        if highlights_are_skin:
            greyish = _without_highlights(greyish, unlike, total, distance, samples_at)
        unlike = np.maximum(unlike, greyish)
    unlike = np.maximum(unlike, (total <= _DARK).astype(np.float32))
    area = (search > 0.5) if within is None else (within > 0.5)
    unlike = (unlike * area).astype(np.float32)
    # Opening: isolated dots (a pore, a highlight, a JPEG block) are not an occluder.
    radius = max(1, round(size * _SPECK / 2))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    opened = cv2.dilate(cv2.erode(unlike * (search > 0.5), kernel), kernel) * (search > 0.5)
    if within is None:
        return opened
    # Whole blobs: every connected part of `within` that is unlike skin and holds a found occluder.
    count, labels = cv2.connectedComponents((unlike > 0.5).astype(np.uint8))
    seeded = np.zeros(count, dtype=bool)
    seeded[np.unique(labels[opened > 0.5])] = True
    seeded[0] = False
    blobs: NDArray[np.float32] = np.maximum(opened, unlike * seeded[labels]).astype(np.float32)
    return blobs


def _without_highlights(
    greyish: np.ndarray,
    unlike: np.ndarray,
    total: np.ndarray,
    distance: np.ndarray,
    samples_at: np.ndarray,
) -> np.ndarray:
    """`greyish` less the highlights: pale patches brighter than nearly all of the skin and of the
    skin's hue (the light a highlight reflects is white) that touch nothing else taken for an
    occluder (a grey disc's light rim touches the disc, and stays; teeth touch the dark mouth)."""
    brightest = float(np.percentile(total[samples_at], _HIGHLIGHT_PERCENTILE))
    like_highlight = (total > brightest) & (distance < _SKIN_SURE)
    flagged = (np.maximum(unlike, greyish) > 0.5).astype(np.uint8)
    count, labels = cv2.connectedComponents(flagged)
    other = np.zeros(count, dtype=bool)
    other[np.unique(labels[(flagged > 0) & ~like_highlight])] = True
    highlight = (labels > 0) & ~other[labels]
    kept: NDArray[np.floating[Any]] = np.where(highlight, 0.0, greyish)
    return kept


def _squared_distance(centred: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distances of 2-D points (..., 2) under a 2x2 inverse covariance."""
    x, y = centred[..., 0], centred[..., 1]
    squared: NDArray[np.floating[Any]] = (
        inverse[0, 0] * x * x + (inverse[0, 1] + inverse[1, 0]) * x * y + inverse[1, 1] * y * y
    )
    return squared


def in_front(occluded: np.ndarray, reach: int) -> np.ndarray:
    """float32 0..1: 1 on every occluded pixel (> 0.5), falling to 0 over `reach` px around it.

    Used to keep an occluder whole: the blend may only start outside it, so its own pixels stay exact.
    """
    reach = max(1, reach)
    outside = (occluded <= 0.5).astype(np.uint8)
    if outside.all():
        return np.zeros(occluded.shape, dtype=np.float32)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.clip(1.0 - (distance - 1.0) / reach, 0.0, 1.0).astype(np.float32)


def share(occluded: np.ndarray, search: np.ndarray) -> float:
    """The fraction (0..1) of `search` taken as occluded."""
    area = float((search > 0.5).sum())
    return float(np.clip((occluded * (search > 0.5)).sum() / area, 0.0, 1.0)) if area else 0.0
