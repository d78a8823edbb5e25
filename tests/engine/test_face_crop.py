"""Face-local work (engine_layer.face_crop): the engine hands swapper and restorer a crop around each face
at a bounded working resolution, and the result is the one the whole frame would have given."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engine_layer.datatypes import Face
from engine_layer.decode import decode_image
from engine_layer.engine import Engine
from engine_layer.face_crop import FaceCrop
from engine_layer.operations import Operation
from tests.engine.helpers import encode

Crop = Callable[..., Image.Image]


@dataclass
class Recording:
    """A real swapper or restorer, passed through, noting the size of every image it is handed."""

    inner: Any
    seen: list[tuple[str, tuple[int, ...], Face]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def source_identity(self, image: np.ndarray, face: Face) -> Any:
        self.seen.append(("identity", image.shape, face))
        return self.inner.source_identity(image, face)

    def swap(self, scene: np.ndarray, target: Face, source: Any) -> np.ndarray:
        self.seen.append(("swap", scene.shape, target))
        return self.inner.swap(scene, target, source)

    def restore(self, image: np.ndarray, face: Face) -> np.ndarray:
        self.seen.append(("restore", image.shape, face))
        return self.inner.restore(image, face)


def recording_engine(engine: Engine, face_resolution: int) -> tuple[Engine, Recording, Recording]:
    swapper, restorer = Recording(engine.swapper), Recording(engine.restorer)
    recorder = Engine(
        tier=engine.tier,
        detector=engine.detector,
        swapper=swapper,
        restorer=restorer,
        face_resolution=face_resolution,
    )
    return recorder, swapper, restorer


def large_scene(face: Image.Image, size: tuple[int, int], at: tuple[int, int]) -> Image.Image:
    """`face` placed into a larger photo: a smooth, faceless backdrop with some texture."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    backdrop = np.stack(
        [
            90 + 60 * np.sin(xs / 97.0),
            110 + 50 * np.cos(ys / 131.0),
            130 + 40 * np.sin((xs + ys) / 173.0),
        ],
        axis=-1,
    )
    scene = Image.fromarray(np.clip(backdrop, 0, 255).astype(np.uint8), "RGB")
    scene.paste(face, at)
    return scene


def jpeg_round_trip(pixels: np.ndarray) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels[..., ::-1])).save(out, "JPEG", quality=95)
    return np.asarray(Image.open(out).convert("RGB"))[..., ::-1]


def whole_frame(engine: Engine, target_png: bytes, source: bytes, enhance: bool) -> np.ndarray:
    """The swap (and restore) done the way the engine did it before face crops: on the whole frame."""
    src, scene = decode_image(source, "srcimage"), decode_image(target_png, "targetimage")
    (src_face,), (target,) = engine.detect("srcimage", src), engine.detect("targetimage", scene)
    result = engine.swapper.swap(scene.pixels, target, engine.swapper.source_identity(src.pixels, src_face))
    return engine.restorer.restore(result, target) if enhance else result


@pytest.mark.parametrize("enhance", [False, True])
def test_small_face_in_a_large_photo_equals_the_whole_frame_swap(
    engine: Engine, crop: Crop, enhance: bool
) -> None:
    scene_image = large_scene(crop(3, margin=0.4), (2400, 1600), (1500, 300))
    target, source = encode(scene_image, "PNG"), encode(crop(0))
    recorder, swapper, restorer = recording_engine(engine, face_resolution=1024)
    result = recorder.run(Operation.BASICSWAP, {"srcimage": source, "targetimage": target}, None, enhance)

    scene = decode_image(target, "targetimage").pixels
    expected = whole_frame(engine, target, source, enhance)
    after = decode_image(result.image, "result").pixels
    # PNG in, PNG out, so no codec noise: the crop pipeline gives the whole-frame result within what a
    # JPEG q95 round trip of that result moves (landmarks and filters are float maths that round a little
    # differently at other coordinates; the restorer's sharpening can lift one such pixel further).
    difference = np.abs(after.astype(int) - expected.astype(int))
    swapped = np.abs(expected.astype(int) - scene.astype(int)).max(axis=2) > 0  # where the face went
    jpeg_noise = np.abs(jpeg_round_trip(expected).astype(int) - expected.astype(int))[swapped]
    assert difference.max() <= max(int(jpeg_noise.max()), 2)
    assert np.sqrt(np.mean(difference[swapped] ** 2.0)) <= np.sqrt(np.mean(jpeg_noise**2.0))
    assert np.abs(after.astype(int) - scene.astype(int)).max() > 40  # and the face did change
    # ... while the stages saw crops around the face, not the 3.8 MP frame.
    stages = swapper.seen + restorer.seen
    assert {name for name, _, _ in stages} == {"identity", "swap", *(["restore"] if enhance else [])}
    for name, shape, _ in stages:
        if name != "identity":
            assert shape[0] * shape[1] < 0.25 * scene.shape[0] * scene.shape[1], (name, shape)


