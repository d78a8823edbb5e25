"""Face detection in the worker: SCRFD through insightface's model_zoo.

The image is first reduced (a JPEG upload: decoded at 1/2..1/8 scale) and then fitted to the model's
640x640 input by the pipeline the API's pre-check uses, so both see identical pixels; boxes and
keypoints are scaled back to full resolution, where the swap happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from insightface.model_zoo.scrfd import SCRFD
from numpy.typing import NDArray

from engine_layer.datatypes import Face
from engine_layer.decode import Preview
from engine_layer.detection.pipeline import detect_faces, detect_in_upload
from engine_layer.detection.thresholds import DETECTION_THRESHOLD, DETECTOR_INPUT_SIZE, NMS_THRESHOLD
from engine_layer.errors import ModelsMissing
from engine_layer.model_zoo import load_zoo_model


class ScrfdDetector:
    def __init__(self, model_path: Path, providers: Sequence[str]) -> None:
        model_path = Path(model_path)
        model = load_zoo_model(model_path, SCRFD, providers)
        size = (DETECTOR_INPUT_SIZE, DETECTOR_INPUT_SIZE)
        model.prepare(0, input_size=size, det_thresh=DETECTION_THRESHOLD, nms_thresh=NMS_THRESHOLD)
        self._model = model
        self._size = size
        self.name = f"scrfd:{model_path.stem}"

    def detect(self, image_bgr: NDArray[np.uint8]) -> list[Face]:
        """Foreground faces of `image_bgr`, in contract order, in full-resolution coordinates."""
        return detect_faces(image_bgr, self._detect_canvas)

    def detect_in_upload(self, data: bytes, field: str) -> list[Face]:
        """Foreground faces of uploaded bytes, read from a reduced decode (as the API's pre-check does)."""
        return detect_in_upload(data, field, self._detect_canvas)

    def detect_in_preview(self, preview: Preview) -> list[Face]:
        """Foreground faces of an upload's preview (decode_preview), in the upload's coordinates."""
        return detect_faces(preview.pixels, self._detect_canvas, preview.factor)

    def _detect_canvas(self, canvas: NDArray[np.uint8]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        boxes, kps = self._model.detect(canvas, input_size=self._size, det_thresh=DETECTION_THRESHOLD)
        if kps is None:  # a detector without keypoints cannot drive alignment
            raise ModelsMissing("The face detector gives no keypoints; a 5-keypoint SCRFD is required.")
        return boxes, kps
