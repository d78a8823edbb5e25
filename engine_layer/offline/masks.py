"""Masks on a face region: where the skin is (for colour statistics) and where to blend (soft, inside
the face, away from hair and background)."""

from __future__ import annotations

from functools import cached_property

import cv2
import numpy as np
from numpy.typing import NDArray

from engine_layer.offline.geometry import (
    BROWS,
    INNER_LIPS,
    JAW,
    LEFT_EYE,
    NOSTRILS,
    OUTER_LIPS,
    RIGHT_EYE,
    face_size,
)

_SUBPIXEL_BITS = 4
FOREHEAD = np.arange(68, 83)  # indices of geometry.forehead_points within the extended landmarks
# Mahalanobis distances (in skin-colour standard deviations) where a pixel stops looking like skin.
_SKIN_SURE, _SKIN_NOT = 2.5, 4.5
_EYES = (LEFT_EYE, RIGHT_EYE)
_BROWS = (BROWS[:5], BROWS[5:])  # each brow its own polygon
_BROW_REACH = 0.06  # of face size: how far around the brow outline brow hair is looked for
_BROW_DARK_L = 12.0  # Lab L under the skin's upper quartile around the brows: hair
_SOCKET = 0.08  # of face size around the eye outline: the lids and socket
_SOCKET_FEATHER = 0.02  # of face size: the Gaussian sigma of its edge


