"""encode_image keeps what the swap did not touch: a JPEG scene's own tables and subsampling, lossless
PNG and WebP. Real codecs on a real photo (insightface's t1.jpg) and images built here."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from engine_layer.decode import decode_image, encode_image
from tests.engine.helpers import encode
from tests.face_photos import insightface_photo


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if error == 0 else 10.0 * np.log10(255.0**2 / error)


def textured(width: int = 160, height: int = 120, seed: int = 3) -> Image.Image:
    """Photo-like detail: a smooth gradient plus fine noise, so quantisation shows in every block."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    base = 60 + 120 * x * np.array([1.0, 0.6, 0.3]) + 60 * y * np.array([0.2, 0.5, 1.0])
    noisy = base + rng.normal(0, 14, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def plain_q95(pixels_bgr: np.ndarray) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels_bgr[..., ::-1])).save(out, "JPEG", quality=95)
    return decode_image(out.getvalue(), "x").pixels


@pytest.mark.parametrize(
    ("quality", "subsampling"),
    [(75, 2), (90, 1), (98, 0)],
    ids=["q75-420", "q90-422", "q98-444"],
)
def test_jpeg_result_keeps_the_scenes_tables_and_subsampling(quality: int, subsampling: int) -> None:
    data = encode(textured(), "JPEG", quality=quality, subsampling=subsampling)
    scene = decode_image(data, "targetimage")
    result = encode_image(scene, scene.pixels)
    with Image.open(io.BytesIO(data)) as original, Image.open(io.BytesIO(result)) as written:
        assert JpegImagePlugin.get_sampling(written) == subsampling
        assert written.quantization == original.quantization
    # Untouched pixels lose less than a plain q95 re-encode would take from them.
    kept = decode_image(result, "x").pixels
    assert psnr(kept, scene.pixels) >= psnr(plain_q95(scene.pixels), scene.pixels)


def test_a_real_photos_background_loses_less_than_a_q95_reencode() -> None:
    scene = decode_image(insightface_photo("t1.jpg"), "targetimage")
    kept = decode_image(encode_image(scene, scene.pixels), "x").pixels
    assert psnr(kept, scene.pixels) >= psnr(plain_q95(scene.pixels), scene.pixels) + 3.0


def test_rotated_jpeg_tables_turn_with_the_pixels() -> None:
    """EXIF orientation 6 (rotate 90): horizontal frequencies of the stored blocks are vertical in the
    upright result, so the kept tables are transposed."""
    image = textured(96, 64)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(image, "JPEG", quality=80, subsampling=0, exif=exif.tobytes())
    scene = decode_image(data, "targetimage")
    assert scene.pixels.shape[:2] == (96, 64)
    with Image.open(io.BytesIO(data)) as original:
        stored = np.asarray(original.quantization[0]).reshape(8, 8)
    with Image.open(io.BytesIO(encode_image(scene, scene.pixels))) as written:
        assert np.array_equal(np.asarray(written.quantization[0]).reshape(8, 8), stored.T)


def test_greyscale_jpeg_scene_gets_a_colour_result_with_its_table() -> None:
    grey = textured().convert("L")
    data = encode(grey, "JPEG", quality=85)
    scene = decode_image(data, "targetimage")
    pixels = scene.pixels.copy()
    pixels[10:20, 10:20] = (0, 0, 255)  # a coloured face lands on a grey scene
    with Image.open(io.BytesIO(encode_image(scene, pixels))) as written:
        assert written.mode == "RGB"
        with Image.open(io.BytesIO(data)) as original:
            assert written.quantization[0] == original.quantization[0]


def test_lossless_webp_scene_gives_a_lossless_result() -> None:
    scene = decode_image(encode(textured(), "WEBP", lossless=True), "targetimage")
    assert scene.webp_lossless
    pixels = scene.pixels.copy()
    pixels[40:60, 50:90] = 128  # the swapped face
    written = decode_image(encode_image(scene, pixels), "x")
    assert written.format == "WEBP" and written.webp_lossless
    assert np.array_equal(written.pixels, pixels)


def test_lossy_webp_scene_stays_lossy_at_q95() -> None:
    """A lossy scene was never lossless: kept exactly, its pixels would make a far larger file."""
    source = encode(textured(), "WEBP", quality=80)
    scene = decode_image(source, "targetimage")
    assert not scene.webp_lossless
    result = encode_image(scene, scene.pixels)
    written = decode_image(result, "x")
    assert not written.webp_lossless
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(scene.pixels[..., ::-1])).save(out, "WEBP", quality=95)
    plain = decode_image(out.getvalue(), "x").pixels
    assert psnr(written.pixels, scene.pixels) >= psnr(plain, scene.pixels) - 0.01


def test_webp_with_alpha_is_read_as_lossy_or_lossless_as_stored() -> None:
    rgba = textured().convert("RGBA")
    assert decode_image(encode(rgba, "WEBP", lossless=True), "x").webp_lossless
    assert not decode_image(encode(rgba, "WEBP", quality=80), "x").webp_lossless  # VP8X + ALPH + VP8


def test_png_result_is_lossless() -> None:
    scene = decode_image(encode(textured(), "PNG"), "targetimage")
    pixels = scene.pixels.copy()
    pixels[40:60, 50:90] = 128
    assert np.array_equal(decode_image(encode_image(scene, pixels), "x").pixels, pixels)
