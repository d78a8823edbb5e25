"""The offline tier's `enhance=true`: classic detail restoration of the face, no neural network.

The face's grain is measured first; an edge-preserving denoise (bilateral filter, range set by that
grain) flattens it and JPEG blocking with it; then lightness gets detail back at two scales (fine
edges with a threshold above the grain that is left, so noise is not amplified; mid-scale contrast of
eyes, lips and brows that a landmark warp or an upscale softened). Everything scales with the face's
size and stays inside a soft mask on the face: all other pixels keep their exact values. It is named
for what it does and never presented as GFPGAN.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from engine_layer.datatypes import Face
from engine_layer.offline.blend import composite
from engine_layer.offline.colour import from_lab, grain, to_lab
from engine_layer.offline.geometry import extended_landmarks, face_size
from engine_layer.offline.masks import feathered_inside, fill_polygon, outline_points
from engine_layer.offline.warp import Region

# Detail added back at two scales (fine, then 2.5x coarser), as fractions of each detail layer.
SHARPEN_FINE, SHARPEN_MEDIUM = 1.0, 0.8
# Bilateral range sigma per unit of measured noise (grey levels): flattens grain, keeps real edges.
DENOISE_PER_NOISE = 4.5
DENOISE_RANGE = (4.0, 50.0)


class ClassicRestorer:
    name = "classic-detail-restore"

    def restore(self, image: np.ndarray, face: Face) -> np.ndarray:
        outline, size = self._outline(face)
        if not np.isfinite(outline).all() or size < 8:
            return image.copy()  # no usable outline, or too small to hold detail worth restoring
        region = Region.around(outline, size * 0.02, image.shape)
        if region.empty:
            return image.copy()
        rows, cols = region.slices
        patch = image[rows, cols]

        shape = (region.height, region.width)
        hard = fill_polygon(shape, outline, region.origin)
        noise = grain(patch, hard > 0)
        spatial = float(np.clip(size / 250.0, 1.5, 3.0))  # grain is per pixel, whatever the face size
        colour_sigma = float(np.clip(DENOISE_PER_NOISE * noise, *DENOISE_RANGE))
        denoised = cv2.bilateralFilter(patch, int(2 * round(spatial) + 1), colour_sigma, spatial)

        lab = to_lab(denoised)
        lightness = lab[..., 0]
        # Steps smaller than the grain that is left are noise, not detail: don't amplify them.
        threshold = max(0.5, 0.8 * noise * 100.0 / 255.0)
        fine_sigma = max(0.8, size / 250.0)
        fine = lightness - cv2.GaussianBlur(lightness, (0, 0), fine_sigma)
        medium = lightness - cv2.GaussianBlur(lightness, (0, 0), 2.5 * fine_sigma) - fine
        boost = SHARPEN_FINE * _soft_threshold(fine, threshold) + SHARPEN_MEDIUM * medium
        lab[..., 0] = np.clip(lightness + boost, 0.0, 100.0)
        restored = from_lab(lab)
        mask = feathered_inside(hard, max(1, round(size * 0.05)))
        return composite(image, restored, mask, region)

    @staticmethod
    def _outline(face: Face) -> tuple[np.ndarray, float]:
        """The face outline: landmarks (with forehead) when known, else an ellipse in the detector's box."""
        if face.landmarks68 is not None and np.isfinite(face.landmarks68).all():
            landmarks = np.asarray(face.landmarks68, dtype=np.float32)
            return outline_points(extended_landmarks(landmarks)), face_size(landmarks)
        x1, y1, x2, y2 = (float(v) for v in face.bbox)
        angles = np.linspace(0.0, 2.0 * np.pi, 32, endpoint=False)
        centre_x, centre_y = (x1 + x2) / 2.0, (y1 + y2) / 2.0
        # The detector's box runs from mid-forehead to chin and ear to ear: keep a little inside it.
        half_w, half_h = (x2 - x1) * 0.44, (y2 - y1) * 0.47
        ellipse = np.stack([centre_x + half_w * np.cos(angles), centre_y + half_h * np.sin(angles)], axis=1)
        size = max(x2 - x1, y2 - y1)
        return ellipse.astype(np.float32), size if np.isfinite(size) else 0.0


def _soft_threshold(detail: np.ndarray, threshold: float) -> np.ndarray:
    shrunk: NDArray[np.float32] = np.sign(detail) * np.maximum(np.abs(detail) - threshold, 0.0)
    return shrunk