def test_a_face_over_the_working_resolution_is_worked_on_shrunk(engine: Engine, crop: Crop) -> None:
    face = crop(3, margin=0.5)
    scene_image = large_scene(face.resize((face.width * 2, face.height * 2)), (1000, 800), (200, 100))
    target, source = encode(scene_image, "PNG"), encode(crop(0))
    recorder, swapper, _ = recording_engine(engine, face_resolution=160)
    result = recorder.run(Operation.BASICSWAP, {"srcimage": source, "targetimage": target})

    scene = decode_image(target, "targetimage").pixels
    after = decode_image(result.image, "result").pixels
    (_, _, worked), *_ = [entry for entry in swapper.seen if entry[0] == "swap"]
    x1, y1, x2, y2 = worked.bbox
    assert max(x2 - x1, y2 - y1) <= 160.5  # the face the swapper saw is at the working resolution
    (target_face,) = engine.detect("t", decode_image(target, "t"))
    assert max(np.ptp(target_face.bbox[[0, 2]]), np.ptp(target_face.bbox[[1, 3]])) > 200

    changed = np.any(after != scene, axis=2)
    assert changed.mean() > 0.02  # the face was swapped ...
    ys, xs = np.nonzero(changed)
    fx1, fy1, fx2, fy2 = target_face.bbox
    # ... and only around it: everything else keeps its exact bytes, nothing was resampled there.
    assert xs.min() > fx1 - 0.2 * (fx2 - fx1) and xs.max() < fx2 + 0.2 * (fx2 - fx1)
    assert ys.min() > fy1 - 0.6 * (fy2 - fy1) and ys.max() < fy2 + 0.2 * (fy2 - fy1)
    # The full-resolution swap gives nearly the same face: working small costs detail, not the swap.
    expected = whole_frame(engine, target, source, enhance=False)
    region = (slice(int(fy1), int(fy2)), slice(int(fx1), int(fx2)))
    apart = np.abs(after[region].astype(int) - expected[region].astype(int)).mean()
    swap_change = np.abs(expected[region].astype(int) - scene[region].astype(int)).mean()
    assert apart < 0.25 * swap_change, (apart, swap_change)


def test_paste_of_an_unchanged_crop_leaves_the_frame_alone() -> None:
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    face = Face(
        bbox=np.array([150, 100, 250, 200], np.float32), score=0.9, kps=np.full((5, 2), 170, np.float32)
    )
    original = frame.copy()
    for resolution in (1024, 40):
        crop = FaceCrop.around(face, frame.shape, resolution)
        pixels = crop.cut(frame)
        assert not crop.paste(frame, pixels, pixels.copy())
        assert np.array_equal(frame, original)


def test_scaled_crop_maps_points_onto_the_same_content() -> None:
    # A smooth image: the value at a point barely depends on the resolution it is read at.
    ys, xs = np.mgrid[0:600, 0:800].astype(np.float32)
    frame = np.stack([xs / 4, ys / 3, (xs + ys) / 6], axis=-1).clip(0, 255).astype(np.uint8)
    kps = np.array([[300, 250], [380, 252], [340, 300], [310, 340], [372, 338]], np.float32)
    face = Face(bbox=np.array([260, 200, 420, 380], np.float32), score=0.9, kps=kps)
    crop = FaceCrop.around(face, frame.shape, 64)
    assert crop.scaled and (crop.work_width, crop.work_height) < (crop.width, crop.height)
    pixels, local = crop.cut(frame), crop.face_in(face)
    side = max(np.ptp(local.bbox[[0, 2]]), np.ptp(local.bbox[[1, 3]]))
    assert abs(side - 64) < 1.0
    for (x, y), (u, v) in zip(kps, local.kps, strict=True):
        full = frame[round(y), round(x)].astype(int)
        small = pixels[round(v), round(u)].astype(int)
        assert np.abs(full - small).max() <= 3, (x, y, u, v)


def test_paste_of_a_scaled_crop_replaces_only_the_changed_part() -> None:
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    original = frame.copy()
    face = Face(bbox=np.array([300, 200, 460, 360], np.float32), score=0.9, kps=np.zeros((5, 2), np.float32))
    crop = FaceCrop.around(face, frame.shape, 40)
    before = crop.cut(frame)
    after = before.copy()
    after[20:30, 25:35] = (0, 255, 0)  # a green square in working pixels
    assert crop.paste(frame, before, after)
    changed = np.any(frame != original, axis=2)
    ys, xs = np.nonzero(changed)
    sx, sy = crop.width / crop.work_width, crop.height / crop.work_height
    # The square lands where it was drawn, scaled up, with a ramp of about a working pixel around it.
    assert xs.min() >= crop.x + (25 - 2) * sx - 1 and xs.max() <= crop.x + (35 + 2) * sx + 1
    assert ys.min() >= crop.y + (20 - 2) * sy - 1 and ys.max() <= crop.y + (30 + 2) * sy + 1
    centre = frame[int(crop.y + 25 * sy), int(crop.x + 30 * sx)]
    assert tuple(int(v) for v in centre) == (0, 255, 0)
