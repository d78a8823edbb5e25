"""Counting faces in the API Lambda: SCRFD run with numpy + onnxruntime only.

The Lambda cannot carry OpenCV or insightface, so this module decodes SCRFD's outputs itself (anchor
centres, distance-to-box and distance-to-keypoint decoding, NMS) the way insightface's model_zoo SCRFD
does. The pipeline and thresholds are the worker's (engine_layer.detection.pipeline, .thresholds), so
the API and the worker see the same faces in the same photo.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime
from numpy.typing import NDArray

from engine_layer.datatypes import DecodedImage, Face
from engine_layer.detection.pipeline import detect_faces, detect_in_upload
from engine_layer.detection.thresholds import DETECTION_THRESHOLD, DETECTOR_INPUT_SIZE, NMS_THRESHOLD
from engine_layer.errors import ModelsMissing

_STRIDES = (8, 16, 32)
_ANCHORS_PER_CELL = 2
_MEAN = 127.5
_STD = 128.0


class FaceCounter:
    name = "scrfd-numpy"

    def __init__(self, model_path: Path, providers: Sequence[str] | None = None) -> None:
        if not Path(model_path).is_file():
            raise ModelsMissing(f"Face detector {model_path} is missing.", file=str(model_path))
        self._session = onnxruntime.InferenceSession(
            str(model_path), providers=list(providers or ["CPUExecutionProvider"])
        )
        self._input_name = self._session.get_inputs()[0].name
        self._output_names = [output.name for output in self._session.get_outputs()]
        if len(self._output_names) != 3 * len(_STRIDES):
            raise ModelsMissing(
                f"{model_path} is not an SCRFD detector with keypoints.", file=str(model_path)
            )
        self._centres = {stride: _anchor_centres(DETECTOR_INPUT_SIZE, stride) for stride in _STRIDES}

    def faces(self, decoded: DecodedImage) -> list[Face]:
        """Foreground faces of `decoded`, in contract order (left to right)."""
        return detect_faces(decoded.pixels, self.detect_canvas)

    def faces_in_upload(self, data: bytes, field: str) -> list[Face]:
        """Foreground faces of uploaded bytes, read from a reduced decode (the API's pre-check)."""
        return detect_in_upload(data, field, self.detect_canvas)

    def detect_canvas(self, canvas_bgr: NDArray[np.uint8]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """SCRFD on one 640x640 BGR canvas: (n,5) boxes with score, (n,5,2) keypoints, after NMS."""
        rgb = canvas_bgr[..., ::-1].astype(np.float32)
        blob = ((rgb - _MEAN) * np.float32(1.0 / _STD)).transpose(2, 0, 1)[None]
        outputs = self._session.run(self._output_names, {self._input_name: np.ascontiguousarray(blob)})
        levels = len(_STRIDES)
        all_boxes, all_kps = [], []
        for level, stride in enumerate(_STRIDES):
            scores = outputs[level].reshape(-1)
            box_dist = outputs[level + levels].reshape(-1, 4) * stride
            kps_dist = outputs[level + 2 * levels].reshape(-1, 10) * stride
            keep = np.where(scores >= DETECTION_THRESHOLD)[0]
            if keep.size == 0:
                continue
            centres = self._centres[stride][keep]
            box_dist, kps_dist = box_dist[keep], kps_dist[keep]
            boxes = np.concatenate([centres - box_dist[:, :2], centres + box_dist[:, 2:]], axis=1)
            points = np.tile(centres, 5) + kps_dist
            all_boxes.append(np.concatenate([boxes, scores[keep, None]], axis=1))
            all_kps.append(points.reshape(-1, 5, 2))
        if not all_boxes:
            return np.empty((0, 5), np.float32), np.empty((0, 5, 2), np.float32)
        boxes = np.concatenate(all_boxes).astype(np.float32)
        kps = np.concatenate(all_kps).astype(np.float32)
        order = np.argsort(-boxes[:, 4], kind="stable")
        boxes, kps = boxes[order], kps[order]
        keep_nms = _nms(boxes, NMS_THRESHOLD)
        return boxes[keep_nms], kps[keep_nms]


def _anchor_centres(size: int, stride: int) -> NDArray[np.float32]:
    cells = size // stride
    ys, xs = np.mgrid[:cells, :cells]
    centres = (np.stack([xs, ys], axis=-1).reshape(-1, 2) * stride).astype(np.float32)
    return np.repeat(centres, _ANCHORS_PER_CELL, axis=0)


def _nms(boxes: NDArray[np.float32], threshold: float) -> list[int]:
    """Greedy NMS over score-sorted boxes, the +1 pixel area convention of insightface's SCRFD."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.arange(boxes.shape[0])
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        width = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        height = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        overlap = width * height / (areas[best] + areas[rest] - width * height)
        order = rest[overlap <= threshold]
    return keep
