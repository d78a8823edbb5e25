"""SCRFD through insightface's model_zoo (engine_layer.detection) and dlib landmarks, on real photos."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine_layer import manifest
from engine_layer.datatypes import DecodedImage
from engine_layer.decode import decode_image
from engine_layer.detection.scrfd_insightface import ScrfdDetector
from engine_layer.detection.thresholds import DETECTION_THRESHOLD
from engine_layer.errors import ModelsMissing
from engine_layer.landmarks import DlibLandmarker
from tests.engine.helpers import CPU, T1_BOXES, encode


@pytest.fixture(scope="session")
def detector(model_dir: Path) -> ScrfdDetector:
    return ScrfdDetector(manifest.SCRFD.path(model_dir), CPU)


@pytest.fixture(scope="session")
def landmarker(model_dir: Path) -> DlibLandmarker:
    return DlibLandmarker(manifest.DLIB_68.path(model_dir))


def test_t1_has_six_faces_left_to_right(detector: ScrfdDetector, t1_image: DecodedImage) -> None:
    faces = detector.detect(t1_image.pixels)
    assert len(faces) == 6
    centres = [f.centre[0] for f in faces]
    assert centres == sorted(centres)
    for found, expected in zip(faces, T1_BOXES, strict=True):
        assert np.abs(found.bbox - np.array(expected)).max() < 2.0
        assert found.score >= DETECTION_THRESHOLD
        x1, y1, x2, y2 = found.bbox
        assert np.all((found.kps[:, 0] > x1) & (found.kps[:, 0] < x2))
        assert np.all((found.kps[:, 1] > y1) & (found.kps[:, 1] < y2))


def test_large_image_is_detected_on_a_small_copy_and_mapped_back(
    detector: ScrfdDetector, t1_rgb: Image.Image
) -> None:
    big = np.asarray(t1_rgb.resize((3840, 2658), Image.Resampling.BICUBIC))[..., ::-1]
    faces = detector.detect(np.ascontiguousarray(big))
    assert len(faces) == 6
    for found, expected in zip(faces, T1_BOXES, strict=True):
        assert np.abs(found.bbox / 3.0 - np.array(expected)).max() < 4.0


def test_a_face_filling_the_frame_is_found(detector: ScrfdDetector, tom_hanks_bytes: bytes) -> None:
    # Tom_Hanks_54745.png is a 112x112 aligned crop: the face fills the picture, which SCRFD misses at
    # full input size; the second, half-size pass finds it.
    faces = detector.detect(decode_image(tom_hanks_bytes, "srcimage").pixels)
    assert len(faces) == 1
    assert faces[0].area > 0.5 * 112 * 112


@pytest.mark.parametrize("shape", [(240, 320), (1, 1), (3, 500), (500, 2)])
def test_no_face_gives_an_empty_list(detector: ScrfdDetector, shape: tuple[int, int]) -> None:
    assert detector.detect(np.full((*shape, 3), 128, np.uint8)) == []


def test_grayscale_photo_still_has_its_faces(detector: ScrfdDetector, t1_rgb: Image.Image) -> None:
    grey = decode_image(encode(t1_rgb.convert("L")), "srcimage")
    assert len(detector.detect(grey.pixels)) == 6


def test_a_face_cut_by_the_border(
    detector: ScrfdDetector, landmarker: DlibLandmarker, crop: Callable[..., Image.Image]
) -> None:
    whole = crop(2, margin=0.3)
    # Cut through the face a little left of its middle: the box then sticks out of the image.
    half = np.ascontiguousarray(
        np.asarray(whole.crop((whole.width // 2 - 20, 0, whole.width, whole.height)))[..., ::-1]
    )
    faces = detector.detect(half)
    assert len(faces) == 1
    assert faces[0].bbox[0] < 0 < faces[0].bbox[2]
    points = landmarker.landmarks(half, faces[0])
    assert points.shape == (68, 2) and np.all(np.isfinite(points))


def test_landmarks_sit_on_the_face(
    detector: ScrfdDetector, landmarker: DlibLandmarker, t1_image: DecodedImage
) -> None:
    for face in detector.detect(t1_image.pixels):
        points = landmarker.landmarks(t1_image.pixels, face)
        assert points.shape == (68, 2) and points.dtype == np.float32
        left_eye, right_eye = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
        mouth = points[48:68].mean(axis=0)
        # dlib's eye centres land near SCRFD's own eye keypoints; the mouth is below the eyes.
        interocular = float(np.linalg.norm(right_eye - left_eye))
        assert np.linalg.norm(left_eye - face.kps[0]) < 0.35 * interocular
        assert np.linalg.norm(right_eye - face.kps[1]) < 0.35 * interocular
        assert mouth[1] > max(left_eye[1], right_eye[1])


def test_missing_or_wrong_model_is_models_missing(tmp_path: Path, model_dir: Path) -> None:
    with pytest.raises(ModelsMissing):
        ScrfdDetector(manifest.SCRFD.path(tmp_path), CPU)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a graph")
    with pytest.raises(ModelsMissing):
        ScrfdDetector(junk, CPU)
    with pytest.raises(ModelsMissing):
        DlibLandmarker(tmp_path / "absent.dat")
