"""Piecewise-affine warp: each triangle of a fixed layout takes the pixels of the matching triangle in
the source, in one remap (no seams between triangles). A triangle that folds over (its corners run the
other way round on the target or in the source than in the layout: a face turned or rolled so far that
points pass each other) never has its own, mirroring, map drawn: its neighbour's map covers it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import Delaunay, QhullError

from engine_layer.offline.geometry import similarity

_BAND_ROWS = 256
# Triangles thinner than this (px, on the target or in the source) never use their own map; one more
# pixel of thickness hands them over to it gradually.
_THIN = 0.25
_THICK_ENOUGH = 1.0


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
    """Delaunay triangles over `points`, (T, 3) vertex indices listed with positive signed area (the
    orientation `soundness` checks against); slivers with no area dropped."""
    try:
        triangles: NDArray[np.int32] = Delaunay(points.astype(np.float64)).simplices
    except QhullError:  # all points on a line, or too few distinct ones
        triangles = Delaunay(points.astype(np.float64), qhull_options="QJ").simplices
    areas = signed_areas(points, triangles)
    triangles = np.where((areas < 0)[:, None], triangles[:, [0, 2, 1]], triangles)
    return triangles[np.abs(areas) > 1e-3].astype(np.int32)


def signed_areas(points: np.ndarray, triangles: np.ndarray) -> NDArray[np.float64]:
    """Each triangle's area, positive when its corners run one way round (clockwise on screen), else
    negative."""
    corners = points.astype(np.float64)[triangles]
    first, second = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    areas: NDArray[np.float64] = (first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0]) / 2.0
    return areas


def soundness(
    source_points: np.ndarray, target_points: np.ndarray, triangles: np.ndarray
) -> NDArray[np.float64]:
    """Per triangle (listed with positive signed area in its layout), how far its own map can be
    trusted, 0..1: 0 where it folds over (runs the other way round on the target or in the source,
    its map a mirror image) or is thinner than a quarter pixel, rising to 1 at 1.25 px thin.

    A sliver's map moves far for a hundredth of a pixel on a landmark; handing it over to a
    neighbour's map gradually keeps the warp continuous as a triangle thins, flattens and folds."""
    return np.minimum(
        _thickness_weight(target_points, triangles), _thickness_weight(source_points, triangles)
    )


def _thickness_weight(points: np.ndarray, triangles: np.ndarray) -> NDArray[np.float64]:
    corners = points.astype(np.float64)[triangles]
    longest = np.max(np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2), axis=1)
    thickness = 2.0 * signed_areas(points, triangles) / np.maximum(longest, 1e-12)
    weight: NDArray[np.float64] = np.clip((thickness - _THIN) / _THICK_ENOUGH, 0.0, 1.0)
    return weight


def warp_piecewise_affine(
    source: np.ndarray,
    source_points: np.ndarray,
    target_points: np.ndarray,
    triangles: np.ndarray,
    region: Region,
) -> tuple[np.ndarray, np.ndarray]:
    """Warp `source` so its `source_points` land on `target_points` (scene coordinates), inside `region`.

    `triangles` are listed with positive signed area in their layout (`triangulate`, `layout.py`).
    Returns the warped pixels (region-sized, same dtype as `source`) and a float32 coverage map that is
    1 where a pixel came from inside a triangle and from inside the source image, else 0. Outside the
    triangles the pixels follow the best similarity transform, so feathering near the hull has texture.
    Folded and thin triangles (`soundness` under 1) are drawn first, with the map of their largest
    sound neighbour (else the similarity) mixed in as their soundness falls: the sound ones paint over
    them, and what they alone cover is no hole.
    """
    local_target = target_points.astype(np.float64) - region.origin
    maps = triangle_maps(source_points, local_target, triangles)
    trust = soundness(source_points, target_points, triangles)
    order = np.concatenate([np.flatnonzero(trust < 1.0), np.flatnonzero(trust >= 1.0)])
    triangle_of = owners(local_target, triangles, order, (region.height, region.width))

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


