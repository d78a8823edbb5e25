"""Blending a corrected face patch into the scene.

A plain alpha blend with a soft mask: unlike Poisson blending (cv2.seamlessClone), nothing from the
mask's surroundings is propagated into the face, so a bright wall behind the head cannot wash it out,
and every pixel where the mask is zero keeps its exact value.
"""

from __future__ import annotations

import numpy as np

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
