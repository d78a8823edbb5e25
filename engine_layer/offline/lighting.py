"""Lighting transfer: the target's shading under the source's detail, in the target-aligned face frame.

Both faces are split into a base (how the light falls) and detail (what the face is), then the
result is the target's base plus the source's detail. Lightness is split in log(L + 16): shading
multiplies light, so in the log it only adds, and a source half in shadow has the same detail on both
halves. The source's base is an edge-aware smoothing (a guided filter) of the face with eyes, brows,
mouth and occluders filled in from the skin around them: a hard shadow's edge stays in the base (a
plain blur would smear it into the detail as a dark band), while pores, wrinkles and every feature
stay detail. The scene's base is its skin smoothed (eyes, mouth, hair and occluders never enter).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from engine_layer.offline.colour import smooth_over

_FILL_SIGMA = 0.04  # of face size: how far skin is spread over eyes, mouth and occluders
_SOURCE_RADIUS = 0.15  # of face size: the guided filter's window on the source
_SOURCE_EPS = 0.02  # log-lightness variance under which a change is taken for shading, not an edge
_PROFILE_BIN = 0.01  # of face size: bins of the light's profile across the nose line
_PROFILE_SMOOTH = 2.0  # bins
_PROFILE_MIN_WEIGHT = 3.0
_SCENE_SIGMA = 0.12  # of face size: the scene's shading, smoothed over its skin only
_MIN_WEIGHT = 30.0
_GREY_CHROMA = 1.5  # a, b spread below which skin is taken to be grey (a monochrome photo)
_CHROMA_GAIN = (0.6, 1.6)


def to_log(lab: np.ndarray) -> np.ndarray:
    """Lab -> (log(L + 16), a / (L + 16), b / (L + 16)): a change of light only adds to the first.

    L + 16, a and b are all made of cube roots of X, Y and Z: dimming the light by k multiplies each
    by k^(1/3), so the log of one and the others' ratios to it do not change but by an offset.
    """
    lightness = np.maximum(lab[..., 0], 0.0) + 16.0
    out = np.empty_like(lab, dtype=np.float32)
    out[..., 0] = np.log(lightness)
    out[..., 1:] = lab[..., 1:] / lightness[..., None]
    return out


def from_log(values: np.ndarray) -> np.ndarray:
    out = np.empty_like(values, dtype=np.float32)
    lightness = np.clip(np.exp(values[..., 0]), 16.0, 116.0)
    out[..., 0] = lightness - 16.0
    out[..., 1:] = values[..., 1:] * lightness[..., None]
    return out


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter (grey guide, any channels): box filters only, linear in pixels."""
    size = (2 * radius + 1, 2 * radius + 1)

    def box(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, size, borderType=cv2.BORDER_REFLECT)

    guide3 = guide[..., None]
    mean_guide = box(guide)[..., None]
    mean_source = box(source).reshape(source.shape)
    covariance = box(guide3 * source).reshape(source.shape) - mean_guide * mean_source
    variance = box(guide * guide)[..., None] - mean_guide**2
    slope = covariance / (variance + eps)
    offset = mean_source - slope * mean_guide
    filtered: NDArray[np.float32]
    filtered = (box(slope).reshape(source.shape) * guide3 + box(offset).reshape(source.shape)).astype(
        np.float32
    )
    return filtered


def source_base(
    log_lab: np.ndarray,
    weights: np.ndarray,
    size: float,
    side: np.ndarray | None = None,
    across: np.ndarray | None = None,
) -> np.ndarray:
    """The source's light-made part (log-Lab): edge-aware, so a hard shadow's edge stays in it.

    Non-skin (weights 0: eyes, brows, mouth, occluders, background) is filled from the skin around
    it first, so every feature is detail and none of it is taken for light. With `side` (0..1, which
    half of the face a pixel is on, split at the nose line) each half is filled from its own skin
    only: a face lit from one side is shaded in halves, and a mouth in the middle is lit in halves too.
    """
    sigma = max(1.0, size * _FILL_SIGMA)
    if side is None:
        fill = smooth_over(log_lab, weights, sigma)
    else:
        right = (side > 0.5).astype(np.float32)
        fill = side[..., None] * smooth_over(log_lab, weights * right, sigma)
        fill += (1.0 - side[..., None]) * smooth_over(log_lab, weights * (1.0 - right), sigma)
    w = np.clip(weights, 0.0, 1.0)[..., None]
    filled = (w * log_lab + (1.0 - w) * fill).astype(np.float32)
    radius = max(1, round(size * _SOURCE_RADIUS))
    sided = np.zeros_like(filled)
    if across is not None:
        # Light from one side first, as a profile across the nose line: the guided filter alone leaks
        # a fifth of a hard shadow's edge into the detail (a light and a dark band along it).
        # Chroma too: a strong light pales the skin it falls on, and that would come through as detail.
        for channel in range(3):
            sided[..., channel] = across_profile(filled[..., channel], weights, across, size)
    rest = filled - sided
    base: np.ndarray = sided + guided_filter(np.ascontiguousarray(rest[..., 0]), rest, radius, _SOURCE_EPS)
    return base


