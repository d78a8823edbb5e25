"""Progressive JPEGs with thousands of scans are decompression bombs: refused from the header."""

from __future__ import annotations

import io
import struct
import time

import pytest
from PIL import Image

from engine_layer.decode import sniff
from engine_layer.errors import InvalidImage
from engine_layer.jpeg_scans import MAX_JPEG_SCANS, count_scans


def _jpeg(progressive: bool, size: int = 2000) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (120, 130, 140)).save(out, "JPEG", progressive=progressive, quality=90)
    return out.getvalue()


def scan_bomb(extra_scans: int) -> bytes:
    """A flat 2000x2000 progressive JPEG with its last (14-byte) scan repeated: ~94 KB for 5,000 scans,
    which Pillow takes ~47 s of CPU to decode (measured here: 8 s for 1,000)."""
    data = _jpeg(progressive=True)
    last = data.rfind(b"\xff\xda")
    return data[:-2] + data[last:-2] * extra_scans + b"\xff\xd9"


def test_real_encoders_write_few_scans() -> None:
    assert count_scans(_jpeg(progressive=True)) == 10  # libjpeg's progressive script for colour
    assert count_scans(_jpeg(progressive=False)) == 1


def test_ff_da_inside_a_segment_is_not_a_scan() -> None:
    data = _jpeg(progressive=False, size=64)
    comment = b"\xff\xda" * 50
    with_comment = data[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + data[2:]
    assert count_scans(with_comment) == 1
    sniff(with_comment, "srcimage")


def test_thousands_of_scans_are_refused_before_decoding() -> None:
    bomb = scan_bomb(5000)
    assert len(bomb) < 100_000
    started = time.perf_counter()
    with pytest.raises(InvalidImage) as raised:
        sniff(bomb, "srcimage")
    assert time.perf_counter() - started < 1.0  # Pillow would spend ~47 s decoding it
    assert raised.value.code == "invalid_image_format"
    assert str(MAX_JPEG_SCANS) in raised.value.message


def test_the_cap_is_exact() -> None:
    at_cap = scan_bomb(MAX_JPEG_SCANS - 10)  # 10 scans of its own
    assert count_scans(at_cap) == MAX_JPEG_SCANS
    sniff(at_cap, "srcimage")
    with pytest.raises(InvalidImage):
        sniff(scan_bomb(MAX_JPEG_SCANS - 9), "srcimage")
