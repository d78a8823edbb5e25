"""Production restorer: GFPGAN v1.4 exported to ONNX, run through onnxruntime.

The face is aligned by its five key points onto the FFHQ 512 template GFPGAN was trained on (a
similarity fit, the equivalent of facexlib's LMEDS estimate; outside the photo the crop is facexlib's
grey), fed as RGB in [-1, 1], and the restored crop is pasted back under a feathered box mask, then
mixed with the unrestored face by `strength` (full strength looks airbrushed).
tests/engine/test_production_reference.py checks these steps against GFPGAN's published inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
from numpy.typing import NDArray
from skimage.transform import SimilarityTransform

from engine_layer.datatypes import Face
from engine_layer.errors import EngineError, ModelsMissing
from engine_layer.production.paste_back import box_mask, paste_back

CROP_SIZE = 512
# Eye centres, nose tip and mouth corners in a 512 px FFHQ-aligned face: the template facexlib's
# FaceRestoreHelper aligns to before GFPGAN (and the one facefusion calls "ffhq_512").
FFHQ_512_TEMPLATE = np.array(
    [
        [192.98138, 239.94708],
        [318.90277, 240.1936],
        [256.63416, 314.01935],
        [201.26117, 371.41043],
        [313.08905, 371.15118],
    ],
    dtype=np.float64,
)
# What facexlib's FaceRestoreHelper fills the crop with where it leaves the photo (B, G, R).
CROP_BORDER_BGR = (135, 133, 132)


class GfpganRestorer:
    name = "gfpgan-1.4"

    def __init__(self, model_path: Path, providers: Sequence[str], strength: float = 0.8) -> None:
        if not 0.0 < strength <= 1.0:
            raise ValueError(f"strength must be in (0, 1], got {strength}")
        model_path = Path(model_path)
        if not model_path.is_file():
            raise ModelsMissing(f"Model file {model_path} is missing.", file=str(model_path))
        try:
            self._session = onnxruntime.InferenceSession(str(model_path), providers=list(providers))
        except Exception as exc:  # onnxruntime raises its own exception types for unreadable graphs
            raise ModelsMissing(
                f"Model file {model_path} cannot be loaded: {exc}", file=str(model_path)
            ) from exc
        self._input_name, self._output_name = _check_signature(self._session, model_path)
        self.crop_mask = box_mask(CROP_SIZE, margin=CROP_SIZE // 10) * np.float32(strength)

    def restore(self, image: NDArray[np.uint8], face: Face) -> NDArray[np.uint8]:
        crop, affine = aligned_crop(image, face.kps)
        output = self._session.run([self._output_name], {self._input_name: to_network(crop)})[0]
        return paste_back(image, from_network(output), self.crop_mask, affine)


def aligned_crop(
    image: NDArray[np.uint8], kps: NDArray[np.float32]
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """The 512 px FFHQ-aligned BGR crop GFPGAN restores, and the 2x3 matrix from image to crop."""
    affine = alignment_matrix(kps)
    crop = cv2.warpAffine(
        image,
        affine,
        (CROP_SIZE, CROP_SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=CROP_BORDER_BGR,
    )
    return np.asarray(crop, dtype=np.uint8), affine  # a no-op: cv2 keeps the dtype, its stubs do not say


def alignment_matrix(kps: NDArray[np.float32]) -> NDArray[np.float64]:
    """Least-squares similarity (rotation, uniform scale, shift) from the key points onto the template."""
    transform = SimilarityTransform.from_estimate(np.asarray(kps, dtype=np.float64), FFHQ_512_TEMPLATE)
    if not transform:
        raise EngineError("The face's key points are degenerate; it cannot be aligned for restoration.")
    return np.asarray(transform.params[:2], dtype=np.float64)


def to_network(crop_bgr: NDArray[np.uint8]) -> NDArray[np.float32]:
    """HxWx3 uint8 BGR -> 1x3xHxW float32 RGB in [-1, 1]."""
    rgb = crop_bgr[:, :, ::-1].astype(np.float32) / 255.0
    return np.ascontiguousarray(((rgb - 0.5) / 0.5).transpose(2, 0, 1)[None])


def from_network(output: NDArray[np.float32]) -> NDArray[np.uint8]:
    """1x3xHxW RGB in [-1, 1] -> HxWx3 uint8 BGR (values outside the range are clipped)."""
    rgb = (np.clip(output[0], -1.0, 1.0) + 1.0) / 2.0
    return np.ascontiguousarray(np.rint(rgb.transpose(1, 2, 0) * 255.0).astype(np.uint8)[:, :, ::-1])


def _check_signature(session: onnxruntime.InferenceSession, model_path: Path) -> tuple[str, str]:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    expected = [1, 3, CROP_SIZE, CROP_SIZE]
    # Symbolic dimensions (a dynamic batch) are accepted; fixed ones must match.
    shape_ok = len(inputs) == 1 and len(inputs[0].shape) == 4
    if shape_ok:
        shape_ok = all(
            not isinstance(dim, int) or dim == want
            for dim, want in zip(inputs[0].shape, expected, strict=True)
        )
    if not shape_ok or len(outputs) != 1 or inputs[0].type != "tensor(float)":
        found = [(i.name, i.shape, i.type) for i in inputs]
        raise ModelsMissing(
            f"Model file {model_path} is not a GFPGAN 512 model (inputs {found}, {len(outputs)} outputs).",
            file=str(model_path),
        )
    return inputs[0].name, outputs[0].name
