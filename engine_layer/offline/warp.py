"""Piecewise-affine warp: each Delaunay triangle of the target's points takes the pixels of the
matching triangle in the source, in one remap (no seams between triangles)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import cast

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import Delaunay, QhullError

_SUBPIXEL_BITS = 4  # fillConvexPoly's fixed-point shift: vertices placed to 1/16 px
_BAND_ROWS = 256


@dataclass(frozen=True)
class Region:
    """An axis-aligned box of the scene, clipped to it: x, y of its top-left corner, width, height."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def around(cls, points: np.ndarray, margin: float, image_shape: tuple[int, ...]) -> Region:
        height, width = image_shape[:2]
        low = np.floor(points.min(axis=0) - margin).astype(int)
        high = np.ceil(points.max(axis=0) + margin).astype(int) + 1
        x1, y1 = max(0, int(low[0])), max(0, int(low[1]))
        x2, y2 = min(width, int(high[0])), min(height, int(high[1]))
        return cls(x1, y1, max(0, x2 - x1), max(0, y2 - y1))

    @property
    def empty(self) -> bool:
        return self.width == 0 or self.height == 0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y, self.y + self.height), slice(self.x, self.x + self.width)

    @property
    def origin(self) -> np.ndarray:
        return np.array([self.x, self.y], dtype=np.float32)


def triangulate(points: np.ndarray) -> np.ndarray:
    """Delaunay triangles over `points`, (T, 3) vertex indices; slivers with no area dropped."""
    try:
        triangles: NDArray[np.int32] = Delaunay(points.astype(np.float64)).simplices
    except QhullError:  # all points on a line, or too few distinct ones
        triangles = Delaunay(points.astype(np.float64), qhull_options="QJ").simplices
    corners = points[triangles].astype(np.float64)
    edges_a = corners[:, 1] - corners[:, 0]
    edges_b = corners[:, 2] - corners[:, 0]
    areas = np.abs(edges_a[:, 0] * edges_b[:, 1] - edges_a[:, 1] * edges_b[:, 0]) / 2.0
    return triangles[areas > 1e-3].astype(np.int32)


def warp_piecewise_affine(
    source: np.ndarray,
    source_points: np.ndarray,
    target_points: np.ndarray,
    triangles: np.ndarray,
    region: Region,
) -> tuple[np.ndarray, np.ndarray]:
    """Warp `source` so its `source_points` land on `target_points` (scene coordinates), inside `region`.

    Returns the warped pixels (region-sized, same dtype as `source`) and a float32 coverage map that is
    1 where a pixel came from inside a triangle and from inside the source image, else 0. Outside the
    triangles the pixels follow the best similarity transform, so feathering near the hull has texture.
    """
    local_target = target_points.astype(np.float64) - region.origin
    triangle_of = np.zeros((region.height, region.width), dtype=np.int32)
    scale = float(1 << _SUBPIXEL_BITS)
    for index, triangle in enumerate(triangles):
        vertices = np.round(local_target[triangle] * scale).astype(np.int32)
        cv2.fillConvexPoly(triangle_of, vertices, index + 1, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)

    # One affine map per triangle, target -> source, solved for all triangles at once.
    homogeneous = np.concatenate([local_target[triangles], np.ones((len(triangles), 3, 1))], axis=2)
    maps = np.zeros((len(triangles) + 1, 3, 2))
    solvable = np.abs(np.linalg.det(homogeneous)) > 1e-6
    maps[1:][solvable] = np.linalg.solve(
        homogeneous[solvable], source_points.astype(np.float64)[triangles][solvable]
    )
    maps[0] = _similarity_map(local_target, source_points)
    maps[1:][~solvable] = maps[0]

    coefficients = maps.astype(np.float32)
    warped = np.empty((region.height, region.width, *source.shape[2:]), dtype=source.dtype)
    coverage = np.empty((region.height, region.width), dtype=np.float32)
    source_h, source_w = source.shape[:2]
    xs = np.arange(region.width, dtype=np.float32)[None, :]
    # In bands of rows: a face filling a 40 MP photo must not need gigabytes of maps at once.
    for top in range(0, region.height, _BAND_ROWS):
        rows = slice(top, min(region.height, top + _BAND_ROWS))
        chosen = coefficients[triangle_of[rows]]  # (band, width, 3, 2)
        ys = np.arange(rows.start, rows.stop, dtype=np.float32)[:, None]
        map_x = xs * chosen[..., 0, 0] + ys * chosen[..., 1, 0] + chosen[..., 2, 0]
        map_y = xs * chosen[..., 0, 1] + ys * chosen[..., 1, 1] + chosen[..., 2, 1]
        warped[rows] = per_four_channels(source, partial(_remap, map_x=map_x, map_y=map_y))
        inside_source = (map_x >= 0) & (map_y >= 0) & (map_x <= source_w - 1) & (map_y <= source_h - 1)
        coverage[rows] = (triangle_of[rows] > 0) & inside_source
    return warped, coverage


def triangle_stretch(
    source_points: np.ndarray, target_points: np.ndarray, triangles: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle: how much more it is magnified in its most stretched direction than the face is as a
    whole (1 = like the whole face; a thin strip smeared over a wide cheek measures 5-50, a collapsed
    source triangle inf), and its area on the target. Squeezing is not counted: it loses no detail."""
    target = target_points.astype(np.float64)[triangles]
    source = source_points.astype(np.float64)[triangles]
    target_edges = np.stack([target[:, 1] - target[:, 0], target[:, 2] - target[:, 0]], axis=2)
    source_edges = np.stack([source[:, 1] - source[:, 0], source[:, 2] - source[:, 0]], axis=2)
    areas = np.abs(np.linalg.det(target_edges)) / 2.0
    usable = areas > 1e-6
    stretch = np.full(len(triangles), np.inf)
    if not usable.any():
        return stretch, areas
    # Target -> source: its smaller singular value is how few source pixels a target pixel gets.
    values = np.linalg.svd(source_edges[usable] @ np.linalg.inv(target_edges[usable]), compute_uv=False)
    typical = float(np.median(np.sqrt(values[:, 0] * values[:, 1])))
    stretch[usable] = typical / np.maximum(values[:, 1], 1e-12)
    return stretch, areas


def _remap(part: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    return cv2.remap(part, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def per_four_channels(image: np.ndarray, operation: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`operation` (an OpenCV call limited to four channels) applied to `image` four channels at a time."""
    if image.ndim == 2 or image.shape[2] <= 4:
        return operation(image)
    parts = [operation(image[..., start : start + 4]) for start in range(0, image.shape[2], 4)]
    return np.dstack([part if part.ndim == 3 else part[..., None] for part in parts])


def _similarity_map(local_target: np.ndarray, source_points: np.ndarray) -> np.ndarray:
    """The (3, 2) map [x y 1] @ M of the least-squares similarity from target to source points."""
    # OpenCV answers None when the fit fails; its stubs do not say so.
    matrix = cast(
        "np.ndarray | None",
        cv2.estimateAffinePartial2D(
            local_target.astype(np.float32), source_points.astype(np.float32), method=cv2.LMEDS
        )[0],
    )
    if matrix is None:
        matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    return matrix.T.astype(np.float64)
