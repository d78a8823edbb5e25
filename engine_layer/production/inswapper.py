"""Production swapper: insightface's inswapper_128 driven by a buffalo_l ArcFace embedding of the source.

insightface's model_zoo does the model-specific parts (alignment to the ArcFace template, the emap
projection of the embedding, the network's own normalisation). We take its 128 px result and the
alignment matrix (`paste_back=False`) and blend it ourselves with a feathered ellipse that stays on
the face, so hair, ears and background keep the scene's own pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.model_zoo.inswapper import INSwapper
from insightface.utils import face_align
from numpy.typing import NDArray

from engine_layer.datatypes import Face
from engine_layer.errors import EngineError
from engine_layer.model_zoo import load_zoo_model
from engine_layer.production.paste_back import ellipse_mask, paste_back


@dataclass(frozen=True)
class ArcfaceIdentity:
    """A source face's identity: its unit-length ArcFace embedding (the attribute INSwapper reads)."""

    normed_embedding: NDArray[np.float32]  # (512,)


class InswapperSwapper:
    name = "inswapper_128"

    def __init__(self, inswapper_path: Path, arcface_path: Path, providers: Sequence[str]) -> None:
        self._swapper = load_zoo_model(Path(inswapper_path), INSwapper, providers)
        self._arcface = load_zoo_model(Path(arcface_path), ArcFaceONNX, providers)
        self.crop_mask = face_mask(int(self._swapper.input_size[0]))

    def source_identity(self, image: NDArray[np.uint8], face: Face) -> ArcfaceIdentity:
        aligned = face_align.norm_crop(image, landmark=face.kps, image_size=int(self._arcface.input_size[0]))
        embedding = np.asarray(self._arcface.get_feat(aligned), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(embedding))
        if not np.isfinite(norm) or norm < 1e-6:
            raise EngineError("The source face gave no usable identity embedding.")
        return ArcfaceIdentity(normed_embedding=embedding / norm)

    def swap(self, scene: NDArray[np.uint8], target: Face, source: ArcfaceIdentity) -> NDArray[np.uint8]:
        swapped_crop, affine = self._swapper.get(scene, target, source, paste_back=False)
        return paste_back(scene, swapped_crop, self.crop_mask, affine)


def face_mask(size: int) -> NDArray[np.float32]:
    """The blend mask in inswapper's crop, placed from the ArcFace template that crop is aligned to."""
    # Template key points in this crop, as insightface's estimate_norm places them.
    if size % 112 == 0:
        points = face_align.arcface_dst * (size / 112.0)
    else:
        points = face_align.arcface_dst * (size / 128.0)
        points[:, 0] += 8.0 * size / 128.0
    eyes, mouth = points[:2], points[3:]
    eye_y, mouth_y = float(eyes[:, 1].mean()), float(mouth[:, 1].mean())
    eye_to_mouth = mouth_y - eye_y
    eye_distance = float(eyes[1, 0] - eyes[0, 0])
    # Brows to chin and cheek to cheek, in proportions of the eye-mouth and eye-eye distances.
    top, bottom = eye_y - 0.75 * eye_to_mouth, mouth_y + 0.5 * eye_to_mouth
    centre = (float(points[:, 0].mean()), (top + bottom) / 2.0)
    axes = (1.0 * eye_distance, (bottom - top) / 2.0)
    return ellipse_mask(size, centre, axes, feather=max(2, round(size * 0.08)))
