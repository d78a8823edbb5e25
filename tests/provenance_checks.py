"""One check for "a result carries all three marks", shared by the worker and end-to-end tests."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from core.logic.content_credentials import read_credentials
from engine_layer.decode import decode_image, sniff
from engine_layer.provenance.watermark import read_mark
from engine_layer.provenance.xmp import digital_source_type, read_xmp_fields


def assert_all_marks(result: bytes, scene: bytes, operation: str, tier: str = "offline") -> int:
    """XMP, a valid C2PA manifest naming the scene by hash, and a watermark; returns the mark id."""
    content_type = sniff(result, "result").content_type
    with Image.open(io.BytesIO(result)) as image:
        xmp = read_xmp_fields(image.info.get("xmp"))
    assert xmp is not None, "no XMP"
    assert xmp["DigitalSourceType"] == digital_source_type(tier)
    assert xmp["operation"] == operation
    credentials = read_credentials(result, content_type)
    assert credentials["present"] and credentials["valid"], credentials
    assert credentials["validation_state"] == "Valid"  # the local chain is untrusted, its signature good
    assert credentials["digital_source_type"] == digital_source_type(tier)
    assert credentials["ingredient_hashes"] == ["sha256:" + hashlib.sha256(scene).hexdigest()]
    assert "c2pa.edited" in credentials["actions"]
    reading = read_mark(decode_image(result, "result").pixels)
    assert reading.found and reading.mark_id is not None, "no watermark"
    return reading.mark_id