def fill_polygon(shape: tuple[int, int], points: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """A float32 mask of `shape` with the convex hull of `points` (image coords, minus `origin`) set to 1."""
    mask = np.zeros(shape, dtype=np.float32)
    hull = cv2.convexHull((points - origin).astype(np.float32))
    vertices = np.round(hull.reshape(-1, 2) * (1 << _SUBPIXEL_BITS)).astype(np.int32)
    cv2.fillConvexPoly(mask, vertices, 1.0, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
    return mask


def outline_points(extended: np.ndarray) -> np.ndarray:
    """The face outline: jaw then forehead arc (83-point extended landmarks)."""
    return np.vstack([extended[JAW], extended[FOREHEAD]])


def filled_groups(
    shape: tuple[int, int], landmarks: np.ndarray, groups: tuple[np.ndarray, ...], origin: np.ndarray
) -> np.ndarray:
    """0/1 float32: the union of the polygons the landmark `groups` (index arrays) outline."""
    mask = np.zeros(shape, dtype=np.float32)
    for group in groups:
        mask = np.maximum(mask, fill_polygon(shape, landmarks[group], origin))
    return mask


def features_mask(shape: tuple[int, int], landmarks: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Eyes, brows and mouth, grown a little: the parts of a face that are not skin."""
    grow = max(1, round(face_size(landmarks) * 0.03))
    return grown(filled_groups(shape, landmarks, (*_EYES, OUTER_LIPS, *_BROWS), origin), grow)


def lips_mask(shape: tuple[int, int], landmarks: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """The lips (outer lip line minus the mouth opening), softened by 1% of the face: float32 0..1."""
    lips = fill_polygon(shape, landmarks[OUTER_LIPS], origin)
    lips *= 1.0 - fill_polygon(shape, landmarks[INNER_LIPS], origin)
    soft = max(1, round(face_size(landmarks) * 0.01)) * 2 + 1
    return cv2.GaussianBlur(lips, (soft, soft), 0)


class FaceMasks:
    """The masks of one face over one region (`shape`, with the region's `origin` in image coordinates),
    from its 83 extended landmarks; each is drawn once, when first asked for. A swap asks for the same
    ones many times (the features mask alone was drawn 10 times per swap, 6 of them repeats)."""

    def __init__(self, shape: tuple[int, int], extended: np.ndarray, origin: np.ndarray) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.extended = extended
        self.landmarks = extended[:68]
        self.origin = origin
        self.size = face_size(self.landmarks)

    @cached_property
    def outline(self) -> np.ndarray:
        """0/1: inside the face outline (jaw and forehead arc)."""
        return fill_polygon(self.shape, outline_points(self.extended), self.origin)

    @cached_property
    def features(self) -> np.ndarray:
        """0/1: eyes, brows and mouth, grown (`features_mask`)."""
        return features_mask(self.shape, self.landmarks, self.origin)

    @cached_property
    def brows(self) -> np.ndarray:
        """Both brows grown and feathered, 0..1 (`brows_mask`)."""
        return brows_mask(self.shape, self.landmarks, self.origin)

    @cached_property
    def skin(self) -> np.ndarray:
        """0/1: the face outline without eyes, brows and mouth: where skin colour is measured."""
        skin: np.ndarray = self.outline * (1.0 - self.features)
        return skin

    @cached_property
    def lower_face(self) -> np.ndarray:
        """0/1: cheeks, nose and chin, below the eyes, where hair rarely is: the reference for skin colour."""
        lower = np.vstack([self.extended[JAW], self.extended[[36, 39, 42, 45]]])
        below: np.ndarray = fill_polygon(self.shape, lower, self.origin) * (1.0 - self.features)
        return below

    @cached_property
    def occlusion_search(self) -> np.ndarray:
        """0/1: the face outline less eyes, brows, mouth and nostrils (grown): where an occluder is sought."""
        explained = np.maximum(self.features, (self.brows > 0.05).astype(np.float32))
        explained = np.maximum(explained, fill_polygon(self.shape, self.landmarks[NOSTRILS], self.origin))
        explained = grown(explained, round(self.size * 0.02))
        search: np.ndarray = self.outline * (1.0 - explained)
        return search

    @cached_property
    def occluder_reach(self) -> np.ndarray:
        """0/1: the face outline less the eyes, brows, lips and nostrils themselves (not grown): where an
        occluder found in `occlusion_search` is followed, so its rim next to a lip or an eye goes with it."""
        core = filled_groups(self.shape, self.landmarks, (*_EYES, OUTER_LIPS, *_BROWS, NOSTRILS), self.origin)
        reach: np.ndarray = self.outline * (1.0 - core)
        return reach

    @cached_property
    def eye_sockets(self) -> np.ndarray:
        """0..1: the eyes grown by _SOCKET of the face, feathered: lids and the socket around them, whose
        darkness is the face's shape (it is there under any light), not its light. Soft, so a hundredth
        of a pixel on the landmarks does not flip pixels in or out (a hard edge moved up to 43 grey
        levels on a pixel: the guided filter's output follows its guide at each pixel)."""
        eyes = filled_groups(self.shape, self.landmarks, _EYES, self.origin)
        hard = grown(eyes, max(1, round(self.size * _SOCKET)))
        soft: np.ndarray = cv2.GaussianBlur(hard, (0, 0), max(1.0, self.size * _SOCKET_FEATHER))
        return soft

    @cached_property
    def lips(self) -> np.ndarray:
        """The lips, softened (`lips_mask`)."""
        return lips_mask(self.shape, self.landmarks, self.origin)

    def forehead_gate(self, lab: np.ndarray) -> np.ndarray:
        """1 everywhere except in the forehead band, where it is the skin likelihood of `lab` (the
        region's pixels): hair and background 0. The brows themselves are never gated: a gated brow
        lets the other face's brow show (double brows)."""
        likelihood = skin_likelihood(lab, self.lower_face)
        smooth = max(1, round(self.size * 0.02)) * 2 + 1
        likelihood = cv2.GaussianBlur(likelihood, (smooth, smooth), 0)
        band = fill_polygon(
            self.shape, np.vstack([self.extended[BROWS], self.extended[FOREHEAD]]), self.origin
        )
        band *= 1.0 - self.brows
        gate: NDArray[np.float32] = 1.0 - band * (1.0 - likelihood)
        return gate


# A colour model's statistics (means, covariances, medians) settle long before a face's 100,000 skin
# pixels: a fixed stride over them keeps the model and takes a fraction of the time.
STATISTICS_SAMPLES = 20000


def sampled(values: np.ndarray, where: np.ndarray, limit: int = STATISTICS_SAMPLES) -> np.ndarray:
    """(n, channels) float64: `values` (h x w x channels) at up to `limit` of the pixels where `where`
    is true, evenly strided in raster order (the same pixels every time)."""
    at = np.flatnonzero(where)
    at = at[:: max(1, -(-len(at) // limit))]
    picked: NDArray[np.float64] = values.reshape(where.size, -1)[at].astype(np.float64)
    return picked


def skin_likelihood(lab: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """How much each pixel looks like the skin under `reference` (float32 in [0, 1]).

    A Mahalanobis distance to the reference skin's Lab distribution, with lightness's spread doubled:
    shading varies over a face more than hue and saturation do. Hair (dark or white), brows' shadows
    and most backgrounds sit far from skin in this measure.
    """
    samples = sampled(lab, reference > 0.5)
    if len(samples) < 20:
        return np.ones(lab.shape[:2], dtype=np.float32)
    mean = samples.mean(axis=0)
    floor = np.diag([4.0, 1.0, 1.0])  # a flat (e.g. grey or tiny) sample must not make everything "not skin"
    spread = np.diag([2.0, 1.0, 1.0])
    inverse = np.linalg.inv(spread @ (np.cov(samples, rowvar=False) + floor) @ spread)
    # With inverse = W W^T (Cholesky), the distance is |centred @ W|: one matrix product in float32,
    # where an einsum over every pixel in float64 took most of the gate's time.
    whitening = np.linalg.cholesky(inverse).astype(np.float32)
    centred = lab.reshape(-1, 3).astype(np.float32) - mean.astype(np.float32)
    whitened = centred @ whitening
    distance = np.sqrt(np.square(whitened) @ np.ones(3, np.float32)).reshape(lab.shape[:2])
    likelihood: NDArray[np.float32] = np.clip(
        (_SKIN_NOT - distance) / np.float32(_SKIN_NOT - _SKIN_SURE), 0.0, 1.0
    ).astype(np.float32)
    return likelihood


def brows_mask(shape: tuple[int, int], landmarks: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Both brows grown by 4% of the face, feathered: float32 0..1."""
    mask = filled_groups(shape, landmarks, _BROWS, origin)
    grow = max(1, round(face_size(landmarks) * 0.04))
    soft = 2 * grow + 1
    return cv2.GaussianBlur(grown(mask, grow), (soft, soft), 0)


def brow_hair(
    lab: np.ndarray, skin: np.ndarray, landmarks: np.ndarray, origin: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(around, hair): 0/1 float32 masks of the brows' surroundings (their outlines grown by
    _BROW_REACH of the face, eyes left out) and of the pixels there much darker than the skin there
    (`skin` 0..1 says which pixels are skin): the brow hair itself, wherever the brow points put
    the outline."""
    shape = lab.shape[:2]
    size = face_size(landmarks)
    brows = filled_groups(shape, landmarks, _BROWS, origin)
    eyes = filled_groups(shape, landmarks, _EYES, origin)
    around = grown(brows, max(1, round(size * _BROW_REACH))) * (1.0 - grown(eyes, max(1, round(size * 0.03))))
    reference = (around > 0.5) & (skin > 0.5)
    if reference.sum() < 20:
        return around, np.zeros(shape, dtype=np.float32)
    lightness = lab[..., 0]
    # The skin's level there: its upper quartile, the forehead's side (the eye socket below is darker).
    level = float(np.percentile(lightness[reference], 75))
    hair = (around > 0.5) & (lightness < level - _BROW_DARK_L)
    return around, grown(hair.astype(np.float32), 1) * around


def feathered_inside(hard: np.ndarray, inset: int) -> np.ndarray:
    """Shrink a 0/1 mask by `inset` px, then feather over `inset` px: soft, and 0 wherever `hard` is 0."""
    inset = max(1, inset)
    core = shrunk(hard, inset)
    # A Gaussian truncated at `inset`: the blur reaches no further than the erosion took away.
    soft = cv2.GaussianBlur(
        core, (2 * inset + 1, 2 * inset + 1), inset / 2.0, borderType=cv2.BORDER_REPLICATE
    )
    soft[soft < 1e-3] = 0.0
    feathered: NDArray[np.float32] = np.clip(soft * hard, 0.0, 1.0)
    return feathered


# Morphology by distance transform: linear time whatever the radius (a face may be 3000 px wide,
# where an elliptical kernel of a hundred pixels takes seconds).
def grown(mask: np.ndarray, radius: int) -> np.ndarray:
    """0/1 float32: every pixel within `radius` px of a pixel where `mask` > 0.5."""
    outside = (mask <= 0.5).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return (distance <= radius).astype(np.float32)


def shrunk(mask: np.ndarray, radius: int) -> np.ndarray:
    """0/1 float32: pixels of `mask` more than `radius` px from its edge (the image's border is no edge)."""
    inside = (mask > 0.5).astype(np.uint8)
    distance = cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return (distance > radius).astype(np.float32)
