"""Plain data shared by every engine stage. Images are HxWx3 uint8 BGR numpy arrays (OpenCV order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass
class Face:
    """One detected face in one image."""

    bbox: np.ndarray  # (4,) float32: x1, y1, x2, y2 in image pixels
    score: float
    kps: np.ndarray  # (5, 2) float32: SCRFD's eyes, nose, mouth corners
    landmarks68: np.ndarray | None = None  # (68, 2) float32, dlib order, when a stage needs them
    embedding: np.ndarray | None = None  # identity vector, when a swapper computes one

    @property
    def area(self) -> float:
        x1, y1, x2, y2 = (float(v) for v in self.bbox)
        return max(0.0, x2 - x1) * max(0.0, y2 - y1)

    @property
    def centre(self) -> tuple[float, float]:
        x1, y1, x2, y2 = (float(v) for v in self.bbox)
        return (x1 + x2) / 2.0, (y1 + y2) / 2.0


@dataclass
class DecodedImage:
    """A decoded upload: EXIF orientation applied, colour in BGR, alpha kept apart."""

    pixels: np.ndarray  # HxWx3 uint8 BGR
    format: str  # "JPEG" | "PNG" | "WEBP"
    alpha: np.ndarray | None = None  # HxW uint8 when the source had transparency
    icc_profile: bytes | None = None
    # JPEG sources: their own quantisation tables (natural order, oriented like `pixels`) and chroma
    # subsampling (Pillow's 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0), so the result is re-encoded as the scene was.
    jpeg_qtables: list[list[int]] | None = None
    jpeg_subsampling: int | None = None
    webp_lossless: bool = False  # a WebP source stored losslessly (VP8L): its result is lossless too


@dataclass
class SwapResult:
    image: bytes  # encoded in the scene's format
    content_type: str  # image/jpeg, image/png, image/webp
    format: str
    engine: dict[str, str] = field(default_factory=dict)  # {"tier", "detector", "swapper", "restorer"}
    # engine_layer.quality's report: {"warnings": [...], "faces": [per swapped face]}; None if unmeasured.
    quality: dict[str, Any] | None = None


class SourceIdentity(Protocol):
    """Whatever a swapper extracts from a source face (landmark texture, an embedding, ...)."""


class Swapper(Protocol):
    name: str

    def source_identity(self, image: np.ndarray, face: Face) -> SourceIdentity: ...

    def swap(self, scene: np.ndarray, target: Face, source: SourceIdentity) -> np.ndarray:
        """Return a copy of `scene` in which `target` wears `source`'s identity."""
        ...


class Restorer(Protocol):
    name: str

    def restore(self, image: np.ndarray, face: Face) -> np.ndarray:
        """Return a copy of `image` with `face` restored and blended back."""
        ...