def relight(
    source_lab: np.ndarray,
    scene_lab: np.ndarray,
    source_skin: np.ndarray,
    scene_skin: np.ndarray,
    size: float,
    hidden: np.ndarray | None = None,
    side: np.ndarray | None = None,
    across: np.ndarray | None = None,
) -> np.ndarray:
    """The warped source (Lab) under the scene's light and skin tone; all arrays region-sized, aligned.

    `source_skin` and `scene_skin` (0..1) weight the pixels that are each face's own visible skin;
    where `hidden` (0..1) the source's detail is dropped (an occluder): plain scene-lit skin shows.
    `side` (0..1) says which half of the face each pixel is on (see `face_halves`), `across` how far
    from the nose line (see `across_nose_line`).
    """
    if float(source_skin.sum()) < _MIN_WEIGHT or float(scene_skin.sum()) < _MIN_WEIGHT:
        return source_lab.copy()
    source_log, scene_log = to_log(source_lab), to_log(scene_lab)
    # The scene's shading is a plain smoothing over its skin: an edge-aware one would keep the
    # target's own wrinkles and folds, and with them some of the target's identity.
    scene_base = smooth_over(scene_log, scene_skin, max(1.0, size * _SCENE_SIGMA))
    detail = source_log - source_base(source_log, source_skin, size, side, across)
    # Chroma detail (lips, cheeks' flush) keeps the scene's saturation: none at all in a grey photo.
    scene_spread = _spread(scene_lab, scene_skin)
    source_spread = _spread(source_lab, source_skin)
    for channel in (1, 2):
        if scene_spread[channel] <= _GREY_CHROMA:
            detail[..., channel] *= 0.0
        else:
            gain = scene_spread[channel] / max(source_spread[channel], 1e-3)
            detail[..., channel] *= float(np.clip(gain, *_CHROMA_GAIN))
    if hidden is not None:
        detail *= 1.0 - np.clip(hidden, 0.0, 1.0)[..., None]
    return from_log(scene_base + detail)


def across_nose_line(shape: tuple[int, int], landmarks: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """float32 over `shape`: each pixel's signed distance (px) from the nose line (landmarks 27 to 33),
    positive on the face's half toward landmark 16."""
    top, bottom = landmarks[27] - origin, landmarks[33] - origin
    along = (bottom - top).astype(np.float64)
    normal = np.array([along[1], -along[0]]) / max(float(np.linalg.norm(along)), 1e-6)
    if float((landmarks[16] - origin - top) @ normal) < 0:
        normal = -normal
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    signed: np.ndarray = ((xs - top[0]) * normal[0] + (ys - top[1]) * normal[1]).astype(np.float32)
    return signed


def face_halves(shape: tuple[int, int], landmarks: np.ndarray, origin: np.ndarray, size: float) -> np.ndarray:
    """float32 0..1 over `shape`: 1 on the face's half toward landmark 16, 0 toward landmark 0, split
    at the nose line (landmarks 27 to 33) with an edge 1% of the face soft."""
    signed = across_nose_line(shape, landmarks, origin)
    return (1.0 / (1.0 + np.exp(-np.clip(signed / max(size * 0.01, 0.5), -30, 30)))).astype(np.float32)


def across_profile(
    log_lightness: np.ndarray, weights: np.ndarray, across: np.ndarray, size: float
) -> np.ndarray:
    """The skin's mean log-lightness as a function of the distance across the nose line, spread back
    over the image (float32): a light falling from one side (a hard shadow past the nose, a gradient)
    whatever its edge's softness, while the face's own features, which run in every direction, average
    out of it along the line."""
    step = max(1.0, size * _PROFILE_BIN)
    bins = np.round(across / step).astype(np.int64)
    low = int(bins.min())
    index = (bins - low).ravel()
    w = np.clip(weights, 0.0, 1.0).ravel().astype(np.float64)
    totals = np.bincount(index, weights=w)
    sums = np.bincount(index, weights=w * log_lightness.ravel())
    known = totals > _PROFILE_MIN_WEIGHT
    if known.sum() < 2:
        return np.full(log_lightness.shape, float(sums.sum() / max(totals.sum(), 1e-6)), np.float32)
    positions = np.arange(len(totals))
    profile = np.interp(positions, positions[known], sums[known] / totals[known])
    smoothed = cv2.GaussianBlur(
        profile.reshape(1, -1), (0, 0), sigmaX=_PROFILE_SMOOTH, borderType=cv2.BORDER_REPLICATE
    )
    return smoothed.ravel()[index].reshape(log_lightness.shape).astype(np.float32)


def side_lighting(lab: np.ndarray, skin: np.ndarray, landmarks: np.ndarray, origin: np.ndarray) -> float:
    """How one-sided a face's light is: |log| of the mean lightness ratio of its two halves (0 = even).

    The halves are split by the nose line (landmarks 27 to 33); L is measured on `skin` (0..1) only.
    Evenly lit portraits measure 0.04-0.1, a window-lit one about 0.3, a hard half-face shadow
    0.4-0.7.
    """
    top, bottom = landmarks[27] - origin, landmarks[33] - origin
    along = bottom - top
    normal = np.array([along[1], -along[0]], dtype=np.float64)
    ys, xs = np.mgrid[: lab.shape[0], : lab.shape[1]]
    side = (xs - top[0]) * normal[0] + (ys - top[1]) * normal[1] > 0
    weights = np.clip(skin, 0.0, 1.0)
    lightness = np.log(np.maximum(lab[..., 0], 0.0) + 16.0)
    halves = []
    for half in (side, ~side):
        total = float(weights[half].sum())
        if total < _MIN_WEIGHT:
            return 0.0
        halves.append(float((lightness * weights)[half].sum()) / total)
    return abs(halves[0] - halves[1])


def _spread(lab: np.ndarray, weights: np.ndarray) -> np.ndarray:
    total = max(float(weights.sum()), 1e-6)
    flat = lab.reshape(-1, 3).astype(np.float64)
    w = weights.reshape(-1, 1).astype(np.float64)
    mean = (flat * w).sum(axis=0) / total
    spread: NDArray[np.float64] = np.sqrt((((flat - mean) ** 2) * w).sum(axis=0) / total)
    return spread