def triangle_maps(source_points: np.ndarray, target_points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """The affine map each triangle is drawn with, target -> source, as (T + 1, 3, 2) rows M of
    [x y 1] @ M; row 0 is the least-squares similarity (outside the triangles), row 1 + i triangle i's.

    A triangle that is not sound (`soundness` under 1: folded, flat or thin) has the map of its largest
    sound edge neighbour (else the similarity) mixed into its own as its soundness falls, all of it
    when it folds: no triangle's own map is drawn mirrored.
    """
    target = target_points.astype(np.float64)
    trust = soundness(source_points, target, triangles)
    maps = np.zeros((len(triangles) + 1, 3, 2))
    maps[0] = _similarity_map(target, source_points)
    # One affine map per triangle, solved for all usable triangles at once.
    homogeneous = np.concatenate([target[triangles], np.ones((len(triangles), 3, 1))], axis=2)
    usable = trust > 0.0
    maps[1:][usable] = np.linalg.solve(
        homogeneous[usable], source_points.astype(np.float64)[triangles][usable]
    )
    sound = trust >= 1.0
    doubtful = np.flatnonzero(~sound)
    stand_ins = maps[_stand_ins(triangles, sound, signed_areas(target, triangles))]
    weights = trust[doubtful][:, None, None]
    maps[1 + doubtful] = weights * maps[1 + doubtful] + (1.0 - weights) * stand_ins
    return maps


def owners(
    points: np.ndarray, triangles: np.ndarray, order: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Per pixel, 1 + the index of the triangle (drawn in `order`, later ones on top) whose inside holds
    the pixel's centre, 0 where none does.

    By centre, not by OpenCV's fill (which also takes every pixel a triangle's edge touches): a pixel
    never takes a map from a triangle it lies outside of, where that map is extrapolated. A thin
    triangle's map extrapolated a pixel away moves far, so a hundredth of a pixel on a landmark could
    change a pixel by tens of grey levels; inside its triangles the warp is continuous.
    """
    owner = np.zeros(shape, dtype=np.int32)
    height, width = shape
    corners = points.astype(np.float64)[triangles]  # (T, 3, 2)
    starts, ends = corners, np.roll(corners, -1, axis=1)
    edges = ends - starts
    # Each edge as a x + b y + c >= 0 on the inside, whichever way round the triangle runs.
    turn = np.sign(signed_areas(points, triangles))[:, None]
    a, b = -edges[..., 1] * turn, edges[..., 0] * turn
    c = -(a * starts[..., 0] + b * starts[..., 1])
    lows = np.maximum(np.ceil(corners.min(axis=1)), 0).astype(int).tolist()
    highs = np.minimum(np.floor(corners.max(axis=1)), [width - 1, height - 1]).astype(int).tolist()
    xs = np.arange(width, dtype=np.float64)[None, None, :]
    ys = np.arange(height, dtype=np.float64)[None, :, None]
    for index in order.tolist():
        (x0, y0), (x1, y1) = lows[index], highs[index]
        if x1 < x0 or y1 < y0:
            continue
        sides = (
            a[index][:, None, None] * xs[..., x0 : x1 + 1]
            + b[index][:, None, None] * ys[:, y0 : y1 + 1]
            + c[index][:, None, None]
        )
        owner[y0 : y1 + 1, x0 : x1 + 1][(sides >= -1e-9).all(axis=0)] = index + 1
    return owner


def triangle_stretch(
    source_points: np.ndarray, target_points: np.ndarray, triangles: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle: how much more the map it is drawn with (`triangle_maps`) magnifies in its most
    stretched direction than the face is magnified as a whole (1 = like the whole face; a thin strip
    smeared over a wide cheek measures 5-50, a collapsed source triangle inf), and its area on the
    target. Squeezing is not counted: it loses no detail."""
    areas = np.abs(signed_areas(target_points, triangles))
    # Target -> source: the smaller singular value is how few source pixels a target pixel gets.
    linear = np.transpose(triangle_maps(source_points, target_points, triangles)[1:, :2, :], (0, 2, 1))
    values = np.linalg.svd(linear, compute_uv=False)
    typical = float(np.median(np.sqrt(values[:, 0] * values[:, 1])))
    stretch = np.where(values[:, 1] > 1e-12, typical / np.maximum(values[:, 1], 1e-12), np.inf)
    return stretch, areas


def _stand_ins(triangles: np.ndarray, sound: np.ndarray, areas: np.ndarray) -> NDArray[np.int_]:
    """For each triangle that is not sound, the map row (1 + index) of its largest sound edge
    neighbour, or 0 (the similarity) when it has none."""
    neighbours = _neighbours(triangles.astype(np.int32).tobytes())
    rows = []
    for index in np.flatnonzero(~sound).tolist():
        candidates = [other for other in neighbours[index] if sound[other]]
        rows.append(1 + max(candidates, key=lambda other: areas[other]) if candidates else 0)
    return np.array(rows, dtype=np.int_)


@lru_cache(maxsize=8)
def _neighbours(layout: bytes) -> tuple[tuple[int, ...], ...]:
    """Per triangle of a layout (int32 (T, 3) as bytes: the layout is fixed, so this is worked out
    once), the triangles that share an edge with it."""
    triangles = np.frombuffer(layout, dtype=np.int32).reshape(-1, 3).tolist()
    sharing: dict[tuple[int, int], list[int]] = {}
    for index, (first, second, third) in enumerate(triangles):
        for pair in ((first, second), (second, third), (third, first)):
            sharing.setdefault((min(pair), max(pair)), []).append(index)
    return tuple(
        tuple(
            other
            for pair in ((first, second), (second, third), (third, first))
            for other in sharing[(min(pair), max(pair))]
            if other != index
        )
        for index, (first, second, third) in enumerate(triangles)
    )


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
    return similarity(local_target, source_points).T
