"""Face-local work: cut a face's neighbourhood out of a photo at a bounded working resolution, and put
back only what a swapper or restorer changed.

A face's work should cost what the face needs, not what the photo has: swapper and restorer see a crop
around the face (wide enough for every mask, blur and alignment window they use, so their result is the
one they would give on the whole frame), shrunk when the face is larger than the working resolution.
Back on the frame, only pixels the stage changed are replaced: at full scale by a plain copy (bit-exact),
when shrunk by the crop resampled up under a mask of the changed pixels, so untouched skin, hair and
background keep their own full-resolution bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from engine_layer.datatypes import Face

# Crop context around the face box, in face sides on each side. Every window the stages read stays
# inside it: dlib's landmark crop (box + half a box), the classic swapper's forehead arc and masks,
# GFPGAN's 512 px aligned window (about 1.3 face sides from the centre for a face turned 45 degrees).
CONTEXT = 1.0
# Rows resampled and blended at a time: a face filling a 40 MP photo must not need gigabytes of floats.
_BAND_ROWS = 512


@dataclass(frozen=True)
class FaceCrop:
    """A box of the frame (x, y, width, height, clipped to it) and the working size it is resampled to."""

    x: int
    y: int
    width: int
    height: int
    work_width: int
    work_height: int

    @classmethod
    def around(cls, face: Face, frame_shape: tuple[int, ...], resolution: int) -> FaceCrop:
        """The crop holding `face` and its context, shrunk so the face's side is at most `resolution`."""
        frame_h, frame_w = frame_shape[:2]
        x1, y1, x2, y2 = (float(v) for v in face.bbox)
        side = max(x2 - x1, y2 - y1, 1.0)
        margin = CONTEXT * side
        left, top = max(0, math.floor(x1 - margin)), max(0, math.floor(y1 - margin))
        right, bottom = min(frame_w, math.ceil(x2 + margin)), min(frame_h, math.ceil(y2 + margin))
        width, height = max(1, right - left), max(1, bottom - top)
        left, top = min(left, frame_w - width), min(top, frame_h - height)  # a face wholly outside
        scale = min(1.0, resolution / side)
        if scale >= 1.0:
            return cls(left, top, width, height, width, height)
        work = (max(1, round(width * scale)), max(1, round(height * scale)))
        return cls(left, top, width, height, *work)

    @property
    def scaled(self) -> bool:
        return (self.work_width, self.work_height) != (self.width, self.height)

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y, self.y + self.height), slice(self.x, self.x + self.width)

    def cut(self, frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """The crop's pixels at working size (a copy: stages may not write into the frame)."""
        pixels = frame[self.slices]
        if not self.scaled:
            return pixels.copy()
        shrunk = cv2.resize(pixels, (self.work_width, self.work_height), interpolation=cv2.INTER_AREA)
        return np.asarray(shrunk, dtype=np.uint8)  # as it came: cv2 keeps the dtype, its stubs do not say so

    def face_in(self, face: Face) -> Face:
        """`face` with box, key points and landmarks in the crop's working coordinates."""
        return replace(
            face,
            bbox=self._points_in(np.asarray(face.bbox).reshape(2, 2)).reshape(4),
            kps=self._points_in(np.asarray(face.kps)),
            landmarks68=None if face.landmarks68 is None else self._points_in(np.asarray(face.landmarks68)),
        )

    def paste(self, frame: NDArray[np.uint8], before: NDArray[np.uint8], after: NDArray[np.uint8]) -> bool:
        """Write into `frame` (in place) what turned `before` (a `cut`) into `after`. False: no change."""
        changed = np.any(before != after, axis=2)
        rows, cols = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
        if rows.size == 0:
            return False
        top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        if not self.scaled:
            frame[self.y + top : self.y + bottom, self.x + left : self.x + right] = after[
                top:bottom, left:right
            ]
            return True
        self._paste_resampled(frame, after, changed, (top, bottom, left, right))
        return True

    def overlaps(self, other: FaceCrop) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    def _factors(self) -> tuple[float, float]:
        return self.work_width / self.width, self.work_height / self.height

    def _points_in(self, points: NDArray[np.float32]) -> NDArray[np.float32]:
        local = points.astype(np.float32) - np.array([self.x, self.y], dtype=np.float32)
        if not self.scaled:
            return local  # exact: the crop is the frame shifted by whole pixels
        # Pixel centres map as cv2.resize maps them: (p + 0.5) * s - 0.5.
        factors = np.array(self._factors(), dtype=np.float32)
        return ((local + 0.5) * factors - 0.5).astype(np.float32)

    def _paste_resampled(
        self,
        frame: NDArray[np.uint8],
        after: NDArray[np.uint8],
        changed: NDArray[np.bool_],
        box: tuple[int, int, int, int],
    ) -> None:
        """Resample `after` up over the changed box only, blended by the changed mask (feathered by the
        resampling), so pixels the stage left alone keep the frame's own full-resolution values."""
        sx, sy = self._factors()
        top, bottom, left, right = box
        # One working pixel of slack each side: the cubic kernel and the mask's ramp reach that far.
        top, left = max(0, top - 2), max(0, left - 2)
        bottom, right = min(self.work_height, bottom + 2), min(self.work_width, right + 2)
        # That box in frame pixels (crop-relative), generously rounded outwards.
        x0, x1 = max(0, math.floor(left / sx)), min(self.width, math.ceil(right / sx))
        y0, y1 = max(0, math.floor(top / sy)), min(self.height, math.ceil(bottom / sy))
        grown = cv2.dilate(changed.astype(np.float32), np.ones((3, 3), np.uint8))
        for band_top in range(y0, y1, _BAND_ROWS):
            band_bottom = min(y1, band_top + _BAND_ROWS)
            size = (x1 - x0, band_bottom - band_top)
            # Frame pixel (u, v) of this band sits at working pixel ((u + x0 + .5) sx - .5, ...).
            to_work = np.array(
                [[sx, 0.0, (x0 + 0.5) * sx - 0.5], [0.0, sy, (band_top + 0.5) * sy - 0.5]], dtype=np.float64
            )
            flags = cv2.WARP_INVERSE_MAP
            upsampled = cv2.warpAffine(
                after, to_work, size, flags=flags | cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
            )
            alpha = cv2.warpAffine(
                grown, to_work, size, flags=flags | cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
            )
            target = frame[self.y + band_top : self.y + band_bottom, self.x + x0 : self.x + x1]
            alpha = np.clip(alpha, 0.0, 1.0)[..., None]
            mixed = target + alpha * (upsampled.astype(np.float32) - target)
            # Where the mask is zero the frame keeps its exact bytes, not a float round trip of them.
            np.copyto(target, np.clip(np.rint(mixed), 0, 255).astype(np.uint8), where=alpha > 0.0)
