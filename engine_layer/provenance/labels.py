"""What the engine marks into a result's pixels before encoding: the invisible watermark (when the worker
hands it a mark id) and, for keys that ask for it, a visible corner label."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine_layer.provenance.mark_encoder import embed_mark

VISIBLE_TEXT = "AI-generated"


@dataclass(frozen=True)
class ResultLabels:
    mark_id: int | None = None  # 20-bit id the worker registered for the task; None: no watermark
    visible_label: bool = False


def apply_labels(pixels: np.ndarray, labels: ResultLabels) -> np.ndarray:
    """`pixels` with the watermark and/or visible label; the same array when neither is asked for."""
    if labels.visible_label:
        pixels = draw_visible_label(pixels)
    if labels.mark_id is not None:
        # After the visible label, so the label's pixels carry the mark too.
        pixels = embed_mark(pixels, labels.mark_id)
    return pixels


def draw_visible_label(pixels: np.ndarray) -> np.ndarray:
    """White text on a dark box in the bottom-right corner, about 1/30 of the short side tall."""
    out = pixels.copy()
    height, width = out.shape[:2]
    text_height = max(10, min(height, width) // 30)
    scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, text_height, 1)
    thickness = max(1, text_height // 10)
    (text_w, text_h), baseline = cv2.getTextSize(VISIBLE_TEXT, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    pad = max(2, text_height // 3)
    x1, y1 = max(0, width - text_w - 3 * pad), max(0, height - text_h - baseline - 3 * pad)
    x2, y2 = min(width, x1 + text_w + 2 * pad), min(height, y1 + text_h + baseline + 2 * pad)
    box = out[y1:y2, x1:x2]
    box[:] = (box.astype(np.uint16) * 2 // 5).astype(np.uint8)  # darken 60%: readable on any background
    origin = (x1 + pad, y2 - pad - baseline)
    cv2.putText(
        out, VISIBLE_TEXT, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA
    )
    return out
