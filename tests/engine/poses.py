"""Faces posed by code for the warp and pose tests: a photo rolled about one face, its landmarks with it."""

from __future__ import annotations

import cv2
import numpy as np

from engine_layer.datatypes import Face


def rolled_about(image: np.ndarray, face: Face, degrees: float) -> tuple[np.ndarray, Face]:
    """`image` turned by `degrees` about `face`, and the face with its landmarks turned with it."""
    height, width = image.shape[:2]
    centre = tuple(float(v) for v in face.landmarks68.mean(axis=0))
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    turned = cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )
    moved = (face.landmarks68 @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
    return turned, Face(bbox=face.bbox, score=1.0, kps=face.kps, landmarks68=moved)
