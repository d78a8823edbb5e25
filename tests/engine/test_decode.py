"""decode.sniff / decode_image / encode_image with real codecs, on images built here."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from engine_layer import manifest
from engine_layer.datatypes import DecodedImage
from engine_layer.decode import MAX_PIXELS, MAX_SIDE, decode_image, encode_image, sniff
from engine_layer.errors import InvalidImage
from tests.engine.helpers import REPO, encode


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG header claiming width x height, with a few bytes of pixel data: a header check must decide
    without decoding (the pixels are not there)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))


def rgb_image(width: int = 48, height: int = 32) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    y = np.linspace(0, 255, height, dtype=np.uint8)
    return Image.fromarray(
        np.stack(np.broadcast_arrays(x[None, :], y[:, None], 128), axis=-1).astype(np.uint8)
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_sniff_reads_format_and_size(fmt: str) -> None:
    info = sniff(encode(rgb_image(48, 32), fmt), "srcimage")
    assert (info.format, info.width, info.height) == (fmt, 48, 32)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"hello, this is not an image", "text"),
        (encode(rgb_image(), "GIF"), "gif"),
        (encode(rgb_image(), "BMP"), "bmp"),
        (png_header_only(MAX_SIDE + 1, 10), "too wide"),
        (png_header_only(10, MAX_SIDE + 1), "too tall"),
        (png_header_only(7000, 6000), "over 40 MP"),
        (png_header_only(0, 10), "zero width"),
    ],
)
def test_sniff_refuses(data: bytes, why: str) -> None:
    with pytest.raises(InvalidImage) as caught:
        sniff(data, "targetimage")
    assert caught.value.code == "invalid_image_format"
    assert caught.value.details == {"image": "targetimage"}, why


def test_a_phone_mpo_jpeg_is_a_jpeg() -> None:
    first, second = Image.new("RGB", (32, 24), (200, 10, 10)), Image.new("RGB", (32, 24), (10, 200, 10))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    assert sniff(out.getvalue(), "srcimage").format == "JPEG"
    decoded = decode_image(out.getvalue(), "srcimage")
    assert decoded.format == "JPEG" and decoded.pixels[12, 16, 2] > 150  # the first picture, red
    assert Image.open(io.BytesIO(encode_image(decoded, decoded.pixels))).format == "JPEG"


def test_decode_refuses_oversize_before_decoding() -> None:
    with pytest.raises(InvalidImage):
        decode_image(png_header_only(MAX_SIDE + 1, 4), "targetimage")


def test_sniff_accepts_the_limits_exactly() -> None:
    assert sniff(png_header_only(MAX_SIDE, 10), "srcimage").width == MAX_SIDE
    side = int(MAX_PIXELS**0.5)
    assert sniff(png_header_only(side, side), "srcimage").height == side


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_are_invalid(fmt: str) -> None:
    data = encode(rgb_image(200, 200), fmt)
    with pytest.raises(InvalidImage) as caught:
        decode_image(data[: len(data) // 2], "srcimage")
    assert caught.value.details["image"] == "srcimage"


def test_rgb_is_returned_as_bgr() -> None:
    decoded = decode_image(encode(Image.new("RGB", (8, 6), (250, 10, 20)), "PNG"), "srcimage")
    assert decoded.pixels.shape == (6, 8, 3) and decoded.pixels.dtype == np.uint8
    assert tuple(decoded.pixels[0, 0]) == (20, 10, 250)
    assert decoded.alpha is None and decoded.format == "PNG"


def test_grayscale_jpeg_becomes_three_equal_channels() -> None:
    decoded = decode_image(encode(rgb_image().convert("L")), "srcimage")
    assert decoded.pixels.shape == (32, 48, 3)
    assert np.array_equal(decoded.pixels[..., 0], decoded.pixels[..., 2])


def test_rgba_png_keeps_alpha_through_encode() -> None:
    image = rgb_image().convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, 48, dtype=np.uint8), (32, 1))
    image.putalpha(Image.fromarray(alpha, "L"))
    decoded = decode_image(encode(image, "PNG"), "targetimage")
    assert decoded.alpha is not None and np.array_equal(decoded.alpha, alpha)
    result = Image.open(io.BytesIO(encode_image(decoded, decoded.pixels)))
    assert result.format == "PNG" and result.mode == "RGBA"
    assert np.array_equal(np.asarray(result)[..., 3], alpha)
    assert np.array_equal(np.asarray(result)[..., :3], decoded.pixels[..., ::-1])


def test_palette_png_with_transparency_and_grey_with_alpha() -> None:
    palette = rgb_image().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    decoded = decode_image(encode(palette, "PNG", transparency=0), "srcimage")
    assert decoded.alpha is not None and (decoded.alpha == 0).any() and (decoded.alpha == 255).any()
    grey_alpha = rgb_image().convert("LA")
    assert decode_image(encode(grey_alpha, "PNG"), "srcimage").alpha is not None


def test_webp_with_alpha_keeps_it() -> None:
    image = rgb_image().convert("RGBA")
    image.putalpha(Image.new("L", image.size, 90))
    decoded = decode_image(encode(image, "WEBP", lossless=True), "srcimage")
    assert decoded.format == "WEBP" and decoded.alpha is not None
    result = Image.open(io.BytesIO(encode_image(decoded, decoded.pixels)))
    assert result.format == "WEBP" and np.asarray(result.convert("RGBA"))[..., 3].max() == 90


def test_sixteen_bit_grey_png_is_scaled_not_clipped() -> None:
    values = np.array([[0, 257 * 64, 257 * 128, 65535]], dtype=np.uint16).repeat(4, axis=0)
    image = Image.fromarray(values)  # mode I;16
    decoded = decode_image(encode(image, "PNG"), "srcimage")
    assert decoded.pixels[0, :, 0].tolist() == [0, 64, 128, 255]


def png16(samples: np.ndarray, colour_type: int) -> bytes:
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit colour): colour type 2 RGB, 6 RGBA."""
    height, width = samples.shape[:2]
    ihdr = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    rows = b"".join(b"\0" + samples[y].astype(">u2").tobytes() for y in range(height))
    body = png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def test_sixteen_bit_colour_pngs() -> None:
    rgb = np.zeros((4, 3, 3), np.uint16)
    rgb[..., 0], rgb[..., 1] = 65535, 257 * 100
    decoded = decode_image(png16(rgb, 2), "srcimage")
    assert decoded.pixels[0, 0].tolist() == [0, 100, 255] and decoded.alpha is None
    rgba = np.zeros((4, 3, 4), np.uint16)
    rgba[..., 2], rgba[..., 3] = 65535, 257 * 50
    decoded = decode_image(png16(rgba, 6), "srcimage")
    assert decoded.pixels[0, 0].tolist() == [255, 0, 0] and decoded.alpha is not None
    assert int(decoded.alpha[0, 0]) == 50


