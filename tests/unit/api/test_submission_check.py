"""The whole check of a submission, without AWS: fields, parameters, images fetched by URL, faces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from core.adapters.url_fetch import UrlFetcher
from core.models.errors import ApiError
from core.settings import Settings
from engine_layer.operations import Operation
from functions.api.request_body import parse_inputs
from functions.api.submission import check
from tests import face_photos
from tests.offline_models import offline_model_dir
from tests.unit.api.loopback_http import loopback_only, serving

ONE = face_photos.one_face(1)
ONE_PNG = face_photos.one_face(4, "PNG")
TWO = face_photos.two_faces((0, 2))


class _Photos(BaseHTTPRequestHandler):
    photos: ClassVar[dict[str, bytes]] = {"/one.jpg": ONE, "/one.png": ONE_PNG, "/two.jpg": TWO}

    def do_GET(self) -> None:
        data = self.photos.get(self.path)
        self.send_response(200 if data else 404)
        self.send_header("Content-Length", str(len(data or b"")))
        self.end_headers()
        self.wfile.write(data or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def photo_server() -> Iterator[str]:
    with serving(_Photos) as url:
        yield url


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(FACESWAP_MODEL_DIR=offline_model_dir())


def _json(document: dict) -> bytes:
    return json.dumps(document).encode()


def test_images_named_by_url_are_fetched_checked_and_typed(photo_server: str, settings: Settings) -> None:
    raw = parse_inputs(
        "application/json",
        _json(
            {
                "source_image": f"{photo_server}/one.jpg",
                "target_image": f"{photo_server}/one.png",
                "enhance": "TRUE",
                "callback": "ignored",
            }
        ),
    )
    checked = check(Operation.BASICSWAP, raw, settings, UrlFetcher(policy=loopback_only, allow_http=True))
    assert checked.images == {"srcimage": (ONE, "image/jpeg"), "targetimage": (ONE_PNG, "image/png")}
    assert checked.enhance is True and checked.swap_index is None


def test_the_same_urls_under_the_real_policy_are_refused(photo_server: str, settings: Settings) -> None:
    raw = parse_inputs(
        "application/json",
        _json({"source_image": f"{photo_server}/one.jpg", "target_image": f"{photo_server}/one.jpg"}),
    )
    with pytest.raises(ApiError) as raised:
        check(Operation.BASICSWAP, raw, settings)
    assert (raised.value.status, raised.value.body.code) == (400, "invalid_parameter")
    assert raised.value.body.details == {"parameter": "source_image"}


def test_face_faults_name_the_json_field(photo_server: str, settings: Settings) -> None:
    raw = parse_inputs(
        "application/json",
        _json(
            {
                "source_image": f"{photo_server}/two.jpg",
                "target_image1": f"{photo_server}/one.jpg",
                "target_image2": f"{photo_server}/two.jpg",
            }
        ),
    )
    with pytest.raises(ApiError) as raised:
        check(Operation.SWAP1FROM2, raw, settings, UrlFetcher(policy=loopback_only, allow_http=True))
    assert raised.value.body.code == "face_count_mismatch"
    assert raised.value.body.details == {"image": "target_image2", "expected": 1, "found": 2}


def test_a_url_that_answers_404_is_invalid_parameter(photo_server: str, settings: Settings) -> None:
    raw = parse_inputs("application/json", _json({"source_image": f"{photo_server}/two.jpg"}))
    raw_missing = parse_inputs("application/json", _json({"source_image": f"{photo_server}/gone.jpg"}))
    assert check(
        Operation.SWAPFACESAMEIMAGE, raw, settings, UrlFetcher(policy=loopback_only, allow_http=True)
    ).images
    with pytest.raises(ApiError) as raised:
        check(
            Operation.SWAPFACESAMEIMAGE,
            raw_missing,
            settings,
            UrlFetcher(policy=loopback_only, allow_http=True),
        )
    assert raised.value.body.details == {"parameter": "source_image"}


@pytest.mark.parametrize(
    ("document", "code", "details"),
    [
        (
            {"source_image": "x", "target_image": "x", "swap_index": "1,0,1"},
            "invalid_parameter",
            "swap_index",
        ),
        (
            {"source_image": "x", "target_image": "x", "swap_index": "3,1"},
            "face_index_out_of_range",
            "swap_index",
        ),
        ({"source_image": "x", "target_image": "x", "enhance": "yes"}, "invalid_parameter", "enhance"),
        ({"source_image": "x"}, "invalid_parameter", "target_image"),
    ],
)
def test_parameters_are_checked_before_any_image_is_fetched(
    settings: Settings, document: dict, code: str, details: str
) -> None:
    with pytest.raises(ApiError) as raised:
        check(Operation.FACESWAP2, parse_inputs("application/json", _json(document)), settings)
    assert raised.value.body.code == code
    assert raised.value.body.details["parameter"] == details
