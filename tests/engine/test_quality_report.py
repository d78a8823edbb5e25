"""The quality report every result carries (engine_layer.quality through Engine.run), on real photos
(insightface's t1.jpg) and edits of them made here: a hard shadow, a turn, a tilt, a small copy."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from engine_layer import quality
from engine_layer.decode import decode_image
from engine_layer.engine import Engine
from engine_layer.operations import Operation
from tests.engine.helpers import encode

Crop = Callable[..., Image.Image]


def half_shadowed(image: Image.Image, engine: Engine, factor: float = 0.45) -> Image.Image:
    """The face's image-right half darkened to `factor`, past the nose with a soft edge."""
    decoded = decode_image(encode(image, "PNG"), "x")
    (face,) = engine.detect("x", decoded)
    width = float(face.bbox[2] - face.bbox[0])
    columns = np.arange(image.width, dtype=np.float32)
    ramp = np.clip((columns - float(face.kps[2][0])) / (0.08 * width) + 0.5, 0.0, 1.0)
    gain = 1.0 - (1.0 - factor) * ramp
    shaded = np.asarray(image, dtype=np.float32) * gain[None, :, None]
    return Image.fromarray(np.clip(shaded, 0, 255).astype(np.uint8), "RGB")


def basicswap_report(engine: Engine, source: Image.Image, target: Image.Image) -> dict:
    images = {"srcimage": encode(source, "PNG"), "targetimage": encode(target, "PNG")}
    report = engine.run(Operation.BASICSWAP, images).quality
    assert report is not None
    return report


@pytest.mark.parametrize(
    ("operation", "images", "swap_index", "expected"),
    [
        ("basicswap", {"srcimage": (3,), "targetimage": (0,)}, None, [(0, "srcimage", 0)]),
        (
            "faceswap2",
            {"srcimage": (2, 3), "targetimage": (0, 1)},
            (1, 0),
            [(0, "srcimage", 1), (1, "srcimage", 0)],
        ),
        (
            "swap1from2",
            {"srcimage": (0, 1), "targetimage1": (3,), "targetimage2": (5,)},
            None,
            [(0, "targetimage1", 0), (1, "targetimage2", 0)],
        ),
        ("swapfacesameimage", {"srcimage": (2, 3)}, None, [(0, "srcimage", 1), (1, "srcimage", 0)]),
    ],
)
def test_every_operation_reports_each_swapped_face(
    engine: Engine,
    crop: Crop,
    operation: str,
    images: dict[str, tuple[int, ...]],
    swap_index: tuple[int, int] | None,
    expected: list[tuple[int, str, int]],
) -> None:
    data = {field: encode(crop(*faces)) for field, faces in images.items()}
    report = engine.run(Operation(operation), data, swap_index).quality
    assert report is not None
    json.dumps(report, allow_nan=False)  # goes into DynamoDB and a JSON body as it is
    entries = report["faces"]
    assert [(e["target_index"], e["source_image"], e["source_index"]) for e in entries] == expected
    for entry in entries:
        source_field, source_index = entry["source_image"], entry["source_index"]
        source_face = engine.detect(source_field, decode_image(data[source_field], source_field))[
            source_index
        ]
        assert entry["source"]["detection_score"] == pytest.approx(source_face.score, abs=1e-3)
        for side in ("source", "target"):
            measures = entry[side]
            assert 0.5 <= measures["detection_score"] <= 1.0
            assert measures["face_width_px"] > 50
            assert abs(measures["yaw_degrees"]) < 60 and abs(measures["roll_degrees"]) < 45
            assert 0.0 <= measures["landmark_fit_residual"] < 0.3
        assert set(entry["warnings"]) <= set(quality.WARNINGS)
    assert report["warnings"] == sorted({w for e in entries for w in e["warnings"]})


def test_a_source_lit_from_one_side_is_reported(engine: Engine, crop: Crop) -> None:
    source, target = crop(3), crop(0)
    clean = basicswap_report(engine, source, target)["faces"][0]
    shadowed = basicswap_report(engine, half_shadowed(source, engine), target)["faces"][0]
    assert "source_side_lit" not in clean["warnings"]
    assert "source_side_lit" in shadowed["warnings"]
    assert shadowed["source"]["lighting_asymmetry"] > clean["source"]["lighting_asymmetry"] + 15
    assert shadowed["lighting_difference"] > clean["lighting_difference"] + 15
    # The target's measures do not depend on the source.
    assert shadowed["target"] == clean["target"]


def test_turn_and_tilt_are_measured(engine: Engine, crop: Crop) -> None:
    source, target = crop(3), crop(0)
    straight = basicswap_report(engine, source, target)["faces"][0]["source"]
    mirrored = basicswap_report(engine, source.transpose(Image.Transpose.FLIP_LEFT_RIGHT), target)
    assert mirrored["faces"][0]["source"]["yaw_degrees"] == pytest.approx(-straight["yaw_degrees"], abs=3)
    tilted = source.rotate(-35, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(128, 128, 128))
    report = basicswap_report(engine, tilted, target)
    roll = report["faces"][0]["source"]["roll_degrees"]
    assert roll == pytest.approx(straight["roll_degrees"] + 35, abs=10)  # SCRFD's keypoints on a tilted face
    assert "extreme_pose" in report["warnings"]


def test_a_small_source_face_is_reported(engine: Engine, crop: Crop) -> None:
    source, target = crop(3), crop(0)
    assert "low_resolution_source" not in basicswap_report(engine, source, target)["warnings"]
    small = source.resize((source.width * 2 // 5, source.height * 2 // 5), Image.Resampling.LANCZOS)
    report = basicswap_report(engine, small, target)
    assert report["faces"][0]["source"]["face_width_px"] < quality.MIN_FACE_WIDTH_PX
    assert "low_resolution_source" in report["warnings"]


def test_what_the_swapper_measured_on_its_source_is_reported_when_it_is_there(
    engine: Engine, crop: Crop
) -> None:
    """The offline swapper's identity may carry occluded_share and side_lighting; absent ones are absent."""
    image = decode_image(encode(crop(3)), "srcimage")
    (face,) = engine.detect("srcimage", image)
    target = decode_image(encode(crop(0)), "targetimage")
    (target_face,) = engine.detect("targetimage", target)

    def entry(identity: object) -> dict:
        swap = quality.SwapInputs(0, target.pixels, target_face, "srcimage", 0, image.pixels, face, identity)
        return quality.measure_swap(swap)

    plain = entry(object())
    assert "occluded_share" not in plain["source"] and "source_occluded" not in plain["warnings"]
    covered = entry(SimpleNamespace(occluded_share=0.3, side_lighting=0.1))
    assert covered["source"]["occluded_share"] == 0.3 and covered["source"]["side_lighting"] == 0.1
    assert "source_occluded" in covered["warnings"]
    assert "source_occluded" not in entry(SimpleNamespace(occluded_share=0.02))["warnings"]
    assert "occluded_share" not in entry(SimpleNamespace(occluded_share=float("nan")))["source"]
