"""Every engine result says what it is: XMP in JPEG, PNG and WebP; the watermark and the visible label
when asked for, and the watermark still read after what sharing does to an image."""

from __future__ import annotations

import io
from collections.abc import Callable

import cv2
import numpy as np
import pytest
from PIL import Image

from engine_layer.decode import decode_image
from engine_layer.engine import Engine
from engine_layer.operations import Operation
from engine_layer.provenance.labels import ResultLabels, draw_visible_label
from engine_layer.provenance.mark_encoder import embed_mark
from engine_layer.provenance.watermark import MARK_ID_BITS, payload_word, read_mark
from engine_layer.provenance.xmp import (
    SYNTHETIC_COMPOSITE,
    TRAINED_COMPOSITE,
    digital_source_type,
    read_xmp_fields,
)
from tests.engine.helpers import encode


def _xmp_of(data: bytes) -> dict[str, str] | None:
    with Image.open(io.BytesIO(data)) as image:
        return read_xmp_fields(image.info.get("xmp"))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_every_format_carries_the_digital_source_type_operation_and_engine(
    engine: Engine, crop: Callable[..., Image.Image], fmt: str
) -> None:
    images = {"srcimage": encode(crop(0), fmt), "targetimage": encode(crop(3), fmt)}
    result = engine.run(Operation.BASICSWAP, images)
    fields = _xmp_of(result.image)
    assert fields is not None, f"no XMP in the {fmt} result"
    assert fields["DigitalSourceType"] == digital_source_type(result.engine["tier"])
    assert fields["operation"] == "basicswap"
    assert fields["tier"] == result.engine["tier"]
    assert fields["swapper"] == result.engine["swapper"]
    # Nothing that names the customer, the key or the upload.
    assert not {"task_id", "key_id", "filename", "srcimage"} & set(fields)


def test_jpeg_result_keeps_the_scenes_tables_with_the_xmp(
    engine: Engine, crop: Callable[..., Image.Image]
) -> None:
    target = encode(crop(3), "JPEG", quality=88)
    result = engine.run(Operation.BASICSWAP, {"srcimage": encode(crop(0)), "targetimage": target})
    with Image.open(io.BytesIO(target)) as scene, Image.open(io.BytesIO(result.image)) as out:
        assert out.quantization == scene.quantization


def test_tiers_get_their_own_iptc_term() -> None:
    assert digital_source_type("production").endswith("/compositeWithTrainedAlgorithmicMedia")
    assert digital_source_type("offline").endswith("/compositeSynthetic")
    assert TRAINED_COMPOSITE != SYNTHETIC_COMPOSITE


def test_labels_put_a_readable_mark_and_a_visible_label_into_the_result(
    engine: Engine, crop: Callable[..., Image.Image]
) -> None:
    images = {"srcimage": encode(crop(0)), "targetimage": encode(crop(3, margin=1.2), "PNG")}
    plain = engine.run(Operation.BASICSWAP, images)
    labelled = engine.run(
        Operation.BASICSWAP, images, labels=ResultLabels(mark_id=0xABCDE, visible_label=True)
    )
    pixels = decode_image(labelled.image, "result").pixels
    assert read_mark(pixels).mark_id == 0xABCDE
    assert read_mark(decode_image(plain.image, "result").pixels).found is False
    # The label darkens the bottom-right corner; the top-left is untouched by it.
    before = decode_image(plain.image, "result").pixels.astype(int)
    h, w = before.shape[:2]
    assert pixels[h - 5 :, w - 20 :].mean() < before[h - 5 :, w - 20 :].mean() - 20
    assert abs(pixels[:10, :10].astype(int) - before[:10, :10]).max() <= 12  # the watermark's own change


def _jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


ATTACKS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "jpeg_q75": lambda p: _jpeg(p, 75),
    "resize_50": lambda p: cv2.resize(p, (p.shape[1] // 2, p.shape[0] // 2), interpolation=cv2.INTER_AREA),
    "crop_10": lambda p: p[
        p.shape[0] // 20 : p.shape[0] * 19 // 20, p.shape[1] // 20 : p.shape[1] * 19 // 20
    ],
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_watermark_survives_what_sharing_does(t1_bytes: bytes, attack: str) -> None:
    pixels = decode_image(t1_bytes, "t1").pixels
    marked = embed_mark(pixels, 0x5A5A5)
    assert cv2.PSNR(pixels, marked) > 36
    reading = read_mark(ATTACKS[attack](marked))
    assert reading.found and reading.mark_id == 0x5A5A5
    assert reading.confidence > 0.99


def test_an_unmarked_photo_has_no_mark(t1_bytes: bytes) -> None:
    assert read_mark(decode_image(t1_bytes, "t1").pixels).found is False


def test_mark_ids_are_20_bits_with_a_check_word() -> None:
    assert payload_word(0) != payload_word(1)
    with pytest.raises(ValueError):
        payload_word(1 << MARK_ID_BITS)


def test_visible_label_fits_tiny_images() -> None:
    tiny = np.full((12, 16, 3), 200, np.uint8)
    assert draw_visible_label(tiny).shape == tiny.shape
