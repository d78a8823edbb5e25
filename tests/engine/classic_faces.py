"""Real faces for the offline tier's tests, with no download: insightface's bundled photos, dlib's own
HOG face finder for boxes, the dlib models of the offline tier (tests/offline_models.py), and the
engine's DlibLandmarker for the 68 points."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import dlib
import numpy as np

from engine_layer import manifest
from engine_layer.datatypes import Face
from engine_layer.landmarks import DlibLandmarker
from engine_layer.offline import ClassicSwapper
from engine_layer.offline.colour import to_lab
from engine_layer.offline.geometry import extended_landmarks
from engine_layer.offline.masks import FaceMasks, fill_polygon, outline_points
from tests.face_photos import insightface_photo_path
from tests.offline_models import offline_model_dir


def dlib_model(file_name: str) -> Path:
    return offline_model_dir() / file_name


def insightface_image(file_name: str) -> np.ndarray:
    image = cv2.imread(str(insightface_photo_path(file_name)), cv2.IMREAD_COLOR)
    assert image is not None, file_name
    return image


@cache
def landmarker() -> DlibLandmarker:
    return DlibLandmarker(dlib_model(manifest.DLIB_68.file))


@cache
def _recogniser() -> dlib.face_recognition_model_v1:
    return dlib.face_recognition_model_v1(str(dlib_model(manifest.DLIB_RECOGNITION.file)))


def find_faces(image: np.ndarray) -> list[Face]:
    """Faces left to right, each with box, five key points and 68 landmarks."""
    found = dlib.get_frontal_face_detector()(np.ascontiguousarray(image[..., ::-1]), 1)
    faces = []
    for rect in sorted(found, key=lambda r: r.center().x):
        box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], dtype=np.float32)
        face = Face(bbox=box, score=1.0, kps=np.zeros((5, 2), dtype=np.float32))
        points = landmarker().landmarks(image, face)
        face.kps = np.array(
            [
                points[36:42].mean(axis=0),
                points[42:48].mean(axis=0),
                points[30],
                points[48],
                points[54],
            ],
            dtype=np.float32,
        )
        faces.append(face)
    return faces


def descriptor(image: np.ndarray, face: Face) -> np.ndarray:
    """dlib's 128-D identity descriptor: an independent judge (the swapper never uses it)."""
    points = landmarker().landmarks(image, face)
    x1, y1, x2, y2 = (round(float(v)) for v in face.bbox)
    shape = dlib.full_object_detection(
        dlib.rectangle(x1, y1, x2, y2), [dlib.point(round(float(x)), round(float(y))) for x, y in points]
    )
    rgb = np.ascontiguousarray(image[..., ::-1])
    return np.asarray(_recogniser().compute_face_descriptor(rgb, shape), dtype=np.float64)


def outline_mask(image: np.ndarray, face: Face) -> np.ndarray:
    """Boolean mask of the face outline (jaw + estimated forehead) from the points the swapper fits
    (the landmarker's, averaged with its fit on the mirrored photo)."""
    points = outline_points(extended_landmarks(ClassicSwapper(landmarker()).landmarks(image, face)))
    return fill_polygon(image.shape[:2], points, np.zeros(2, dtype=np.float32)) > 0


def skin_pixels(image: np.ndarray, face: Face) -> np.ndarray:
    extended = extended_landmarks(landmarker().landmarks(image, face))
    return FaceMasks(image.shape[:2], extended, np.zeros(2, dtype=np.float32)).skin > 0.5


def mean_lab(image: np.ndarray, where: np.ndarray) -> np.ndarray:
    return to_lab(image)[where].mean(axis=0)


def t1_with_landmarks() -> tuple[np.ndarray, list[Face]]:
    """insightface's t1.jpg and its faces (left to right), each with dlib's 68 landmarks."""
    image = insightface_image("t1.jpg")
    faces = find_faces(image)
    for face in faces:
        face.landmarks68 = landmarker().landmarks(image, face)
    return image, faces
