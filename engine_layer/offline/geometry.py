"""Face geometry on dlib's 68-point layout: the landmark groups, forehead points the 68 lack, and the
blend of a source face's proportions into a target's pose."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

JAW = np.arange(0, 17)
BROWS = np.arange(17, 27)
NOSE = np.arange(27, 36)
NOSTRILS = np.array([30, 31, 32, 33, 34, 35])  # nose tip and base: dark nostrils, never an occluder
LEFT_EYE = np.arange(36, 42)
RIGHT_EYE = np.arange(42, 48)
OUTER_LIPS = np.arange(48, 60)
INNER_LIPS = np.arange(60, 68)
INNER_FEATURES = np.arange(17, 68)  # brows, nose, eyes, mouth: what makes a face someone's

# Forehead height above the brows, in nose lengths (nose root to base): by the rule of thirds the
# forehead is about one nose length; a little less keeps the arc below most hairlines (the skin gate
# trims whatever still reaches hair).
FOREHEAD_NOSE_LENGTHS = 0.7
_ARC_SCALE = (0.25, 1.0)  # bounds on the arc's height, in chin-to-jaw-line distances


def face_size(landmarks: np.ndarray) -> float:
    """A pose-robust scale: the larger side of the landmarks' bounding box, at least one pixel."""
    span = landmarks.max(axis=0) - landmarks.min(axis=0)
    return max(1.0, float(span.max()))


def forehead_points(landmarks: np.ndarray) -> np.ndarray:
    """Points on an arc over the brows, mirroring the jaw line about the line through its two ends.

    The 68 points stop at the brows, so a warp and mask built from them alone cut the face there. The
    jaw is the best guide to the face's width and tilt at every height; reflected, it traces the
    forehead (15 points, temple to temple). Its height is set so the arc's top sits a forehead's
    height (measured in nose lengths, which shrink with a nodding head just as a forehead does)
    above the highest brow point.
    """
    jaw = landmarks[JAW].astype(np.float64)
    left, right = jaw[0], jaw[16]
    axis = right - left
    length = float(np.linalg.norm(axis))
    if length < 1e-6:
        return np.repeat(landmarks[27:28], 15, axis=0).astype(np.float32)
    axis /= length
    normal = np.array([-axis[1], axis[0]])  # perpendicular to the jaw ends' line, toward the chin
    if float((jaw[8] - left) @ normal) < 0:
        normal = -normal
    inner = jaw[1:16]
    offsets = (inner - left) @ normal  # how far each jaw point hangs below the line
    along = (inner - left) @ axis
    chin_drop = max(float(offsets.max()), 1e-6)
    brow_rise = -float(((landmarks[BROWS].astype(np.float64) - left) @ normal).min())  # > 0: above
    nose = landmarks[27].astype(np.float64) - landmarks[33].astype(np.float64)
    forehead = FOREHEAD_NOSE_LENGTHS * abs(float(nose @ normal))
    scale = float(np.clip((brow_rise + forehead) / chin_drop, *_ARC_SCALE))
    mirrored: NDArray[np.float64] = left + np.outer(along, axis) - np.outer(offsets * scale, normal)
    return mirrored.astype(np.float32)


def extended_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """The 68 landmarks followed by the 15 forehead points (83, 2) float32."""
    return np.vstack([landmarks.astype(np.float32), forehead_points(landmarks)])


def blend_proportions(target: np.ndarray, source: np.ndarray, weight: float) -> np.ndarray:
    """Target landmarks whose inner features move `weight` of the way to the source's proportions.

    The source's 68 points are fitted onto the target's by a robust similarity transform (pose and
    scale only; `robust_similarity` leaves out what it does not explain, such as a turned head's jaw),
    then eyes, brows, nose and mouth take the source's layout. The jaw stays the target's, so the
    blend mask still fits the target's head and the outline against hair and background is kept.
    """
    matrix = robust_similarity(source, target, start=INNER_FEATURES)
    fitted = source.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]
    blended = target.astype(np.float64).copy()
    blended[INNER_FEATURES] += weight * (fitted[INNER_FEATURES] - blended[INNER_FEATURES])
    return blended.astype(np.float32)


