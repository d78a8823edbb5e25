"""The one face-finding pipeline: reduce, letterbox, run a canvas detector, map back, order.

API (numpy SCRFD, scrfd_numpy) and worker (insightface SCRFD, scrfd_insightface) both come through
here with their own `CanvasDetector`, so they see identical pixels and the same faces. Pillow + numpy only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine_layer.datatypes import Face
from engine_layer.decode import decode_preview, reduce_for_detection
from engine_layer.detection.ordering import order_faces
from engine_layer.detection.thresholds import DETECTION_FITS, DETECTOR_INPUT_SIZE, PREVIEW_SIDE

# One 640x640 BGR canvas in; (n,5) boxes with score and (n,5,2) keypoints, after NMS, out.
CanvasDetector = Callable[[NDArray[np.uint8]], tuple[NDArray[np.float32], NDArray[np.float32]]]


def detect_faces(pixels: NDArray[np.uint8], detect_canvas: CanvasDetector, factor: int = 1) -> list[Face]:
    """Contract-ordered faces of a BGR image, found by `detect_canvas` on 640x640 copies.

    `pixels` may be a reduced copy of the photo (`factor` photo pixels per pixel, see decode_preview):
    faces come back in the photo's coordinates either way. A large full-size array is box-reduced first,
    as a PNG's preview is.
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


def letterbox(pixels: NDArray[np.uint8], fit: int = DETECTOR_INPUT_SIZE) -> tuple[NDArray[np.uint8], float]:
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


def faces_from_detections(boxes: NDArray[np.float32], kps: NDArray[np.float32], scale: float) -> list[Face]:
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
