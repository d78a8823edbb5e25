"""Reading uploads and writing results: Pillow + numpy only (the API Lambda imports this, and has no OpenCV).

`sniff` looks at the header alone, so an oversized or foreign file is refused before a pixel is decoded.
`decode_image` gives BGR uint8 pixels with EXIF orientation applied, whatever the source's mode (grayscale,
palette, RGBA, CMYK JPEG, 16-bit PNG); alpha is kept apart so a PNG result keeps its transparency.
`encode_image` writes a result so that what the swap did not touch loses nothing more: a JPEG scene is
re-encoded with its own quantisation tables and chroma subsampling (re-quantising with the same tables
nearly reproduces the decoded pixels, where new q95 tables shift every block); PNG and WebP results are
lossless, so every pixel outside the face keeps its exact value, and so is a WebP result whose source
was lossless WebP. A lossy WebP source gets a lossy q95 result: kept exactly, its decoded pixels would
make a file about 9x larger that takes 10-20x longer to write, for a scene that was never lossless.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageCms, ImageOps, JpegImagePlugin, PngImagePlugin

from engine_layer.datatypes import DecodedImage
from engine_layer.errors import InvalidImage
from engine_layer.jpeg_scans import MAX_JPEG_SCANS, count_scans

FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
CONTENT_TYPES: dict[str, str] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 95  # only for a JPEG scene whose tables could not be read
WEBP_QUALITY = 95  # a lossy WebP scene's result
# Lossless WebP at libwebp's fastest effort: ~0.1 s a megapixel, files ~13% larger than at method 4 (2 s).
_WEBP_LOSSLESS = {"lossless": True, "method": 0, "quality": 0, "exact": True}
# Pillow's subsampling codes that libjpeg can write again; others (e.g. 4:4:0 from a rotated 4:2:2) use 4:4:4.
_SUBSAMPLINGS = (0, 1, 2)
# EXIF orientations that swap the axes (transpose, rotate 90/270, transverse): block frequencies swap too.
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)

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
            return _decoded(image, info.format, data)
    except _READ_ERRORS as exc:
        raise InvalidImage(f"{field} could not be decoded (truncated or corrupt).", image=field) from exc


@dataclass(frozen=True)
class Preview:
    """A reduced copy of an upload for face detection: `factor` full-resolution pixels per preview pixel.

    `decoded` is the full image when making the preview needed it anyway (PNG, WebP), so a caller that
    needs both does not decode twice.
    """

    pixels: NDArray[np.uint8]  # h x w x 3 BGR, upright
    factor: int
    decoded: DecodedImage | None = None


def decode_preview(data: bytes, field: str, min_side: int) -> Preview:
    """The upload decoded at 1/2..1/8 scale, its long side still at least `min_side` (when it was).

    JPEG: libjpeg scales in the DCT while decoding (Pillow's draft mode), so a 40 MP photo costs a
    fraction of a full decode and never exists at full size. Other formats are decoded in full and
    reduced by box averaging (`reduce_for_detection`).
    """
    info = sniff(data, field)
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            factor = _draft(image, min_side) if info.format == "JPEG" else 1
            if factor > 1:
                return Preview(_decoded(image, info.format, data).pixels, factor)
            decoded = _decoded(image, info.format, data)
    except _READ_ERRORS as exc:
        raise InvalidImage(f"{field} could not be decoded (truncated or corrupt).", image=field) from exc
    pixels, factor = reduce_for_detection(decoded.pixels, min_side)
    return Preview(pixels, factor, decoded)


def reduce_for_detection(pixels: NDArray[np.uint8], min_side: int) -> tuple[NDArray[np.uint8], int]:
    """`pixels` box-averaged by the largest whole factor that keeps the long side >= `min_side`."""
    factor = max(1, max(pixels.shape[:2]) // max(1, min_side))
    if factor == 1:
        return pixels, 1
    image = Image.fromarray(np.ascontiguousarray(pixels), "RGB")  # channel order does not matter here
    return np.asarray(image.reduce(factor)), factor


def _draft(image: Image.Image, min_side: int) -> int:
    """Ask libjpeg for a 1/2, 1/4 or 1/8 scale decode keeping the long side >= min_side; the factor."""
    factor = max(image.size) // max(1, min_side)
    if factor < 2:
        return 1
    width, height = image.size
    wanted = (max(1, -(-width // factor)), max(1, -(-height // factor)))
    drafted = image.draft(None, wanted)
    if drafted is None:  # a JPEG Pillow cannot draft (more than one tile): decoded in full instead
        return 1
    return round(width / drafted[1][2])


def _decoded(image: Image.Image, fmt: str, data: bytes) -> DecodedImage:
    image.load()
    icc = image.info.get("icc_profile")
    # Read before the EXIF turn: the result is re-encoded with the scene's own tables (see encode_image).
    qtables, subsampling = _jpeg_settings(image) if fmt == "JPEG" else (None, None)
    image = _upright(image)
    rgb, alpha, icc = _to_rgb(image, icc)
    return DecodedImage(
        pixels=_bgr_pixels(rgb),
        format=fmt,
        alpha=alpha,
        icc_profile=icc,
        jpeg_qtables=qtables,
        jpeg_subsampling=subsampling,
        webp_lossless=fmt == "WEBP" and _webp_is_lossless(data),
    )


def _pil_from_bgr(pixels: NDArray[np.uint8]) -> Image.Image:
    """BGR pixels as an RGB Pillow image, unpacked by Pillow itself (no reversed copy of the frame)."""
    height, width = pixels.shape[:2]
    return Image.frombuffer("RGB", (width, height), np.ascontiguousarray(pixels), "raw", "BGR", 0, 1)


# Rows converted at a time: Pillow's tobytes would hold the whole frame twice (its chunks and their join).
_BAND_ROWS = 256


def _bgr_pixels(rgb: Image.Image) -> NDArray[np.uint8]:
    """An RGB Pillow image as a writable HxWx3 BGR array, filled band by band (one full-size copy)."""
    width, height = rgb.size
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    for top in range(0, height, _BAND_ROWS):
        bottom = min(height, top + _BAND_ROWS)
        band = rgb.crop((0, top, width, bottom)).tobytes("raw", "BGR")
        pixels[top:bottom] = np.frombuffer(band, dtype=np.uint8).reshape(bottom - top, width, 3)
    return pixels


def encode_image(scene: DecodedImage, pixels: NDArray[np.uint8], xmp: bytes | None = None) -> bytes:
    """Encode BGR `pixels` in the scene's format, with the scene's alpha (PNG/WebP) and ICC profile, and
    `xmp` (a packet) in the format's own place: JPEG APP1, WebP's XMP chunk, PNG's iTXt XML:com.adobe.xmp."""
    image = _pil_from_bgr(pixels)
    alpha = scene.alpha
    if alpha is not None and scene.format in ("PNG", "WEBP") and alpha.shape == pixels.shape[:2]:
        image.putalpha(Image.fromarray(np.ascontiguousarray(alpha), "L"))
    options: dict[str, object] = {}
    if scene.icc_profile:
        options["icc_profile"] = scene.icc_profile
    if scene.format == "JPEG":
        options.update(_jpeg_options(scene))
    elif scene.format == "WEBP":
        options.update(_WEBP_LOSSLESS if scene.webp_lossless else {"quality": WEBP_QUALITY, "exact": True})
    else:
        options.update(compress_level=6)
    if xmp and scene.format == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        options["pnginfo"] = info
    elif xmp:
        options["xmp"] = xmp
    out = io.BytesIO()
    image.save(out, format=scene.format, **options)
    return out.getvalue()


def _jpeg_options(scene: DecodedImage) -> dict[str, object]:
    """The scene's own tables and subsampling (Pillow's quality="keep" needs the open source file; these
    are what it would read from it). Without them: q95 4:4:4."""
    if not scene.jpeg_qtables:
        return {"quality": JPEG_QUALITY, "subsampling": 0}
    tables = [list(t) for t in scene.jpeg_qtables[:2]]
    if len(tables) == 1:  # a greyscale scene has no chroma table; its luma table serves (finer than needed)
        tables.append(tables[0])
    subsampling = scene.jpeg_subsampling if scene.jpeg_subsampling in _SUBSAMPLINGS else 0
    return {"qtables": tables, "subsampling": subsampling}


def _webp_is_lossless(data: bytes) -> bool:
    """True when the RIFF container's (first) image chunk is VP8L; a lossy VP8 chunk (with or without an
    ALPH alpha chunk) is not. Walks the chunk headers only."""
    offset = 12  # "RIFF" size "WEBP"
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        if kind == b"VP8L":
            return True
        if kind == b"VP8 ":
            return False
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)  # chunks are padded to even length
    return False