def robust_similarity(
    source: np.ndarray, target: np.ndarray, start: np.ndarray | None = None, rounds: int = 10
) -> NDArray[np.float64]:
    """A similarity taking `source` onto `target` that gives little weight to points it does not explain
    (a turned head's jaw is its silhouette, not a fixed part of the face), yet moves smoothly with them.

    Least squares over the `start` points (all when None), then `rounds` of reweighted least squares
    over all points with Cauchy weights 1 / (1 + (r / m)^2), m the median residual. Each round is a
    continuous function of the points, so the fit never jumps, unlike LMEDS (whose sampled subsets
    change for a hundredth of a pixel). Fitting all points, not only the inner features, keeps the
    source's inner features at their size relative to its face: part of who someone is.
    """
    source64, target64 = source.astype(np.float64), target.astype(np.float64)
    chosen = slice(None) if start is None else start
    matrix = similarity(source64[chosen], target64[chosen])
    for _ in range(rounds):
        residual = np.linalg.norm(source64 @ matrix[:, :2].T + matrix[:, 2] - target64, axis=1)
        scale = max(float(np.median(residual)), 1e-6)
        matrix = similarity(source64, target64, 1.0 / (1.0 + (residual / scale) ** 2))
    return matrix


def similarity(
    source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None
) -> NDArray[np.float64]:
    """The (2, 3) least-squares similarity (rotation, uniform scale, shift) taking `source` points
    onto `target` (Umeyama's closed form), each point counted by its weight (all 1 when None). It
    moves smoothly with the points, where LMEDS's sampled fit can jump to another solution for a
    hundredth of a pixel and move the whole warp."""
    source64, target64 = source.astype(np.float64), target.astype(np.float64)
    share = np.ones(len(source64)) if weights is None else weights.astype(np.float64)
    share = share / share.sum()
    source_mean, target_mean = share @ source64, share @ target64
    centred_source, centred_target = source64 - source_mean, target64 - target_mean
    spread = float(share @ (centred_source**2).sum(axis=1))
    if spread < 1e-12:
        return np.hstack([np.eye(2), (target_mean - source_mean)[:, None]])
    # With complex numbers z = x + iy, the best similarity is target = a * source + b.
    source_z = centred_source[:, 0] + 1j * centred_source[:, 1]
    target_z = centred_target[:, 0] + 1j * centred_target[:, 1]
    factor = complex((share * np.conj(source_z) * target_z).sum() / spread)
    linear = np.array([[factor.real, -factor.imag], [factor.imag, factor.real]])
    shift = target_mean - linear @ source_mean
    matrix: NDArray[np.float64] = np.hstack([linear, shift[:, None]])
    return matrix


def _mirror_permutation() -> np.ndarray:
    """Index map of the 83 extended points under a left-right flip (dlib's 68 layout + forehead arc)."""
    order = np.arange(83)
    pairs = [(0 + i, 16 - i) for i in range(8)]  # jaw
    pairs += [(17 + i, 26 - i) for i in range(5)]  # brows
    pairs += [(31, 35), (32, 34)]  # nostrils
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]  # outer lips
    pairs += [(60, 64), (61, 63), (65, 67)]  # inner lips
    pairs += [(68 + i, 82 - i) for i in range(7)]  # forehead arc
    for left, right in pairs:
        order[left], order[right] = right, left
    return order


MIRROR = _mirror_permutation()


def yaw(landmarks: np.ndarray) -> float:
    """How far the head is turned: where the nose tip sits between the jaw's ends, minus one half
    (0 frontal, toward +-0.5 in profile; the sign says which way)."""
    left, right = landmarks[0].astype(np.float64), landmarks[16].astype(np.float64)
    axis = right - left
    span = float(axis @ axis)
    if span < 1e-6:
        return 0.0
    return float((landmarks[30] - left) @ axis / span) - 0.5


def mirror(image: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image flipped left-right and its extended landmarks moved and renumbered to match."""
    return cv2.flip(image, 1), mirrored_points(points, image.shape[1])  # cv2: 10x numpy's ::-1 copy


def mirrored_points(points: np.ndarray, width: int) -> np.ndarray:
    """Landmarks (the 68, or the 83 extended) where they lie in their image flipped left-right,
    renumbered so each keeps its name (the left eye's corner is still the left eye's)."""
    moved = points.copy()
    moved[:, 0] = (width - 1) - moved[:, 0]
    renumbered: np.ndarray = moved[MIRROR[: len(points)]]
    return renumbered
