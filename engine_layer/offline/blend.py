"""Blending a corrected face patch into the scene.

An alpha blend with a soft mask, in two bands: fine detail crosses over within the mask's feather,
slow colour and light over a wider ramp further inside it, so no step in tone shows where the face
meets the scene (a one-band feather narrow enough to keep the outline shows one). Unlike Poisson
blending (cv2.seamlessClone) nothing from the mask's surroundings is propagated into the face, so a
bright wall behind the head cannot wash it out, and every pixel where the mask is zero keeps its
exact value.
"""

from __future__ import annotations

import numpy as np

from engine_layer.offline.filters import gaussian
from engine_layer.offline.warp import Region


def composite(scene: np.ndarray, patch: np.ndarray, mask: np.ndarray, region: Region) -> np.ndarray:
    """A copy of `scene` with `patch` (region-sized, float BGR 0..255) blended in by `mask` (0..1)."""
    result = scene.copy()
    if region.empty:
        return result
    rows, cols = region.slices
    original = scene[rows, cols].astype(np.float32)
    alpha = np.clip(mask, 0.0, 1.0)[..., None]
    mixed = original + alpha * (patch.astype(np.float32) - original)
    blended = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    # Where the mask is zero the scene's own bytes stay, not a float round trip of them.
    result[rows, cols] = np.where(alpha > 0.0, blended, scene[rows, cols])
    return result


def two_band(
    scene: np.ndarray, patch: np.ndarray, mask: np.ndarray, region: Region, sigma: float
) -> np.ndarray:
    """`patch` blended into `scene` like `composite`, its slow part (Gaussian `sigma`) over a wider ramp.

    The slow part's mask is the fine mask's own blur, never above it: zero wherever `mask` is zero.
    """
    if region.empty:
        return scene.copy()
    rows, cols = region.slices
    original = scene[rows, cols].astype(np.float32)
    patch = patch.astype(np.float32)
    fine = np.clip(mask, 0.0, 1.0).astype(np.float32)
    coarse = np.minimum(fine, gaussian(fine, sigma))
    slow_patch = gaussian(patch, sigma)
    slow_scene = gaussian(original, sigma)
    # fine * (detail difference) + coarse * (slow difference), added to the scene.
    mixed = (
        original
        + fine[..., None] * ((patch - slow_patch) - (original - slow_scene))
        + coarse[..., None] * (slow_patch - slow_scene)
    )
    return composite(scene, mixed, (fine > 0).astype(np.float32), region)
