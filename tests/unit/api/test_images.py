"""Each image a client sends: resolved (bytes, data: URI), format and size from the header, then faces.

Every refusal names the image the way the client named it (multipart field or JSON name)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image

from core.adapters.url_fetch import UrlFetcher
from core.models.errors import ApiError
from engine_layer import manifest
from functions.api.images import check_faces, check_format, resolve
from tests import face_photos
from tests.offline_models import offline_model_dir
from tests.unit.api.bad_images import encoded, gif, png_claiming

ONE = face_photos.one_face(1)
TWO = face_photos.two_faces((0, 2))


@pytest.fixture(scope="module")
def detector() -> Path:
    return manifest.SCRFD.path(offline_model_dir())


def test_bytes_pass_through_and_data_uris_decode() -> None:
    fetcher = UrlFetcher()
    assert resolve(ONE, "srcimage", fetcher) is ONE
    encoded = base64.b64encode(ONE).decode()
    assert resolve(f"data:image/jpeg;base64,{encoded}", "source_image", fetcher) == ONE
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))  # MIME line breaks
    assert resolve(f" DATA:image/jpeg;name=a.jpg;base64,{wrapped} ", "source_image", fetcher) == ONE


@pytest.mark.parametrize(
    "value",
    [
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png,rawtext",
        "data:image/png;base64,@@@@",
        "data:image/png;base64,abc",
        "/etc/passwd",
        "ftp://images.example/a.jpg",
        "",
    ],
)
def test_bad_references_are_invalid_parameter(value: str) -> None:
    with pytest.raises(ApiError) as raised:
        resolve(value, "target_image2", UrlFetcher())
    assert (raised.value.status, raised.value.body.code) == (400, "invalid_parameter")
    assert raised.value.body.details == {"parameter": "target_image2"}


@pytest.mark.parametrize(
    ("label", "data", "said"),
    [
        ("empty", b"", "empty"),
        ("text", b"hello, world", "not a readable"),
        ("gif", gif(), "not a readable"),
        ("bmp", encoded(Image.new("RGB", (64, 64)), "BMP"), "not a readable"),
        ("tiff", encoded(Image.new("RGB", (64, 64)), "TIFF"), "not a readable"),
        ("jpeg cut inside its header", ONE[:120], "not a readable"),
        ("bomb past Pillow's own guard", png_claiming(50_000, 50_000), "not a readable"),
        ("bomb of 64 MP", png_claiming(8000, 8000), "pixels"),
        ("over 8192 a side", png_claiming(8193, 10), "px a side"),
        ("over 40 MP", png_claiming(8000, 5001), "pixels"),
        ("zero-sized", png_claiming(0, 10), ""),
    ],
)
def test_unsupported_or_over_limit_images_are_refused_by_header(label: str, data: bytes, said: str) -> None:
    with pytest.raises(ApiError) as raised:
        check_format(data, "srcimage", "source_image")
    assert (raised.value.status, raised.value.body.code) == (400, "invalid_image_format"), label
    assert raised.value.body.details == {"image": "source_image"}
    assert said in raised.value.body.message


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_supported_formats_give_their_content_type(image_format: str) -> None:
    info = check_format(face_photos.one_face(1, image_format), "srcimage", "srcimage")
    assert info.content_type == f"image/{image_format.lower()}"
    at_the_limits = png_claiming(8192, 4882)  # 8192 a side, 39.99 MP
    assert check_format(at_the_limits, "srcimage", "srcimage").format == "PNG"


def test_faces_are_counted_per_field(detector: Path) -> None:
    check_faces(ONE, "srcimage", "srcimage", 1, detector)
    check_faces(TWO, "srcimage", "srcimage", 2, detector)
    with pytest.raises(ApiError) as raised:
        check_faces(TWO, "targetimage1", "target_image1", 1, detector)
    assert raised.value.body.code == "face_count_mismatch"
    assert raised.value.body.details == {"image": "target_image1", "expected": 1, "found": 2}
    with pytest.raises(ApiError) as raised:
        check_faces(face_photos.no_face(), "srcimage", "srcimage", 2, detector)
    assert raised.value.body.code == "no_face_detected"
    assert raised.value.body.details == {"image": "srcimage"}


def test_a_truncated_jpeg_with_a_whole_header_is_refused_when_decoded(detector: Path) -> None:
    truncated = ONE[: len(ONE) // 3]
    assert check_format(truncated, "srcimage", "srcimage").format == "JPEG"  # the header reads fine
    with pytest.raises(ApiError) as raised:
        check_faces(truncated, "srcimage", "srcimage", 1, detector)
    assert (raised.value.status, raised.value.body.code) == (400, "invalid_image_format")
    assert raised.value.body.details == {"image": "srcimage"}


def test_a_missing_detector_is_a_server_error_not_the_clients_fault(tmp_path: Path) -> None:
    with pytest.raises(ApiError) as raised:
        check_faces(ONE, "srcimage", "srcimage", 1, manifest.SCRFD.path(tmp_path))
    assert (raised.value.status, raised.value.body.code) == (500, "server_error")


def test_a_progressive_jpeg_with_thousands_of_scans_is_refused_by_header() -> None:
    from tests.engine.test_jpeg_scans import scan_bomb

    with pytest.raises(ApiError) as raised:
        check_format(scan_bomb(5000), "srcimage", "source_image")
    assert (raised.value.status, raised.value.body.code) == (400, "invalid_image_format")
    assert raised.value.body.details == {"image": "source_image"}
