"""The production tier's own code on small graphs with the real signatures (production_graphs.py):
ArcFace embedding -> emap -> normalise, inswapper's crop pasted back under our mask, GFPGAN's alignment,
normalisation and paste-back. Faces come from SCRFD on insightface's t1.jpg (six faces)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from insightface.model_zoo import get_model
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.model_zoo.inswapper import INSwapper
from insightface.utils import face_align
from PIL import Image

from engine_layer import manifest, providers
from engine_layer.datatypes import Face
from engine_layer.decode import decode_image
from engine_layer.detection.scrfd_insightface import ScrfdDetector
from engine_layer.engine import Engine
from engine_layer.errors import EngineError, ModelsMissing
from engine_layer.manifest import Tier
from engine_layer.operations import Operation
from engine_layer.production import GfpganRestorer, InswapperSwapper
from engine_layer.production.gfpgan import FFHQ_512_TEMPLATE, alignment_matrix, from_network, to_network
from engine_layer.production.inswapper import face_mask
from engine_layer.production.paste_back import box_mask, ellipse_mask, paste_back
from tests.engine.production_graphs import (
    ArcfaceGraph,
    InswapperGraph,
    build_arcface,
    build_gfpgan_identity,
    build_gfpgan_red_only,
    build_inswapper,
    scrfd_faces,
)
from tests.face_photos import insightface_photo_path

CPU = ["CPUExecutionProvider"]
T1 = insightface_photo_path("t1.jpg")


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("production_graphs")
    return {
        "inswapper": build_inswapper(manifest.INSWAPPER.path(root)),
        "arcface": build_arcface(manifest.ARCFACE.path(root)),
        "arcface_blind": build_arcface(manifest.ARCFACE.path(root / "blind"), scale=0.0),
        "gfpgan_identity": build_gfpgan_identity(manifest.GFPGAN.path(root)),
        "gfpgan_red": build_gfpgan_red_only(root / "gfpgan_red.onnx"),
        "gfpgan_256": build_gfpgan_identity(root / "gfpgan_256.onnx", size=256),
    }


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    image = cv2.imread(str(T1))
    assert image is not None, f"insightface's sample photo is missing: {T1}"
    return image


@pytest.fixture(scope="module")
def faces(model_dir: Path, scene: np.ndarray) -> list[Face]:
    """t1.jpg's six faces, left to right, straight from SCRFD (independent of the engine's own detector)."""
    found = scrfd_faces(manifest.SCRFD.path(model_dir), scene)
    assert len(found) == 6
    return found


@pytest.fixture(scope="module")
def swapper(graphs: dict[str, object]) -> InswapperSwapper:
    inswapper, arcface = graphs["inswapper"], graphs["arcface"]
    assert isinstance(inswapper, InswapperGraph) and isinstance(arcface, ArcfaceGraph)
    return InswapperSwapper(inswapper.path, arcface.path, CPU)


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.any(before != after, axis=2)


def _grown_box(face: Face, fraction: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    grow_x, grow_y = (x2 - x1) * fraction, (y2 - y1) * fraction
    return (
        max(0, int(x1 - grow_x)),
        max(0, int(y1 - grow_y)),
        min(shape[1], int(np.ceil(x2 + grow_x))),
        min(shape[0], int(np.ceil(y2 + grow_y))),
    )


def _outside(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> np.ndarray:
    x1, y1, x2, y2 = box
    outside = np.ones(shape[:2], dtype=bool)
    outside[y1:y2, x1:x2] = False
    return outside


def _patch_mean(image: np.ndarray, point: np.ndarray, radius: int = 2) -> np.ndarray:
    x, y = (round(float(v)) for v in point)
    return (
        image[y - radius : y + radius + 1, x - radius : x + radius + 1]
        .reshape(-1, 3)
        .astype(np.float64)
        .mean(0)
    )


# --- providers -----------------------------------------------------------------------------------------


def test_providers_put_cuda_first_and_always_keep_cpu() -> None:
    offered = ["TensorrtExecutionProvider", "CPUExecutionProvider", "CUDAExecutionProvider"]
    assert providers.choose_providers(offered) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert providers.choose_providers(["AzureExecutionProvider", "CPUExecutionProvider"]) == [
        "CPUExecutionProvider"
    ]
    assert providers.choose_providers([]) == ["CPUExecutionProvider"]


def test_providers_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    providers._providers_once.cache_clear()
    with caplog.at_level(logging.INFO, logger="engine_layer.providers"):
        first = providers.onnx_providers()
        first.append("mutated by a caller")
        second = providers.onnx_providers()
    assert second[-1] == "CPUExecutionProvider"
    assert "mutated by a caller" not in second
    assert len([r for r in caplog.records if "providers: using" in r.getMessage()]) == 1


# --- the stand-in graphs look like the real files to insightface ----------------------------------------


def test_graphs_route_to_the_classes_the_real_models_route_to(graphs: dict[str, object]) -> None:
    inswapper, arcface = graphs["inswapper"], graphs["arcface"]
    assert isinstance(inswapper, InswapperGraph) and isinstance(arcface, ArcfaceGraph)
    routed = get_model(str(inswapper.path), providers=CPU)
    assert isinstance(routed, INSwapper)
    assert routed.input_names == ["target", "source"] and routed.output_names == ["output"]
    np.testing.assert_array_equal(routed.emap, inswapper.emap)  # read from the last initializer
    recogniser = get_model(str(arcface.path), providers=CPU)
    assert isinstance(recogniser, ArcFaceONNX)
    assert (recogniser.input_mean, recogniser.input_std) == (127.5, 127.5)  # as for w600k_r50


def test_wrong_missing_or_broken_files_are_refused(graphs: dict[str, object], tmp_path: Path) -> None:
    inswapper, arcface = graphs["inswapper"], graphs["arcface"]
    assert isinstance(inswapper, InswapperGraph) and isinstance(arcface, ArcfaceGraph)
    with pytest.raises(ModelsMissing, match="not a INSwapper model"):
        InswapperSwapper(arcface.path, arcface.path, CPU)
    with pytest.raises(ModelsMissing, match="not a ArcFaceONNX model"):
        InswapperSwapper(inswapper.path, inswapper.path, CPU)
    with pytest.raises(ModelsMissing, match="missing"):
        InswapperSwapper(tmp_path / "absent.onnx", arcface.path, CPU)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not a protobuf" * 10)
    with pytest.raises(ModelsMissing, match="cannot be loaded"):
        InswapperSwapper(broken, arcface.path, CPU)
    with pytest.raises(ModelsMissing, match="not a GFPGAN 512 model"):
        GfpganRestorer(Path(str(graphs["gfpgan_256"])), CPU)
    with pytest.raises(ModelsMissing, match="not a GFPGAN 512 model"):
        GfpganRestorer(inswapper.path, CPU)
    with pytest.raises(ModelsMissing, match="cannot be loaded"):
        GfpganRestorer(broken, CPU)
    with pytest.raises(ModelsMissing, match="missing"):
        GfpganRestorer(tmp_path / "absent.onnx", CPU)
    with pytest.raises(ValueError, match="strength"):
        GfpganRestorer(Path(str(graphs["gfpgan_identity"])), CPU, strength=0.0)


# --- inswapper: identity path and paste-back ------------------------------------------------------------


def _expected_embedding(arcface: ArcfaceGraph, scene: np.ndarray, face: Face) -> np.ndarray:
    aligned = face_align.norm_crop(scene, landmark=face.kps, image_size=112)
    rgb = aligned[:, :, ::-1].astype(np.float64).transpose(2, 0, 1)
    embedding = arcface.embedding((rgb - 127.5) / 127.5).reshape(-1)
    return embedding / np.linalg.norm(embedding)


def test_source_identity_is_the_normalised_arcface_embedding(
    swapper: InswapperSwapper, graphs: dict[str, object], scene: np.ndarray, faces: list[Face]
) -> None:
    arcface = graphs["arcface"]
    assert isinstance(arcface, ArcfaceGraph)
    for face in (faces[0], faces[4]):
        identity = swapper.source_identity(scene, face)
        assert identity.normed_embedding.shape == (512,)
        assert identity.normed_embedding.dtype == np.float32
        np.testing.assert_allclose(
            identity.normed_embedding, _expected_embedding(arcface, scene, face), atol=1e-5
        )
    assert faces[0].embedding is None  # the caller's Face is not written to


def test_a_source_without_identity_is_an_engine_error(
    graphs: dict[str, object], scene: np.ndarray, faces: list[Face]
) -> None:
    inswapper, blind = graphs["inswapper"], graphs["arcface_blind"]
    assert isinstance(inswapper, InswapperGraph) and isinstance(blind, ArcfaceGraph)
    with pytest.raises(EngineError, match="identity"):
        InswapperSwapper(inswapper.path, blind.path, CPU).source_identity(scene, faces[0])


def test_swap_paints_the_source_identity_onto_the_target_face(
    swapper: InswapperSwapper, graphs: dict[str, object], scene: np.ndarray, faces: list[Face]
) -> None:
    inswapper = graphs["inswapper"]
    assert isinstance(inswapper, InswapperGraph)
    target = faces[3]
    colours = []
    for source in (faces[0], faces[4]):
        identity = swapper.source_identity(scene, source)
        latent = identity.normed_embedding.astype(np.float64) @ inswapper.emap
        latent /= np.linalg.norm(latent)
        colour_bgr = inswapper.colour_rgb(latent)[::-1] * 255.0
        colours.append(colour_bgr)
        result = swapper.swap(scene, target, identity)
        assert result.shape == scene.shape and result.dtype == np.uint8
        # Deep inside the face the graph's output replaces the scene: half scene (in the right channel
        # order), half the identity's colour.
        for point in target.kps[:3]:  # eyes and nose
            expected = (1 - inswapper.mix) * _patch_mean(scene, point) + inswapper.mix * colour_bgr
            np.testing.assert_allclose(_patch_mean(result, point), expected, atol=3.0)
    assert np.abs(colours[0] - colours[1]).max() > 20, "two identities must give visibly different results"


def test_swap_changes_the_target_face_and_nothing_else(
    swapper: InswapperSwapper, scene: np.ndarray, faces: list[Face]
) -> None:
    target = faces[3]
    result = swapper.swap(scene, target, swapper.source_identity(scene, faces[0]))
    changed = _changed(scene, result)
    # The mask is an ellipse from brows to chin: it stays within the face box grown by a fifth.
    assert not changed[_outside(_grown_box(target, 0.2, scene.shape), scene.shape)].any()
    for face in faces:
        x1, y1, x2, y2 = _grown_box(face, 0.0, scene.shape)
        if face is not target:
            assert not changed[y1:y2, x1:x2].any()
    for x, y in target.kps:  # eyes, nose and mouth corners all lie inside the mask
        assert changed[round(float(y)), round(float(x))]
    x1, y1, x2, y2 = _grown_box(target, 0.0, scene.shape)
    assert changed[y1:y2, x1:x2].mean() > 0.4  # most of the face box, not a sliver


def test_swap_of_a_face_cut_by_the_border(
    swapper: InswapperSwapper, scene: np.ndarray, faces: list[Face]
) -> None:
    target = faces[3]
    x_cut = round(float(target.kps[2][0]))  # the image now ends at the nose
    cut_scene = np.ascontiguousarray(scene[:, :x_cut])
    result = swapper.swap(cut_scene, target, swapper.source_identity(scene, faces[0]))
    assert result.shape == cut_scene.shape
    changed = _changed(cut_scene, result)
    assert changed.any()
    assert not changed[_outside(_grown_box(target, 0.2, cut_scene.shape), cut_scene.shape)].any()


def test_inswapper_mask_covers_the_face_and_fades_out_before_the_crop_edge(swapper: InswapperSwapper) -> None:
    mask = swapper.crop_mask
    assert mask.shape == (128, 128) and mask.dtype == np.float32
    assert mask.min() == 0.0 and mask.max() == pytest.approx(1.0)
    template = face_align.arcface_dst + np.array([8.0, 0.0])  # the 128 crop's key points
    for x, y in template:
        assert mask[round(y), round(x)] > 0.99
    assert not mask[:3].any() and not mask[-3:].any() and not mask[:, :3].any() and not mask[:, -3:].any()
    assert 0.0 < mask[64, 22] < 1.0  # a feathered cheek edge, not a hard cut
    # A 112 px crop (insightface's other template scale) places the ellipse on that crop's key points.
    small = face_mask(112)
    for x, y in face_align.arcface_dst:
        assert small[round(y), round(x)] > 0.99
    assert not small[0].any() and not small[-1].any()


# --- paste-back and masks --------------------------------------------------------------------------------


def test_paste_back_lands_exactly_where_the_affine_says() -> None:
    rng = np.random.default_rng(3)
    scene = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    crop = np.zeros((40, 40, 3), dtype=np.uint8)
    crop[:] = (10, 200, 30)
    mask = np.zeros((40, 40), dtype=np.float32)
    mask[10:30, 5:25] = 1.0
    # Scene -> crop is a shift by (-50, -20): crop pixel (u, v) sits on scene pixel (u + 50, v + 20).
    affine = np.array([[1.0, 0.0, -50.0], [0.0, 1.0, -20.0]])
    untouched = scene.copy()
    result = paste_back(scene, crop, mask, affine)
    expected = scene.copy()
    expected[30:50, 55:75] = (10, 200, 30)
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(scene, untouched)  # the input is never written to


def test_paste_back_scales_and_blends_by_the_mask() -> None:
    scene = np.full((200, 200, 3), 100, dtype=np.uint8)
    crop = np.full((50, 50, 3), 200, dtype=np.uint8)
    mask = np.zeros((50, 50), dtype=np.float32)
    mask[10:40, 10:40] = 0.25
    # Scene -> crop halves sizes after a shift: crop (u, v) sits on scene (2u + 40, 2v + 60).
    affine = np.array([[0.5, 0.0, -20.0], [0.0, 0.5, -30.0]])
    result = paste_back(scene, crop, mask, affine)
    assert (result[90:130, 70:110] == 125).all()  # 100 + 0.25 * (200 - 100), well inside the scaled mask
    changed = _changed(scene, result)
    ys, xs = np.nonzero(changed)
    assert xs.min() >= 58 and xs.max() <= 121 and ys.min() >= 78 and ys.max() <= 141


def test_paste_back_of_a_crop_outside_the_scene_or_with_an_empty_mask_changes_nothing() -> None:
    scene = np.full((60, 60, 3), 77, dtype=np.uint8)
    crop = np.full((20, 20, 3), 255, dtype=np.uint8)
    full = np.ones((20, 20), dtype=np.float32)
    far_away = np.array([[1.0, 0.0, 500.0], [0.0, 1.0, 500.0]])
    np.testing.assert_array_equal(paste_back(scene, crop, full, far_away), scene)
    inside = np.array([[1.0, 0.0, -10.0], [0.0, 1.0, -10.0]])
    np.testing.assert_array_equal(paste_back(scene, crop, np.zeros_like(full), inside), scene)
    with pytest.raises(ValueError, match="differ in size"):
        paste_back(scene, crop, np.ones((10, 10), dtype=np.float32), inside)


def test_masks_are_soft_bounded_and_zero_on_the_border() -> None:
    ellipse = ellipse_mask(100, (50.0, 50.0), (30.0, 20.0), feather=8)
    box = box_mask(100, margin=10)
    for mask in (ellipse, box):
        assert mask.dtype == np.float32 and mask.min() == 0.0 and mask[50, 50] == pytest.approx(1.0)
        assert not mask[0].any() and not mask[-1].any() and not mask[:, 0].any() and not mask[:, -1].any()
        assert 0.0 < mask[50, 11] < 1.0 or 0.0 < mask[50, 20] < 1.0  # a gradient, not a step
    assert not box[:, :1].any() and (np.diff(box[50, :50]) >= 0).all()  # rises monotonically to the middle
    with pytest.raises(ValueError, match="feather"):
        ellipse_mask(100, (50.0, 50.0), (30.0, 20.0), feather=0)
    with pytest.raises(ValueError, match="margin"):
        box_mask(100, margin=40)


# --- GFPGAN ----------------------------------------------------------------------------------------------


def test_network_normalisation_round_trips_exactly() -> None:
    rng = np.random.default_rng(5)
    crop = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    blob = to_network(crop)
    assert blob.shape == (1, 3, 512, 512) and blob.dtype == np.float32
    assert blob.min() >= -1.0 and blob.max() <= 1.0
    np.testing.assert_allclose(blob[0, 0], crop[:, :, 2] / 127.5 - 1.0, atol=1e-6)  # channel 0 is red
    np.testing.assert_array_equal(from_network(blob), crop)
    out_of_range = np.full((1, 3, 4, 4), 3.0, dtype=np.float32)
    out_of_range[0, 1] = -7.0
    assert (from_network(out_of_range)[:, :, 2] == 255).all() and (
        from_network(out_of_range)[:, :, 1] == 0
    ).all()


def test_alignment_puts_the_key_points_on_the_ffhq_template() -> None:
    angle, scale, shift = np.deg2rad(12.0), 0.3, np.array([140.0, 75.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    kps = FFHQ_512_TEMPLATE @ rotation.T + shift  # a face somewhere in a photo, tilted by 12 degrees
    affine = alignment_matrix(kps.astype(np.float32))
    mapped = kps @ affine[:, :2].T + affine[:, 2]
    np.testing.assert_allclose(mapped, FFHQ_512_TEMPLATE, atol=1e-3)
    with pytest.raises(EngineError, match="degenerate"):
        alignment_matrix(np.zeros((5, 2), dtype=np.float32))


def test_identity_restorer_gives_the_face_back_nearly_unchanged(
    graphs: dict[str, object], scene: np.ndarray, faces: list[Face]
) -> None:
    restorer = GfpganRestorer(Path(str(graphs["gfpgan_identity"])), CPU, strength=1.0)
    target = faces[1]
    result = restorer.restore(scene, target)
    x1, y1, x2, y2 = _grown_box(target, 0.0, scene.shape)
    error = result[y1:y2, x1:x2].astype(np.float64) - scene[y1:y2, x1:x2]
    psnr = 10 * np.log10(255.0**2 / max(float((error**2).mean()), 1e-9))
    assert psnr > 30.0, f"an identity restorer moved the face (PSNR {psnr:.1f} dB)"
    others = [face for face in faces if face is not target]
    changed = _changed(scene, result)
    for face in others:
        fx1, fy1, fx2, fy2 = _grown_box(face, 0.0, scene.shape)
        assert not changed[fy1:fy2, fx1:fx2].any()


def test_restorer_feeds_rgb_and_denormalises_its_output(
    graphs: dict[str, object], scene: np.ndarray, faces: list[Face]
) -> None:
    red_path = Path(str(graphs["gfpgan_red"]))
    target = faces[1]
    nose = target.kps[2]
    before = _patch_mean(scene, nose)
    full = _patch_mean(GfpganRestorer(red_path, CPU, strength=1.0).restore(scene, target), nose)
    np.testing.assert_allclose(full, [0.0, 0.0, before[2]], atol=3.0)  # BGR: only red survives
    half_result = GfpganRestorer(red_path, CPU, strength=0.5).restore(scene, target)
    np.testing.assert_allclose(
        _patch_mean(half_result, nose), [before[0] / 2, before[1] / 2, before[2]], atol=3.0
    )
    # The box mask reaches past the face (GFPGAN restores the whole aligned crop) but no further than
    # the FFHQ crop, which is about twice the face box.
    changed = _changed(scene, half_result)
    assert not changed[_outside(_grown_box(target, 0.75, scene.shape), scene.shape)].any()
    x1, y1, x2, y2 = _grown_box(target, 0.0, scene.shape)
    assert changed[y1:y2, x1:x2].mean() > 0.95  # this face is turned: its far ear leaves the FFHQ crop


# --- the production parts inside the engine ---------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def production_engine(model_dir: Path, swapper: InswapperSwapper, graphs: dict[str, object]) -> Engine:
    # Engine.load would (rightly) refuse the stand-in graphs: their sizes and hashes are not the
    # manifest's. The engine is assembled from the same parts Engine.load builds for the production tier.
    restorer = GfpganRestorer(Path(str(graphs["gfpgan_identity"])), CPU, strength=1.0)
    return Engine(Tier.PRODUCTION, ScrfdDetector(manifest.SCRFD.path(model_dir), CPU), swapper, restorer)


def test_engine_basicswap_on_the_production_parts(
    production_engine: Engine, swapper: InswapperSwapper, graphs: dict[str, object]
) -> None:
    inswapper = graphs["inswapper"]
    assert isinstance(inswapper, InswapperGraph)
    with Image.open(T1) as photo:
        target_png = _png(photo.convert("RGB").crop((690, 300, 900, 560)))  # one face: t1's fourth
    source_png = _png(Image.open(T1).convert("RGB").crop((0, 220, 230, 440)))  # one face: t1's first
    result = production_engine.run(
        Operation.BASICSWAP, {"srcimage": source_png, "targetimage": target_png}, None, True
    )
    assert result.engine == {
        "tier": "production",
        "detector": "scrfd:scrfd",
        "swapper": "inswapper_128",
        "restorer": "gfpgan-1.4",
    }
    assert result.format == "PNG"
    scene = decode_image(target_png, "targetimage").pixels
    source = decode_image(source_png, "srcimage").pixels
    swapped = decode_image(result.image, "result").pixels
    target_face = production_engine.detect("targetimage", decode_image(target_png, "targetimage"))[0]
    source_face = production_engine.detect("srcimage", decode_image(source_png, "srcimage"))[0]
    latent = swapper.source_identity(source, source_face).normed_embedding.astype(np.float64) @ inswapper.emap
    colour_bgr = inswapper.colour_rgb(latent / np.linalg.norm(latent))[::-1] * 255.0
    expected = (1 - inswapper.mix) * _patch_mean(scene, target_face.kps[2]) + inswapper.mix * colour_bgr
    np.testing.assert_allclose(_patch_mean(swapped, target_face.kps[2]), expected, atol=4.0)
    changed = _changed(scene, swapped)
    assert not changed[_outside(_grown_box(target_face, 0.75, scene.shape), scene.shape)].any()
    # The quality report needs no offline part: the production tier carries it too.
    assert result.quality is not None
    (measured,) = result.quality["faces"]
    assert measured["source"]["detection_score"] == pytest.approx(source_face.score, abs=1e-3)
    assert measured["target"]["detection_score"] == pytest.approx(target_face.score, abs=1e-3)


def test_engine_same_image_swap_reads_both_identities_first(
    production_engine: Engine, swapper: InswapperSwapper, graphs: dict[str, object]
) -> None:
    inswapper = graphs["inswapper"]
    assert isinstance(inswapper, InswapperGraph)
    with Image.open(T1) as photo:
        pair_png = _png(photo.convert("RGB").crop((440, 250, 870, 500)))  # t1's third and fourth faces
    result = production_engine.run(Operation.SWAPFACESAMEIMAGE, {"srcimage": pair_png}, None, False)
    assert result.engine["restorer"] == "none"
    scene = decode_image(pair_png, "srcimage").pixels
    swapped = decode_image(result.image, "result").pixels
    left, right = production_engine.detect("srcimage", decode_image(pair_png, "srcimage"))
    for face, donor in ((left, right), (right, left)):
        latent = swapper.source_identity(scene, donor).normed_embedding.astype(np.float64) @ inswapper.emap
        colour_bgr = inswapper.colour_rgb(latent / np.linalg.norm(latent))[::-1] * 255.0
        expected = (1 - inswapper.mix) * _patch_mean(scene, face.kps[2]) + inswapper.mix * colour_bgr
        np.testing.assert_allclose(_patch_mean(swapped, face.kps[2]), expected, atol=4.0)