def test_cmyk_jpeg_decodes_to_the_right_colour() -> None:
    red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    decoded = decode_image(encode(red, "JPEG"), "srcimage")
    blue, green, red_channel = (int(v) for v in decoded.pixels[8, 8])
    assert red_channel > 200 and green < 60 and blue < 60
    assert decoded.icc_profile is None  # a CMYK profile must not ride on an RGB result
    assert Image.open(io.BytesIO(encode_image(decoded, decoded.pixels))).mode == "RGB"


def test_cmyk_jpeg_with_an_unusable_profile_falls_back_to_the_plain_conversion() -> None:
    wrong_kind = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # RGB profile on CMYK
    red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    decoded = decode_image(encode(red, "JPEG", icc_profile=wrong_kind), "srcimage")
    assert decoded.pixels[8, 8, 2] > 200 and decoded.icc_profile is None


def test_exif_orientation_is_applied() -> None:
    stored = np.zeros((20, 40, 3), dtype=np.uint8)
    stored[:, :20] = (255, 0, 0)  # left half red
    stored[:, 20:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = encode(Image.fromarray(stored), "JPEG", exif=exif.tobytes())
    decoded = decode_image(data, "targetimage")
    assert decoded.pixels.shape == (40, 20, 3)
    top_bgr, bottom_bgr = decoded.pixels[5, 10], decoded.pixels[35, 10]
    assert top_bgr[2] > 200 and top_bgr[0] < 60  # red went to the top
    assert bottom_bgr[0] > 200 and bottom_bgr[2] < 60


def test_jpeg_result_stays_jpeg_and_keeps_icc() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    decoded = decode_image(encode(rgb_image(), "JPEG", icc_profile=profile), "targetimage")
    assert decoded.icc_profile == profile
    result = Image.open(io.BytesIO(encode_image(decoded, decoded.pixels)))
    assert result.format == "JPEG" and result.size == (48, 32)
    assert result.info.get("icc_profile") == profile
    assert np.abs(np.asarray(result).astype(int) - decoded.pixels[..., ::-1]).mean() < 2.0


def test_decoded_pixels_are_writable(t1_image: DecodedImage) -> None:
    assert t1_image.pixels.flags.writeable and t1_image.pixels.flags.c_contiguous


def test_api_modules_import_without_opencv_or_insightface(
    model_dir: Path, t1_bytes: bytes, tmp_path: Path
) -> None:
    """The Lambda carries neither: decode and precheck must import and count faces with both blocked."""
    script = (
        "import sys\n"
        "for name in ('cv2', 'insightface', 'dlib', 'skimage'): sys.modules[name] = None\n"
        "from pathlib import Path\n"
        "from engine_layer.decode import decode_image, sniff\n"
        "from engine_layer.detection.scrfd_numpy import FaceCounter\n"
        "data = Path(sys.argv[2]).read_bytes()\n"
        "counter = FaceCounter(Path(sys.argv[1]))\n"
        "print(sniff(data, 'srcimage').format, len(counter.faces(decode_image(data, 'srcimage'))))\n"
        "assert not any(sys.modules.get(n) for n in ('cv2', 'insightface', 'dlib'))\n"
    )
    photo = tmp_path / "t1.jpg"
    photo.write_bytes(t1_bytes)
    done = subprocess.run(
        [sys.executable, "-c", script, str(manifest.SCRFD.path(model_dir)), str(photo)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["JPEG", "6"]
