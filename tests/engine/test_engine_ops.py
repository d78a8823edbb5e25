"""Engine.run: the four operations, their face rules and errors, and awkward inputs, on the offline tier."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine_layer.datatypes import Face
from engine_layer.decode import decode_image
from engine_layer.engine import Engine
from engine_layer.errors import (
    EngineError,
    FaceCountMismatch,
    FaceIndexOutOfRange,
    InvalidImage,
    NoFaceDetected,
)
from engine_layer.operations import Operation
from tests.engine.helpers import CPU, encode

CONTRACT_CODES = {
    "invalid_image_format",
    "no_face_detected",
    "face_count_mismatch",
    "face_index_out_of_range",
}
Crop = Callable[..., Image.Image]


def pixels_of(data: bytes) -> np.ndarray:
    return decode_image(data, "result").pixels


def faces_of(engine: Engine, data: bytes) -> tuple[np.ndarray, list[Face]]:
    decoded = decode_image(data, "x")
    return decoded.pixels, engine.detect("x", decoded)


def face_change(before: np.ndarray, after: np.ndarray, face: Face) -> float:
    x1, y1, x2, y2 = (int(v) for v in face.bbox)
    x1, y1 = max(x1, 0), max(y1, 0)
    return float(np.abs(before[y1:y2, x1:x2].astype(int) - after[y1:y2, x1:x2].astype(int)).mean())


def by_hand(engine: Engine, scene: np.ndarray, swaps: list[tuple[Face, np.ndarray, Face]]) -> np.ndarray:
    """The swapper called directly: identities read first, then the swaps applied in order."""
    identities = [engine.swapper.source_identity(src, face) for _, src, face in swaps]
    for (target, _, _), identity in zip(swaps, identities, strict=True):
        scene = engine.swapper.swap(scene, target, identity)
    return scene


# ------------------------------------------------------------------------------------------ operations


def test_basicswap_changes_the_face_and_keeps_the_scene(engine: Engine, crop: Crop) -> None:
    source, target = encode(crop(0)), encode(crop(3))
    result = engine.run(Operation.BASICSWAP, {"srcimage": source, "targetimage": target})
    assert result.format == "JPEG" and result.content_type == "image/jpeg"
    assert result.engine == {
        "tier": "offline",
        "detector": "scrfd:scrfd",
        "swapper": "classic-landmark-warp",
        "restorer": "none",
    }
    before, (face,) = faces_of(engine, target)
    after = pixels_of(result.image)
    assert after.shape == before.shape
    assert face_change(before, after, face) > 4.0
    corner = (slice(0, 30), slice(0, 30))
    assert np.abs(before[corner].astype(int) - after[corner].astype(int)).mean() < 2.0
    src_pixels, (src_face,) = faces_of(engine, source)
    expected = by_hand(engine, before, [(face, src_pixels, src_face)])
    assert np.abs(after.astype(int) - expected.astype(int)).mean() < 1.0  # only the JPEG re-encode apart


def test_enhance_runs_the_restorer_and_says_so(engine: Engine, crop: Crop) -> None:
    images = {"srcimage": encode(crop(0)), "targetimage": encode(crop(3))}
    plain = engine.run(Operation.BASICSWAP, images, enhance=False)
    enhanced = engine.run(Operation.BASICSWAP, images, enhance=True)
    assert enhanced.engine["restorer"] == "classic-detail-restore"
    assert not np.array_equal(pixels_of(plain.image), pixels_of(enhanced.image))


@pytest.mark.parametrize("swap_index", [None, (0, 1), (1, 0)])
def test_faceswap2_maps_source_face_i_onto_target_face(
    engine: Engine, crop: Crop, swap_index: tuple[int, int] | None
) -> None:
    source, target = encode(crop(2, 3)), encode(crop(0, 1))
    result = engine.run(Operation.FACESWAP2, {"srcimage": source, "targetimage": target}, swap_index)
    src_pixels, src_faces = faces_of(engine, source)
    scene, targets = faces_of(engine, target)
    order = swap_index or (0, 1)
    expected = by_hand(engine, scene, [(targets[i], src_pixels, src_faces[order[i]]) for i in range(2)])
    assert np.abs(pixels_of(result.image).astype(int) - expected.astype(int)).mean() < 1.0


def test_faceswap2_index_order_matters(engine: Engine, crop: Crop) -> None:
    images = {"srcimage": encode(crop(2, 3)), "targetimage": encode(crop(0, 1))}
    straight = pixels_of(engine.run(Operation.FACESWAP2, images, (0, 1)).image)
    crossed = pixels_of(engine.run(Operation.FACESWAP2, images, (1, 0)).image)
    _, targets = faces_of(engine, images["targetimage"])
    # Measured inside each target face: the whole picture's mean is mostly background, which a change
    # in the swap's fit moves across any fixed threshold.
    changes = [face_change(straight, crossed, face) for face in targets]
    assert min(changes) > 4.0, changes


@pytest.mark.parametrize("swap_index", [(0, 2), (-1, 0), (0,), (0, 1, 1)])
def test_faceswap2_index_out_of_range(engine: Engine, crop: Crop, swap_index: tuple[int, ...]) -> None:
    images = {"srcimage": encode(crop(2, 3)), "targetimage": encode(crop(0, 1))}
    with pytest.raises(FaceIndexOutOfRange) as caught:
        engine.run(Operation.FACESWAP2, images, swap_index)  # type: ignore[arg-type]
    assert caught.value.details == {"parameter": "swap_index", "max_index": 1}


def test_swap1from2_left_from_first_right_from_second(engine: Engine, crop: Crop) -> None:
    scene_bytes, first, second = encode(crop(0, 1)), encode(crop(3)), encode(crop(5))
    result = engine.run(
        Operation.SWAP1FROM2, {"srcimage": scene_bytes, "targetimage1": first, "targetimage2": second}
    )
    scene, (left, right) = faces_of(engine, scene_bytes)
    one, (face_one,) = faces_of(engine, first)
    two, (face_two,) = faces_of(engine, second)
    expected = by_hand(engine, scene, [(left, one, face_one), (right, two, face_two)])
    assert np.abs(pixels_of(result.image).astype(int) - expected.astype(int)).mean() < 1.0


def test_swapfacesameimage_reads_both_identities_before_swapping(engine: Engine, crop: Crop) -> None:
    data = encode(crop(2, 3))
    result = pixels_of(engine.run(Operation.SWAPFACESAMEIMAGE, {"srcimage": data}).image)
    scene, (left, right) = faces_of(engine, data)
    expected = by_hand(engine, scene, [(left, scene, right), (right, scene, left)])
    assert np.abs(result.astype(int) - expected.astype(int)).mean() < 1.0
    # Reading the second identity after the first swap would give the left face back to itself.
    once = engine.swapper.swap(scene, left, engine.swapper.source_identity(scene, right))
    naive = engine.swapper.swap(once, right, engine.swapper.source_identity(once, left))
    assert face_change(naive, result, right) > 4.0 * face_change(expected, result, right)
    assert face_change(expected, result, left) < 2.0 and face_change(expected, result, right) < 2.0
    assert face_change(scene, result, left) > 4.0 and face_change(scene, result, right) > 4.0


# ------------------------------------------------------------------------------------------ face rules


def test_no_face(engine: Engine, crop: Crop, blank_jpeg: bytes) -> None:
    with pytest.raises(NoFaceDetected) as caught:
        engine.run(Operation.BASICSWAP, {"srcimage": encode(crop(0)), "targetimage": blank_jpeg})
    assert caught.value.code == "no_face_detected" and caught.value.details == {"image": "targetimage"}


@pytest.mark.parametrize(
    ("operation", "field", "expected"),
    [
        (Operation.BASICSWAP, "srcimage", 1),
        (Operation.SWAPFACESAMEIMAGE, "srcimage", 2),
    ],
)
def test_face_count_mismatch(
    engine: Engine, t1_bytes: bytes, crop: Crop, operation: Operation, field: str, expected: int
) -> None:
    images = {"srcimage": t1_bytes, "targetimage": encode(crop(0))}
    with pytest.raises(FaceCountMismatch) as caught:
        engine.run(operation, images)
    assert caught.value.details == {"image": field, "expected": expected, "found": 6}


def test_background_face_is_not_counted(engine: Engine, crop: Crop) -> None:
    scene = crop(3).resize((440, 626), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (700, 626), (120, 130, 140))
    canvas.paste(scene, (0, 0))
    canvas.paste(crop(1, margin=0.3).resize((46, 53), Image.Resampling.BICUBIC), (560, 80))
    result = engine.run(Operation.BASICSWAP, {"srcimage": encode(crop(0)), "targetimage": encode(canvas)})
    assert Image.open(io.BytesIO(result.image)).size == (700, 626)


@pytest.mark.parametrize("bad", [b"", b"GIF89a not really", b"\xff\xd8\xff\xe0 truncated jpeg"])
def test_undecodable_input(engine: Engine, crop: Crop, bad: bytes) -> None:
    with pytest.raises(InvalidImage) as caught:
        engine.run(Operation.BASICSWAP, {"srcimage": encode(crop(0)), "targetimage": bad})
    assert caught.value.details == {"image": "targetimage"}


# ------------------------------------------------------------------------------------------ bad input


def rgba_target(crop: Crop) -> bytes:
    image = crop(3).convert("RGBA")
    alpha = np.full((image.height, image.width), 255, np.uint8)
    alpha[:, :20] = 0  # a transparent strip that must survive
    alpha[:20, :] = 128
    image.putalpha(Image.fromarray(alpha, "L"))
    return encode(image, "PNG")


def exif_rotated(crop: Crop) -> bytes:
    stored = crop(3).transpose(Image.Transpose.ROTATE_90)  # stored sideways...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...with the tag that turns it upright
    return encode(stored, "JPEG", exif=exif.tobytes())


def sixteen_bit(crop: Crop) -> bytes:
    grey = np.asarray(crop(3).convert("L")).astype(np.uint16) * 257
    return encode(Image.fromarray(grey), "PNG")


TARGETS: dict[str, tuple[Callable[[Crop], bytes], str, tuple[int, int] | None]] = {
    # name: (make target bytes, result format, result size or None for the crop's own size)
    "grayscale": (lambda c: encode(c(3).convert("L")), "JPEG", None),
    "cmyk-jpeg": (lambda c: encode(c(3).convert("CMYK")), "JPEG", None),
    "16-bit-png": (sixteen_bit, "PNG", None),
    "palette-png": (lambda c: encode(c(3).convert("P", palette=Image.Palette.ADAPTIVE), "PNG"), "PNG", None),
    "webp": (lambda c: encode(c(3), "WEBP", quality=90), "WEBP", None),
    "exif-rotated": (exif_rotated, "JPEG", None),
    "large": (lambda c: encode(c(3).resize((1540, 2190), Image.Resampling.BICUBIC)), "JPEG", (1540, 2190)),
}


@pytest.mark.parametrize("name", list(TARGETS))
def test_awkward_targets_are_swapped_in_their_own_format_and_size(
    engine: Engine, crop: Crop, name: str
) -> None:
    make, fmt, size = TARGETS[name]
    target = make(crop)
    result = engine.run(Operation.BASICSWAP, {"srcimage": encode(crop(0)), "targetimage": target})
    out = Image.open(io.BytesIO(result.image))
    assert out.format == fmt
    assert out.size == (size or crop(3).size)  # exif-rotated: upright again, so the crop's own size
    before, (face,) = faces_of(engine, target)
    assert face_change(before, pixels_of(result.image), face) > 4.0


def test_rgba_png_keeps_its_alpha(engine: Engine, crop: Crop) -> None:
    target = rgba_target(crop)
    result = engine.run(Operation.BASICSWAP, {"srcimage": encode(crop(0)), "targetimage": target})
    out = Image.open(io.BytesIO(result.image))
    assert out.format == "PNG" and out.mode == "RGBA"
    assert np.array_equal(np.asarray(out)[..., 3], np.asarray(Image.open(io.BytesIO(target)))[..., 3])


def test_awkward_sources_work_too(engine: Engine, crop: Crop) -> None:
    for make, _, _ in TARGETS.values():
        result = engine.run(Operation.BASICSWAP, {"srcimage": make(crop), "targetimage": encode(crop(3))})
        assert result.format == "JPEG"


@pytest.mark.parametrize(
    ("canvas_side", "face_size", "expected"),
    [
        (600, (32, 46), "ok"),  # small, but about 34 px in the detector's copy: found and swapped
        (1800, (16, 23), "no_face_detected"),  # about 6 px in the detector's copy: not a face to SCRFD
    ],
)
def test_tiny_faces(
    engine: Engine, crop: Crop, canvas_side: int, face_size: tuple[int, int], expected: str
) -> None:
    canvas = Image.new("RGB", (canvas_side, canvas_side), (90, 100, 110))
    canvas.paste(crop(3, margin=0.3).resize(face_size, Image.Resampling.BICUBIC), (canvas_side // 2,) * 2)
    assert _outcome(engine, {"srcimage": encode(crop(0)), "targetimage": encode(canvas)}) == expected


@pytest.mark.parametrize("side", [12, 30])
def test_whole_image_tiny_face_both_ways(engine: Engine, crop: Crop, side: int) -> None:
    small = encode(crop(3, margin=0.3).resize((side, round(side * 1.42)), Image.Resampling.BICUBIC))
    assert _outcome(engine, {"srcimage": encode(crop(0)), "targetimage": small}) == "ok"
    assert _outcome(engine, {"srcimage": small, "targetimage": encode(crop(0))}) == "ok"


@pytest.mark.parametrize("cut", ["left", "top", "bottom"])
def test_face_cut_by_the_border(engine: Engine, crop: Crop, cut: str) -> None:
    whole = crop(3, margin=0.3)
    w, h = whole.size
    box = {"left": (w // 2 - 15, 0, w, h), "top": (0, h // 2 - 25, w, h), "bottom": (0, 0, w, h // 2 + 30)}[
        cut
    ]
    cut_face = encode(whole.crop(box))
    assert _outcome(engine, {"srcimage": encode(crop(0)), "targetimage": cut_face}) == "ok"
    assert _outcome(engine, {"srcimage": cut_face, "targetimage": encode(crop(0))}) == "ok"


def _outcome(engine: Engine, images: dict[str, bytes]) -> str:
    try:
        engine.run(Operation.BASICSWAP, images)
    except EngineError as exc:
        assert exc.code in CONTRACT_CODES, f"{exc.code}: {exc.message}"
        return exc.code
    return "ok"


# ------------------------------------------------------------------------------------------ loading


def test_load_refuses_a_tier_that_is_not_there(model_dir: Path, tmp_path: Path) -> None:
    from engine_layer.errors import ModelsMissing

    with pytest.raises(ModelsMissing):
        Engine.load(model_dir, tier="production", providers=CPU)
    with pytest.raises(ModelsMissing, match="production"):
        Engine.load(model_dir, require_tier="production", providers=CPU)
    with pytest.raises(ModelsMissing, match="install-offline"):
        Engine.load(tmp_path, providers=CPU)
    assert Engine.load(model_dir, require_tier="offline", providers=CPU).describe()["tier"] == "offline"


def damaged_copies(data: bytes) -> list[bytes]:
    """Truncations and byte flips at fixed places: what a broken upload or a bad proxy produces."""
    copies = [data[:cut] for cut in (2, 16, 200, len(data) // 3, len(data) - 2)]
    for where in (0.02, 0.3, 0.6, 0.9):
        flipped = bytearray(data)
        start = int(len(data) * where)
        flipped[start : start + 8] = bytes(b ^ 0x5A for b in flipped[start : start + 8])
        copies.append(bytes(flipped))
    return copies


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_damaged_uploads_end_in_a_contract_code_or_a_result(engine: Engine, crop: Crop, fmt: str) -> None:
    source = encode(crop(0))
    outcomes = {
        _outcome(engine, {"srcimage": source, "targetimage": bad})
        for bad in damaged_copies(encode(crop(3), fmt))
    }
    assert "invalid_image_format" in outcomes  # at least the short truncations are refused
