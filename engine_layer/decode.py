"""Reading uploads and writing results: Pillow + numpy only (the API Lambda imports this, and has no OpenCV).

`sniff` looks at the header alone, so an oversized or foreign file is refused before a pixel is decoded.
`decode_image` gives BGR uint8 pixels with EXIF orientation applied, whatever the source's mode (grayscale,
palette, RGBA, CMYK JPEG, 16-bit PNG); alpha is kept apart so a PNG result keeps its transparency.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, ImageOps

from engine_layer.datatypes import DecodedImage
from engine_layer.errors import InvalidImage
from engine_layer.jpeg_scans import MAX_JPEG_SCANS, count_scans

FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
CONTENT_TYPES: dict[str, str] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 95
WEBP_QUALITY = 95

# Pillow names some files by their container; each is a JPEG/PNG/WebP to us (MPO: a phone's JPEG with a
# second, preview or depth, picture appended).
_FORMAT_ALIASES = {"MPO": "JPEG"}

# Pillow's plugins raise a wide, version-dependent set of types for hostile or damaged files (OSError,
# SyntaxError, ValueError, struct.error, IndexError, DecompressionBombError, ...). The bytes are the user's,
# so any failure to read them is the user's invalid_image_format, never a server error.
_READ_ERRORS = (Exception,)


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "JPEG" | "PNG" | "WEBP"
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def sniff(data: bytes, field: str) -> ImageInfo:
    """Format and size from the header only; refuses what the contract refuses (invalid_image_format)."""
    if not data:
        raise InvalidImage(f"{field} is empty.", image=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                fmt = _FORMAT_ALIASES.get(str(image.format), str(image.format))
                info = ImageInfo(format=fmt, width=image.width, height=image.height)
    except _READ_ERRORS as exc:
        raise InvalidImage(f"{field} is not a readable JPEG, PNG or WebP image.", image=field) from exc
    if info.width <= 0 or info.height <= 0:
        raise InvalidImage(f"{field} has no pixels ({info.width}x{info.height}).", image=field)
    if max(info.width, info.height) > MAX_SIDE:
        raise InvalidImage(
            f"{field} is {info.width}x{info.height}; at most {MAX_SIDE} px a side is accepted.", image=field
        )
    if info.width * info.height > MAX_PIXELS:
        raise InvalidImage(
            f"{field} has {info.width * info.height} pixels; at most {MAX_PIXELS} are accepted.", image=field
        )
    if info.format == "JPEG" and count_scans(data) > MAX_JPEG_SCANS:
        # Each progressive scan is a pass over the whole image: thousands of them are a decompression bomb.
        raise InvalidImage(f"{field} has more than {MAX_JPEG_SCANS} JPEG scans.", image=field)
    return info


def decode_image(data: bytes, field: str) -> DecodedImage:
    """Decode an upload to BGR uint8 with EXIF orientation applied; InvalidImage when it cannot be read."""
    info = sniff(data, field)
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            image.load()
            icc = image.info.get("icc_profile")
            upright = _upright(image)
            rgb, alpha, icc = _to_rgb(upright, icc)
    except _READ_ERRORS as exc:
        raise InvalidImage(f"{field} could not be decoded (truncated or corrupt).", image=field) from exc
    return DecodedImage(
        pixels=np.ascontiguousarray(rgb[..., ::-1]),
        format=info.format,
        alpha=alpha,
        icc_profile=icc,
    )


def encode_image(scene: DecodedImage, pixels: np.ndarray) -> bytes:
    """Encode BGR `pixels` in the scene's format, with the scene's alpha (PNG/WebP) and ICC profile."""
    rgb = np.ascontiguousarray(pixels[..., ::-1])
    image = Image.fromarray(rgb, "RGB")
    alpha = scene.alpha
    if alpha is not None and scene.format in ("PNG", "WEBP") and alpha.shape == pixels.shape[:2]:
        image.putalpha(Image.fromarray(np.ascontiguousarray(alpha), "L"))
    options: dict[str, object] = {}
    if scene.icc_profile:
        options["icc_profile"] = scene.icc_profile
    if scene.format == "JPEG":
        options.update(quality=JPEG_QUALITY, subsampling=0)
    elif scene.format == "WEBP":
        options.update(quality=WEBP_QUALITY, exact=True)
    else:
        options.update(compress_level=6)
    out = io.BytesIO()
    image.save(out, format=scene.format, **options)
    return out.getvalue()


def _upright(image: Image.Image) -> Image.Image:
    """EXIF orientation applied; a broken EXIF block leaves the image as stored rather than refusing it."""
    try:
        return ImageOps.exif_transpose(image)
    except _READ_ERRORS:
        return image


def _to_rgb(image: Image.Image, icc: bytes | None) -> tuple[np.ndarray, np.ndarray | None, bytes | None]:
    """(HxWx3 uint8 RGB, HxW uint8 alpha or None, ICC profile to keep or None)."""
    mode = image.mode
    if mode == "CMYK":
        return _cmyk_to_rgb(image, icc), None, None
    if mode.startswith("I") or mode == "F":
        # 16-bit grayscale PNG: Pillow's convert("L") would clip at 255 instead of scaling.
        grey = _to_8bit(np.asarray(image))
        return np.repeat(grey[..., None], 3, axis=2), None, _rgb_profile(icc)
    if image.has_transparency_data:
        rgba = np.asarray(image.convert("RGBA"))
        return rgba[..., :3], np.ascontiguousarray(rgba[..., 3]), _rgb_profile(icc)
    return np.asarray(image.convert("RGB")), None, _rgb_profile(icc)


def _to_8bit(values: np.ndarray) -> np.ndarray:
    wide = values.astype(np.float32)
    if wide.max(initial=0.0) > 255.0:
        wide = wide / 257.0  # 0..65535 -> 0..255
    return np.clip(np.rint(wide), 0, 255).astype(np.uint8)


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> np.ndarray:
    """Through the file's own CMYK profile to sRGB when it has a usable one; Pillow's formula otherwise."""
    converted = None
    if icc:
        with contextlib.suppress(Exception):  # an unusable embedded profile: the plain formula serves
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
    return np.asarray(converted if converted is not None else image.convert("RGB"))


def _rgb_profile(icc: bytes | None) -> bytes | None:
    """Keep an ICC profile only when it describes RGB data (a grey profile on an RGB result is invalid)."""
    if icc and len(icc) >= 20 and icc[16:20] == b"RGB ":
        return bytes(icc)
    return None
