"""Counting faces in the API Lambda: the engine's SCRFD run with numpy + onnxruntime only.

The Lambda cannot carry OpenCV or insightface, so this module decodes SCRFD's outputs itself (anchor
centres, distance-to-box and distance-to-keypoint decoding, NMS) the way insightface's model_zoo SCRFD
does. It shares `letterbox` with engine_layer.detection and the threshold/ordering with engine_layer.faces,
so the API and the worker see the same faces in the same photo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnxruntime
from PIL import Image

from engine_layer.datatypes import DecodedImage, Face
from engine_layer.decode import decode_preview, reduce_for_detection
from engine_layer.errors import ModelsMissing
from engine_layer.faces import DETECTION_THRESHOLD, DETECTOR_INPUT_SIZE, NMS_THRESHOLD, order_faces

_STRIDES = (8, 16, 32)
_ANCHORS_PER_CELL = 2
_MEAN = 127.5
_STD = 128.0


# Passes over one image: the photo fitted to the whole input, then (only when that finds nobody) fitted
# to half of it, because SCRFD misses a face that fills its whole input (a tight crop, a close selfie).
DETECTION_FITS: tuple[int, ...] = (DETECTOR_INPUT_SIZE, DETECTOR_INPUT_SIZE // 2)
# Detection reads a copy reduced to about twice the detector's input: letterbox then still averages
# several pixels into each of the detector's, so small faces look as they do on the full photo.
PREVIEW_SIDE = 2 * DETECTOR_INPUT_SIZE

CanvasDetector = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def detect_faces(pixels: np.ndarray, detect_canvas: CanvasDetector, factor: int = 1) -> list[Face]:
    """Contract-ordered faces of a BGR image, found by `detect_canvas` on 640x640 copies.

    `pixels` may be a reduced copy of the photo (`factor` photo pixels per pixel, see decode_preview):
    faces come back in the photo's coordinates either way. A large full-size array is box-reduced first,
    as a PNG's preview is. API (numpy SCRFD) and worker (insightface SCRFD) both come through here, so
    they see the same copies.
    """
    if factor == 1:
        pixels, factor = reduce_for_detection(pixels, PREVIEW_SIDE)
    for fit in DETECTION_FITS:
        canvas, scale = letterbox(pixels, fit)
        boxes, kps = detect_canvas(canvas)
        if boxes.shape[0]:
            return faces_from_detections(boxes, kps, scale / factor)
    return []


def detect_in_upload(data: bytes, field: str, detect_canvas: CanvasDetector) -> list[Face]:
    """Faces of an upload found on its preview (a JPEG decoded at reduced scale): no full decode."""
    preview = decode_preview(data, field, PREVIEW_SIDE)
    return detect_faces(preview.pixels, detect_canvas, preview.factor)


def letterbox(pixels: np.ndarray, fit: int = DETECTOR_INPUT_SIZE) -> tuple[np.ndarray, float]:
    """`pixels` scaled to fit a fit x fit square at the top left of the detector's zero-padded canvas.

    Returns (canvas, scale). Pillow's resampling is antialiased, so a large photo is reduced without
    aliasing; detection runs on this small copy and boxes are divided by `scale` to land back on the
    full-resolution image.
    """
    size = DETECTOR_INPUT_SIZE
    height, width = pixels.shape[:2]
    scale = fit / max(height, width)
    new_width = min(fit, max(1, round(width * scale)))
    new_height = min(fit, max(1, round(height * scale)))
    if (new_width, new_height) == (width, height):
        resized = pixels
    else:
        image = Image.fromarray(np.ascontiguousarray(pixels), "RGB")  # channel order does not matter here
        resized = np.asarray(image.resize((new_width, new_height), Image.Resampling.BILINEAR))
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[:new_height, :new_width] = resized
    return canvas, scale


def faces_from_detections(boxes: np.ndarray, kps: np.ndarray, scale: float) -> list[Face]:
    """Canvas detections ((n,5) box+score, (n,5,2) kps) back on the original image, contract-ordered."""
    faces = [
        Face(
            bbox=(boxes[i, :4] / scale).astype(np.float32),
            score=float(boxes[i, 4]),
            kps=(kps[i] / scale).astype(np.float32),
        )
        for i in range(boxes.shape[0])
    ]
    return order_faces(faces)


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

    def detect_canvas(self, canvas_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _anchor_centres(size: int, stride: int) -> np.ndarray:
    cells = size // stride
    ys, xs = np.mgrid[:cells, :cells]
    centres = (np.stack([xs, ys], axis=-1).reshape(-1, 2) * stride).astype(np.float32)
    return np.repeat(centres, _ANCHORS_PER_CELL, axis=0)


def _nms(boxes: np.ndarray, threshold: float) -> list[int]:
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
