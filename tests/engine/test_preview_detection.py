"""Detection reads reduced pixels (a JPEG decoded at 1/2..1/8 scale in draft mode) and maps faces back:
the same faces, in the same places, as a detection on the full decode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine_layer import manifest
from engine_layer.datatypes import Face
from engine_layer.decode import decode_image, decode_preview
from engine_layer.detection.pipeline import faces_from_detections, letterbox
from engine_layer.detection.scrfd_insightface import ScrfdDetector
from engine_layer.detection.scrfd_numpy import FaceCounter
from engine_layer.detection.thresholds import DETECTION_FITS, PREVIEW_SIDE
from tests.engine.helpers import CPU, encode
from tests.engine.test_precheck import composite_with_background_face


@pytest.fixture(scope="session")
def detector(model_dir: Path) -> ScrfdDetector:
    return ScrfdDetector(manifest.SCRFD.path(model_dir), CPU)


@pytest.fixture(scope="session")
def counter(model_dir: Path) -> FaceCounter:
    return FaceCounter(manifest.SCRFD.path(model_dir))


def on_full_decode(detector: ScrfdDetector, data: bytes) -> list[Face]:
    """Detection as it was before previews: the full decode letterboxed straight to the detector."""
    pixels = decode_image(data, "x").pixels
    for fit in DETECTION_FITS:
        canvas, scale = letterbox(pixels, fit)
        boxes, kps = detector._detect_canvas(canvas)
        if boxes.shape[0]:
            return faces_from_detections(boxes, kps, scale)
    return []


def assert_close(found: list[Face], reference: list[Face], pixels: float) -> None:
    assert len(found) == len(reference)
    for a, b in zip(found, reference, strict=True):
        assert np.abs(a.bbox - b.bbox).max() < pixels
        assert np.abs(a.kps - b.kps).max() < pixels


@pytest.mark.parametrize(("factor", "draft"), [(2, 2), (4, 4)])
def test_a_large_jpeg_is_detected_on_a_draft_decode(
    detector: ScrfdDetector, t1_rgb: Image.Image, factor: int, draft: int
) -> None:
    big = t1_rgb.resize((t1_rgb.width * factor, t1_rgb.height * factor), Image.Resampling.BICUBIC)
    data = encode(big, quality=92)
    preview = decode_preview(data, "x", PREVIEW_SIDE)
    # libjpeg decoded it small: never a full-size array, and still at least twice the detector's input.
    assert preview.factor == draft and preview.decoded is None
    assert preview.pixels.shape[:2] == (-(-big.height // draft), -(-big.width // draft))
    assert max(preview.pixels.shape[:2]) >= PREVIEW_SIDE
    faces = detector.detect_in_upload(data, "x")
    assert len(faces) == 6
    # Mapped back to the photo: within a pixel or two of the full decode's boxes (0.2 detector px).
    assert_close(faces, on_full_decode(detector, data), pixels=2.0)


def test_api_and_worker_read_the_same_preview(
    detector: ScrfdDetector, counter: FaceCounter, t1_rgb: Image.Image
) -> None:
    data = encode(t1_rgb.resize((3840, 2658), Image.Resampling.BICUBIC))
    api, worker = counter.faces_in_upload(data, "x"), detector.detect_in_upload(data, "x")
    assert len(api) == 6
    assert_close(api, worker, pixels=0.5 * 3)  # a twentieth of a detector pixel, mapped up


def test_small_faces_and_the_background_rule_survive_the_preview(
    detector: ScrfdDetector, counter: FaceCounter, t1_rgb: Image.Image, crop: Callable[..., Image.Image]
) -> None:
    small = composite_with_background_face(t1_rgb, crop)
    data = encode(small.resize((small.width * 4, small.height * 4), Image.Resampling.BICUBIC))
    preview = decode_preview(data, "x", PREVIEW_SIDE)
    assert preview.factor == 2
    boxes, _ = counter.detect_canvas(letterbox(preview.pixels)[0])
    assert boxes.shape[0] == 2  # the tiny background face is still seen by SCRFD ...
    faces = counter.faces_in_upload(data, "x")
    assert len(faces) == 1 and faces[0].centre[0] < 4 * 440  # ... and still dropped by the rule
    assert_close(faces, detector.detect_in_upload(data, "x"), pixels=1.5)


def test_png_preview_is_box_reduced_and_keeps_the_full_decode(t1_rgb: Image.Image) -> None:
    data = encode(t1_rgb.resize((2600, 1800)), "PNG")
    preview = decode_preview(data, "x", PREVIEW_SIDE)
    assert preview.factor == 2 and preview.pixels.shape[:2] == (900, 1300)
    assert preview.decoded is not None and preview.decoded.pixels.shape[:2] == (1800, 2600)


def test_exif_orientation_applies_to_the_preview(t1_rgb: Image.Image) -> None:
    big = t1_rgb.resize((2560, 1772))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = encode(big, exif=exif.tobytes())
    preview = decode_preview(data, "x", PREVIEW_SIDE)
    full = decode_image(data, "x").pixels
    assert preview.pixels.shape[:2] == (1280, 886) and full.shape[:2] == (2560, 1772)
