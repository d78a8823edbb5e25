"""Soft masks in aligned-crop space and the paste-back that blends a processed crop into the scene.

Both production models work on an aligned square crop (inswapper 128 px, GFPGAN 512 px). The crop is
warped back into the scene only inside the bounding box of the crop's footprint, weighted by a mask
drawn in crop space that is exactly zero on the crop's border: every scene pixel outside the mask's
support keeps its exact value.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray


def ellipse_mask(
    size: int, centre: tuple[float, float], axes: tuple[float, float], feather: int
) -> NDArray[np.float32]:
    """A filled ellipse (crop pixels) blurred over `feather` pixels; float32 in [0, 1], zero on the border."""
    if not 0 < feather < size // 4:
        raise ValueError(f"feather {feather} does not fit a {size}px crop")
    mask = np.zeros((size, size), dtype=np.float32)
    cv2.ellipse(
        mask,
        (round(centre[0]), round(centre[1])),
        (round(axes[0]), round(axes[1])),
        0.0,
        0.0,
        360.0,
        1.0,
        thickness=-1,
        lineType=cv2.LINE_AA,
    )
    return _feather(mask, feather)


def box_mask(size: int, margin: int) -> NDArray[np.float32]:
    """A square that fades to zero over `margin` pixels at each edge; float32 in [0, 1]."""
    if not 1 < margin < size // 4:
        raise ValueError(f"margin {margin} does not fit a {size}px crop")
    mask = np.zeros((size, size), dtype=np.float32)
    mask[margin:-margin, margin:-margin] = 1.0
    return _feather(mask, margin - 1)


def _feather(mask: NDArray[np.float32], radius: int) -> NDArray[np.float32]:
    # A Gaussian truncated at `radius`: the blur never reaches further than `radius` pixels, so a shape
    # kept `radius` pixels away from the border stays exactly zero there.
    blurred = cv2.GaussianBlur(
        mask, (2 * radius + 1, 2 * radius + 1), radius / 2.0, borderType=cv2.BORDER_CONSTANT
    )
    blurred[blurred < 1e-4] = 0.0  # float dust from the blur must not count as "inside"
    blurred[0, :] = blurred[-1, :] = blurred[:, 0] = blurred[:, -1] = 0.0
    return np.clip(blurred, 0.0, 1.0)


def paste_back(
    scene: NDArray[np.uint8],
    crop: NDArray[np.uint8],
    crop_mask: NDArray[np.float32],
    affine: NDArray[np.floating[Any]],
) -> NDArray[np.uint8]:
    """Return a copy of `scene` with `crop` blended in where `crop_mask` (crop space) is above zero.

    `affine` is the 2x3 matrix that took scene pixels to crop pixels when the crop was cut out.
    """
    if crop.shape[:2] != crop_mask.shape:
        raise ValueError(f"crop {crop.shape[:2]} and mask {crop_mask.shape} differ in size")
    height, width = scene.shape[:2]
    inverse = cv2.invertAffineTransform(affine.astype(np.float64))
    crop_h, crop_w = crop.shape[:2]
    corners = np.array([[0, 0], [crop_w, 0], [crop_w, crop_h], [0, crop_h]], dtype=np.float64)
    footprint = corners @ inverse[:, :2].T + inverse[:, 2]
    x1, y1 = np.clip(np.floor(footprint.min(axis=0)).astype(int), 0, [width, height])
    x2, y2 = np.clip(np.ceil(footprint.max(axis=0)).astype(int), 0, [width, height])
    result = scene.copy()
    if x2 <= x1 or y2 <= y1:
        return result  # the crop lies wholly outside the scene

    # Warp only into the footprint's box: a face is a small part of a large photo.
    to_region = inverse.copy()
    to_region[:, 2] -= (x1, y1)
    region_size = (int(x2 - x1), int(y2 - y1))
    region_crop = cv2.warpAffine(
        crop, to_region, region_size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    region_mask = cv2.warpAffine(
        crop_mask.astype(np.float32),
        to_region,
        region_size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    region_mask = np.clip(region_mask, 0.0, 1.0)[:, :, None]
    original = result[y1:y2, x1:x2].astype(np.float32)
    blended = original + (region_crop.astype(np.float32) - original) * region_mask
    result[y1:y2, x1:x2] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return result
