"""Plain data shared by every engine stage. Images are HxWx3 uint8 BGR numpy arrays (OpenCV order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray


@dataclass
class Face:
    """One detected face in one image."""

    bbox: NDArray[np.float32]  # (4,) float32: x1, y1, x2, y2 in image pixels
    score: float
    kps: NDArray[np.float32]  # (5, 2) float32: SCRFD's eyes, nose, mouth corners
    landmarks68: NDArray[np.float32] | None = None  # (68, 2) float32, dlib order, when a stage needs them
    embedding: NDArray[np.float32] | None = None  # identity vector, when a swapper computes one

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

    pixels: NDArray[np.uint8]  # HxWx3 BGR
    format: str  # "JPEG" | "PNG" | "WEBP"
    alpha: NDArray[np.uint8] | None = None  # HxW when the source had transparency
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


# Whatever a swapper extracts from a source face (landmark texture, an embedding, ...): each swapper has
# its own kind, and takes back only what its own `source_identity` made.
IdentityT = TypeVar("IdentityT")


class Swapper(Protocol[IdentityT]):
    name: str

    def source_identity(self, image: NDArray[np.uint8], face: Face) -> IdentityT: ...

    def swap(self, scene: NDArray[np.uint8], target: Face, source: IdentityT) -> NDArray[np.uint8]:
        """Return a copy of `scene` in which `target` wears `source`'s identity."""
        ...


class Restorer(Protocol):
    name: str

    def restore(self, image: NDArray[np.uint8], face: Face) -> NDArray[np.uint8]:
        """Return a copy of `image` with `face` restored and blended back."""
        ...
