"""The warp's fixed triangle layout over the 83 extended points (dlib's 68 + the forehead arc).

Built once, at import, by Delaunay on a canonical upright face (the mean of t1.jpg's two frontal faces
and their mirror images, eye line level, scaled to a unit box) with the mouth held open, and with the
mouth's inside and both eyes triangulated explicitly. Every face is then cut the same way: the
triangles no longer depend on the landmarks' noise (a Delaunay of the target's own points flipped
edges in an open mouth for a hundredth of a pixel), and an inner-lip triangle never bridges the
mouth from an outer-lip point.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import Delaunay

from engine_layer.offline.geometry import INNER_LIPS, LEFT_EYE, OUTER_LIPS, RIGHT_EYE, extended_landmarks
from engine_layer.offline.warp import signed_areas

# The canonical face: (x, y) of dlib's 68 points in a unit box, left-right symmetric.
CANONICAL_68 = np.array(
    [
        [0.0, 0.151], [0.003, 0.281], [0.012, 0.415], [0.037, 0.545], [0.087, 0.672], [0.168, 0.782],
        [0.266, 0.879], [0.373, 0.964], [0.5, 0.985], [0.627, 0.964], [0.734, 0.879], [0.832, 0.782],
        [0.913, 0.672], [0.963, 0.545], [0.988, 0.415], [0.997, 0.281], [1.0, 0.151], [0.09, 0.067],
        [0.152, 0.011], [0.239, 0.0], [0.327, 0.014], [0.41, 0.057], [0.59, 0.057], [0.673, 0.014],
        [0.761, 0.0], [0.848, 0.011], [0.91, 0.067], [0.5, 0.156], [0.5, 0.253], [0.5, 0.348],
        [0.5, 0.444], [0.4, 0.499], [0.449, 0.519], [0.5, 0.536], [0.551, 0.519], [0.6, 0.499],
        [0.196, 0.176], [0.248, 0.161], [0.309, 0.164], [0.366, 0.177], [0.309, 0.197], [0.248, 0.199],
        [0.634, 0.177], [0.691, 0.164], [0.752, 0.161], [0.804, 0.176], [0.752, 0.199], [0.691, 0.197],
        [0.293, 0.626], [0.368, 0.617], [0.443, 0.617], [0.5, 0.632], [0.557, 0.617], [0.632, 0.617],
        [0.707, 0.626], [0.636, 0.711], [0.561, 0.755], [0.5, 0.763], [0.439, 0.755], [0.364, 0.711],
        [0.327, 0.634], [0.445, 0.658], [0.5, 0.666], [0.555, 0.658], [0.673, 0.634], [0.557, 0.671],
        [0.5, 0.679], [0.443, 0.671],
    ],
    dtype=np.float64,
)  # fmt: skip
_LOWER_LIP = np.array([55, 56, 57, 58, 59, 65, 66, 67])
_MOUTH_OPENING = 0.05  # lower lip moved down for the Delaunay: an open mouth has a clear inside


def _fan(ring: NDArray[np.int_]) -> list[tuple[int, int, int]]:
    """A convex ring of point indices cut into a strip of triangles between its two halves."""
    order = list(ring)
    triangles = []
    low, high = 0, len(order) - 1
    upper_turn = True
    while high - low >= 2:
        if upper_turn:
            triangles.append((order[low], order[low + 1], order[high]))
            low += 1
        else:
            triangles.append((order[low], order[high - 1], order[high]))
            high -= 1
        upper_turn = not upper_turn
    return triangles


def _inside(points: np.ndarray, ring: NDArray[np.int_], where: np.ndarray) -> NDArray[np.bool_]:
    polygon = points[ring]
    inside = np.zeros(len(where), dtype=bool)
    for start, end in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        crosses = (start[1] > where[:, 1]) != (end[1] > where[:, 1])
        at = start[0] + (where[:, 1] - start[1]) * (end[0] - start[0]) / (end[1] - start[1] + 1e-12)
        inside ^= crosses & (where[:, 0] < at)
    return inside


def _stitched(outer: list[int], inner: list[int], x: np.ndarray) -> list[tuple[int, int, int]]:
    """The band between two polylines that run left to right, cut into triangles (a zip by x)."""
    triangles = []
    i, j = 0, 0
    while i < len(outer) - 1 or j < len(inner) - 1:
        advance_outer = j == len(inner) - 1 or (i < len(outer) - 1 and x[outer[i + 1]] <= x[inner[j + 1]])
        if advance_outer:
            triangles.append((outer[i], outer[i + 1], inner[j]))
            i += 1
        else:
            triangles.append((outer[i], inner[j + 1], inner[j]))
            j += 1
    return triangles


def _build() -> tuple[np.ndarray, NDArray[np.int32]]:
    canonical = CANONICAL_68.copy()
    canonical[_LOWER_LIP, 1] += _MOUTH_OPENING
    points = extended_landmarks(canonical).astype(np.float64)
    triangles = Delaunay(points).simplices
    # The lips (outer ring 48-59 to inner ring 60-67), the mouth's inside and each eye, cut by hand.
    centroids = points[triangles].mean(axis=1)
    by_hand = _inside(points, OUTER_LIPS, centroids)
    by_hand |= _inside(points, LEFT_EYE, centroids) | _inside(points, RIGHT_EYE, centroids)
    x = points[:, 0]
    explicit = _stitched([48, 49, 50, 51, 52, 53, 54], [48, 60, 61, 62, 63, 64, 54], x)
    explicit += _stitched([48, 59, 58, 57, 56, 55, 54], [48, 60, 67, 66, 65, 64, 54], x)
    explicit += _fan(INNER_LIPS) + _fan(LEFT_EYE) + _fan(RIGHT_EYE)
    layout = np.vstack([triangles[~by_hand], np.array(explicit)]).astype(np.int32)
    layout = layout[np.abs(signed_areas(points, layout)) > 1e-9]
    # Every triangle listed the same way round (positive signed area on the canonical face).
    backwards = signed_areas(points, layout) < 0
    layout[backwards] = layout[backwards][:, [0, 2, 1]]
    return points, layout


CANONICAL_POINTS, FACE_TRIANGLES = _build()