def _jpeg_settings(image: Image.Image) -> tuple[list[list[int]] | None, int | None]:
    """(quantisation tables in natural order, Pillow subsampling code) of an open JPEG, as `pixels` will
    be oriented: an EXIF transpose swaps horizontal and vertical frequencies, so the tables are
    transposed, and 4:2:2 would turn into 4:4:0, which libjpeg via Pillow cannot write (-1: 4:4:4)."""
    try:
        raw = getattr(image, "quantization", None) or {}
        tables = [list(raw[k]) for k in sorted(raw)]
        subsampling = JpegImagePlugin.get_sampling(image)
        orientation = image.getexif().get(0x0112, 1)
    except _READ_ERRORS:
        return None, None
    if not tables or any(len(t) != 64 for t in tables):
        return None, None
    if orientation in _TRANSPOSING_ORIENTATIONS:
        tables = [np.asarray(t).reshape(8, 8).T.ravel().tolist() for t in tables]
        subsampling = subsampling if subsampling in (0, 2) else -1
    return tables, subsampling


def _upright(image: Image.Image) -> Image.Image:
    """EXIF orientation applied (in place: no copy of an upright photo); a broken EXIF block leaves the
    image as stored rather than refusing it."""
    with contextlib.suppress(*_READ_ERRORS):
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _to_rgb(
    image: Image.Image, icc: bytes | None
) -> tuple[Image.Image, NDArray[np.uint8] | None, bytes | None]:
    """(an RGB Pillow image, HxW uint8 alpha or None, ICC profile to keep or None)."""
    mode = image.mode
    if mode == "CMYK":
        return _cmyk_to_rgb(image, icc), None, None
    if mode.startswith("I") or mode == "F":
        # 16-bit grayscale PNG: Pillow's convert("L") would clip at 255 instead of scaling.
        grey = Image.fromarray(_to_8bit(np.asarray(image)), "L")
        return grey.convert("RGB"), None, _rgb_profile(icc)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        return rgba.convert("RGB"), np.array(rgba.getchannel("A")), _rgb_profile(icc)
    # A JPEG is RGB already: used as decoded, not copied.
    return (image if mode == "RGB" else image.convert("RGB")), None, _rgb_profile(icc)


def _to_8bit(values: NDArray[np.integer[Any] | np.floating[Any]]) -> NDArray[np.uint8]:
    wide = values.astype(np.float32)
    if wide.max(initial=0.0) > 255.0:
        wide = wide / 257.0  # 0..65535 -> 0..255
    return np.clip(np.rint(wide), 0, 255).astype(np.uint8)


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Through the file's own CMYK profile to sRGB when it has a usable one; Pillow's formula otherwise."""
    converted = None
    if icc:
        with contextlib.suppress(Exception):  # an unusable embedded profile: the plain formula serves
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
    return converted if converted is not None else image.convert("RGB")


def _rgb_profile(icc: bytes | None) -> bytes | None:
    """Keep an ICC profile only when it describes RGB data (a grey profile on an RGB result is invalid)."""
    if icc and len(icc) >= 20 and icc[16:20] == b"RGB ":
        return bytes(icc)
    return None
