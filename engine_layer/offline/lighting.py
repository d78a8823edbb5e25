"""Lighting transfer: the target's shading under the source's detail, in the target-aligned face frame.

Both faces are split into a base (how the light falls) and detail (what the face is), then the
result is the target's base plus the source's detail. Both are split in the log of R, G and B
(`to_log`): shading and a colour cast multiply them, so in the log they only add, and a source half
in shadow or under a cast has the same detail, in lightness and in colour, everywhere. The
source's light from one side comes out first, as the skin's lightness and colour profile across the
nose line; the rest of its base is an edge-aware smoothing (a guided filter) of the face with eyes,
brows, mouth and occluders filled in from the skin around them: a hard shadow's edge stays in the
base (a plain blur would smear it into the detail as a dark band), while pores, wrinkles and every
feature stay detail. The scene's base is its skin smoothed (eyes, mouth, hair and occluders never
enter). `evened` gives the landmarker a copy of the source with its side light and cast taken out.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from engine_layer.offline import masks
from engine_layer.offline.colour import smooth_over
from engine_layer.offline.geometry import extended_landmarks, face_size, yaw
from engine_layer.offline.warp import Region

_FILL_SIGMA = 0.04  # of face size: how far skin is spread over eyes, mouth and occluders
_SOURCE_RADIUS = 0.15  # of face size: the guided filter's window on the source
_SOURCE_EPS = 0.02  # log-lightness variance under which a change is taken for shading, not an edge
_PROFILE_BIN = 0.01  # of face size: bins of the light's profile across the nose line
_PROFILE_SMOOTH = 2.0  # bins
_PROFILE_MIN_WEIGHT = 3.0
_SCENE_SIGMA = 0.12  # of face size: the scene's shading, smoothed over its skin only
_MIN_WEIGHT = 30.0
_GREY_CHROMA = 1.5  # a, b spread below which skin is taken to be grey (a monochrome photo)
_CHROMA_GAIN = (0.6, 1.0)


# log(V + _DARK_FLOOR) per sRGB channel (V 0..255): the floor keeps sensor noise in the darkest
# pixels from being read as strong colour.
_DARK_FLOOR = 2.0
# Opponent axes over log R, G, B: lightness (their mean), red-green, yellow-blue.
_OPPONENT = np.array(
    [[1 / 3, 1 / 3, 1 / 3], [0.0, -1.0, 1.0], [-1.0, 0.5, 0.5]], dtype=np.float32
)  # rows act on (log B, log G, log R)
_FROM_OPPONENT = np.linalg.inv(_OPPONENT).astype(np.float32)
# The mean of log(R, G, B + _DARK_FLOOR) under which a pixel's colour is not trusted at all, and over
# which it is fully: about 8 and 30 of 255 per channel. A shadow at x0.45 keeps skin above it.
_UNTRUSTED_LOG, _TRUSTED_LOG = float(np.log(8.0 + _DARK_FLOOR)), float(np.log(30.0 + _DARK_FLOOR))


def to_log(lab: np.ndarray) -> np.ndarray:
    """Lab -> log-opponent: (mean, red - green, yellow - blue) of log(R, G, B) in sRGB.

    Light only adds to the first: a shadow or a brighter light multiplies R, G and B alike, as
    encoded in the photo (a camera's gamma keeps a multiplication one), so in the log only the
    mean moves and the two colour axes stay as they were, whatever the skin's own colour.
    (The log of Lab's lightness with a / L, b / L as colour does not: it holds only for light
    multiplied before the gamma, and under an sRGB-multiplied shadow it moves every pixel's colour
    by its own amount, which then passes for detail.)
    """
    return bgr_to_log(np.maximum(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2BGR), 0.0) * 255.0)


def bgr_to_log(bgr: np.ndarray) -> np.ndarray:
    """BGR (0..255) -> log-opponent, as `to_log`."""
    logs = np.log(bgr.astype(np.float32) + _DARK_FLOOR)
    opponent: NDArray[np.float32] = (logs @ _OPPONENT.T).astype(np.float32)
    return opponent


def from_log(values: np.ndarray) -> np.ndarray:
    logs = values.astype(np.float32) @ _FROM_OPPONENT.T
    bgr = np.clip((np.exp(logs) - _DARK_FLOOR) / 255.0, 0.0, 1.0).astype(np.float32)
    lab: NDArray[np.float32] = cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab)
    return lab


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
    log_lab: np.ndarray, weights: np.ndarray, size: float, across: np.ndarray | None = None
) -> np.ndarray:
    """The source's light-made part (log-Lab): edge-aware, so a hard shadow's edge stays in it.

    With `across` (see `across_nose_line`) light falling from one side is taken out first, as the skin's
    profile across the nose line. Then non-skin (weights 0: eyes, brows, mouth, occluders, background)
    is filled from the skin around it, so every feature is detail and none of it is taken for light.
    """
    # Light from one side first, as a profile across the nose line (measured on the skin only): the
    # guided filter alone leaks a fifth of a hard shadow's edge into the detail (a light and a dark
    # band along it). Chroma too: a strong light pales the skin it falls on.
    sided = np.zeros_like(log_lab) if across is None else across_profile(log_lab, weights, across, size)
    flat = (log_lab - sided).astype(np.float32)
    # Then what is not skin is filled from the skin around it, with the side light already out: a
    # mouth or a nose the shadow's soft edge crosses is filled from skin shaded as it is.
    # (Filled before the profile came out, from each half of the face's own skin, a soft shadow edge
    # across the mouth left a step there: 2.12 Lab in the mouth, test_swap_lighting_invariance.)
    fill = smooth_over(flat, weights, max(1.0, size * _FILL_SIGMA))
    w = np.clip(weights, 0.0, 1.0)[..., None]
    rest = (w * flat + (1.0 - w) * fill).astype(np.float32)
    radius = max(1, round(size * _SOURCE_RADIUS))
    base: np.ndarray = sided + guided_filter(np.ascontiguousarray(rest[..., 0]), rest, radius, _SOURCE_EPS)
    return base


def relight(
    source_lab: np.ndarray,
    scene_lab: np.ndarray,
    source_skin: np.ndarray,
    scene_skin: np.ndarray,
    size: float,
    hidden: np.ndarray | None = None,
    across: np.ndarray | None = None,
) -> np.ndarray:
    """The warped source (Lab) under the scene's light and skin tone; all arrays region-sized, aligned.

    `source_skin` and `scene_skin` (0..1) weight the pixels that are each face's own visible skin;
    where `hidden` (0..1) the source's detail is dropped (an occluder): plain scene-lit skin shows.
    `across` says how far each pixel is from the nose line (see `across_nose_line`).
    """
    if float(source_skin.sum()) < _MIN_WEIGHT or float(scene_skin.sum()) < _MIN_WEIGHT:
        return source_lab.copy()
    source_log, scene_log = to_log(source_lab), to_log(scene_lab)
    # The scene's shading is a plain smoothing over its skin: an edge-aware one would keep the
    # target's own wrinkles and folds, and with them some of the target's identity.
    scene_base = smooth_over(scene_log, scene_skin, max(1.0, size * _SCENE_SIGMA))
    detail = source_log - source_base(source_log, source_skin, size, across)
    # Chroma detail (lips, cheeks' flush) keeps the scene's saturation: none at all in a grey photo.
    grey = _spread(scene_lab, scene_skin)
    scene_spread = _robust_spread(scene_log, scene_skin)
    source_spread = _robust_spread(source_log, source_skin)
    for channel in (1, 2):
        if grey[channel] <= _GREY_CHROMA:
            detail[..., channel] *= 0.0
        else:
            gain = scene_spread[channel] / max(source_spread[channel], 1e-3)
            detail[..., channel] *= float(np.clip(gain, *_CHROMA_GAIN))
    # A dark pixel's colour is mostly noise and JPEG's half-resolution chroma (the floor of `to_log`
    # only tames it): worn on brighter skin, a nostril's edge came out as a rainbow fringe. Its chroma
    # detail fades out with its lightness (its darkness stays).
    trusted = (source_log[..., 0] - _UNTRUSTED_LOG) / (_TRUSTED_LOG - _UNTRUSTED_LOG)
    detail[..., 1:] *= np.clip(trusted, 0.0, 1.0)[..., None]
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


def across_profile(values: np.ndarray, weights: np.ndarray, across: np.ndarray, size: float) -> np.ndarray:
    """The skin's mean of `values` (h x w, or h x w x channels, e.g. log-lightness) as a function of the
    distance across the nose line, spread back over the image (float32, `values`' shape): a light
    falling from one side (a hard shadow past the nose, a gradient) whatever its edge's softness, while
    the face's own features, which run in every direction, average out of it along the line."""
    step = max(1.0, size * _PROFILE_BIN)
    bins = np.round(across / step).astype(np.int64)
    index = (bins - int(bins.min())).ravel()
    w = np.clip(weights, 0.0, 1.0).ravel().astype(np.float64)
    totals = np.bincount(index, weights=w)
    known = totals > _PROFILE_MIN_WEIGHT
    positions = np.arange(len(totals))
    channels = values.reshape(len(index), -1)
    profiles = np.empty(channels.shape, dtype=np.float32)
    for channel in range(channels.shape[1]):
        sums = np.bincount(index, weights=w * channels[:, channel])
        if known.sum() < 2:  # too little skin to tell a profile: its mean, flat
            profiles[:, channel] = float(sums.sum() / max(totals.sum(), 1e-6))
            continue
        profile = np.interp(positions, positions[known], sums[known] / totals[known])
        smoothed = cv2.GaussianBlur(
            profile.reshape(1, -1), (0, 0), sigmaX=_PROFILE_SMOOTH, borderType=cv2.BORDER_REPLICATE
        )
        profiles[:, channel] = smoothed.ravel()[index]
    return profiles.reshape(values.shape)


def side_lighting(lab: np.ndarray, skin: np.ndarray, landmarks: np.ndarray, origin: np.ndarray) -> float:
    """How one-sided a face's light is: |log| of the mean lightness ratio of its two halves (0 = even).

    The halves are split by the nose line (landmarks 27 to 33); L is measured on `skin` (0..1) only.
    Evenly lit portraits measure 0.04-0.1, a window-lit one about 0.3, a hard half-face shadow
    0.4-0.7.
    """
    side = across_nose_line(lab.shape[:2], landmarks, origin) > 0
    weights = np.clip(skin, 0.0, 1.0)
    lightness = np.log(np.maximum(lab[..., 0], 0.0) + 16.0)
    halves = []
    for half in (side, ~side):
        total = float(weights[half].sum())
        if total < _MIN_WEIGHT:
            return 0.0
        halves.append(float((lightness * weights)[half].sum()) / total)
    return abs(halves[0] - halves[1])


def _robust_spread(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per channel, the spread (median absolute deviation, scaled to a standard deviation) of `values`
    over the pixels where `weights` > 0.5: a few pixels of an eye or a tooth at the mask's edge must not
    change it (the chroma gain it sets multiplies every feature's colour)."""
    samples = masks.sampled(values, weights > 0.5)
    if len(samples) < _MIN_WEIGHT:
        return np.zeros(values.shape[-1])
    spread: NDArray[np.float64] = 1.4826 * np.median(np.abs(samples - np.median(samples, axis=0)), axis=0)
    return spread


def _spread(lab: np.ndarray, weights: np.ndarray) -> np.ndarray:
    total = max(float(weights.sum()), 1e-6)
    counted = np.flatnonzero(weights)  # most of a face region is not skin: the rest adds nothing
    flat = lab.reshape(-1, 3)[counted].astype(np.float64)
    w = weights.reshape(-1, 1)[counted].astype(np.float64)
    mean = (flat * w).sum(axis=0) / total
    spread: NDArray[np.float64] = np.sqrt((((flat - mean) ** 2) * w).sum(axis=0) / total)
    return spread


# The landmarker's evened copy: the face and this share of its size around it, faded out over the last
# _EVEN_FADE of it (no step where the landmarker looks), with this skin colour (log-opponent) for all.
_EVEN_MARGIN = 0.5
_EVEN_FADE = 0.15
_EVEN_CHROMA = np.array([0.35, 0.35], dtype=np.float32)
_EVEN_SIZE = 128.0  # px: the face size the evening is measured at
_ORIGIN = np.zeros(2, dtype=np.float32)
_EVEN_YAW = 0.3  # geometry.yaw (0 frontal, 0.5 profile) past which a face is not evened


def evened(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """A copy of `image` (uint8 BGR) for a landmarker: light from one side and a colour cast taken out
    of the face around `landmarks` (68 points); None for a face turned further than _EVEN_YAW, whose
    halves no longer lie either side of the nose line (its own shading would be evened away).

    A landmark network's fit follows light: a hard shadow over half a face moves the mesh's jaw and
    brows by about 1% of the face, a colour cast by a third of that. Here the skin's lightness profile
    across the nose line (`across_profile`) is levelled and the skin's mean colour set to one plain
    skin tone, so the same face under another light or cast reads nearly the same. Only the profile
    is taken out, not the face's shading: a face flattened whole is one the network fits worse.
    """
    if abs(yaw(landmarks)) > _EVEN_YAW:
        return None
    extended = extended_landmarks(landmarks)
    size = face_size(landmarks)
    region = Region.around(extended, size * _EVEN_MARGIN, image.shape)
    if region.empty:
        return None
    rows, cols = region.slices
    patch = image[rows, cols]
    # The light and cast taken out are smooth: measured on a copy shrunk to _EVEN_SIZE px a face (the
    # landmarker sees 192 px a face anyway), applied as per-channel gains at full size.
    scale = min(1.0, _EVEN_SIZE / max(size, 1.0))
    small = cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else patch
    shape = small.shape[:2]
    points = (extended - region.origin) * np.float32(scale)
    weights = masks.FaceMasks(shape, points, _ORIGIN).skin
    total = float(weights.sum())
    if total < _MIN_WEIGHT:
        return None
    log = bgr_to_log(small)
    light = np.zeros_like(log)
    across = across_nose_line(shape, points, _ORIGIN)
    light[..., 0] = across_profile(log[..., 0], weights, across, size * scale)
    light[..., 0] -= float((light[..., 0] * weights).sum()) / total
    light[..., 1:] = (log[..., 1:] * weights[..., None]).reshape(-1, 2).sum(axis=0) / total - _EVEN_CHROMA
    fade_px = max(1, round(size * scale * _EVEN_FADE))
    inside = np.zeros((shape[0] + 2, shape[1] + 2), np.uint8)
    inside[1 + fade_px : -1 - fade_px, 1 + fade_px : -1 - fade_px] = 1
    fade = cv2.distanceTransform(inside, cv2.DIST_L2, 3)[1:-1, 1:-1]
    fade = np.clip(fade / fade_px, 0.0, 1.0)[..., None]
    # In log B, G, R the taken-out light is a shift per channel: a gain on the photo's own values.
    gains = np.exp(-(fade * light) @ _FROM_OPPONENT.T).astype(np.float32)
    if scale < 1:
        gains = cv2.resize(gains, (patch.shape[1], patch.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = image.copy()
    # Rounded and saturated to 0..255 (the values are never negative): numpy's rint/clip, 5x faster.
    out[rows, cols] = cv2.convertScaleAbs(cv2.multiply(patch.astype(np.float32), gains))
    return out
