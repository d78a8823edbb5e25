"""The production tier against its references, on the generated graphs (production_graphs.py) and the six
faces of insightface's t1.jpg.

- inswapper: our swap equals insightface's own pipeline (`ArcFaceONNX.get` on an insightface `Face`, then
  `INSwapper.get(..., paste_back=False)`) and the published steps written out here (ArcFace-template
  alignment, RGB in [0, 1], emap projection, output x255 truncated, back to BGR), within one grey level.
- ArcFace: our identity equals `ArcFaceONNX`'s and the published steps' (RGB, (x - 127.5) / 127.5) to 1e-5.
- GFPGAN: what our restorer feeds the network equals GFPGAN's published inference (facexlib's FFHQ-512
  five-point template, LMEDS similarity, grey border, BGR -> RGB, [-1, 1]), and its output handling equals
  basicsr's tensor2img (clamp to [-1, 1], RGB -> BGR, x255 rounded).

The reference steps are written here from the references' documented behaviour, independently of ours.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime
import pytest
from insightface.app.common import Face as InsightFace
from insightface.model_zoo import get_model
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.model_zoo.inswapper import INSwapper

from engine_layer import manifest
from engine_layer.datatypes import Face
from engine_layer.production import InswapperSwapper
from engine_layer.production.gfpgan import aligned_crop, from_network, to_network
from engine_layer.production.paste_back import paste_back
from tests.engine.production_graphs import (
    ArcfaceGraph,
    InswapperGraph,
    build_arcface,
    build_inswapper,
    scrfd_faces,
)
from tests.face_photos import insightface_photo_path

CPU = ["CPUExecutionProvider"]
T1 = insightface_photo_path("t1.jpg")
ONE_GREY_LEVEL = 1

# The five-point templates, as the references publish them (eye centres, nose tip, mouth corners).
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]
)
FFHQ_512 = np.array(
    [
        [192.98138, 239.94708],
        [318.90277, 240.1936],
        [256.63416, 314.01935],
        [201.26117, 371.41043],
        [313.08905, 371.15118],
    ]
)
FACEXLIB_BORDER_BGR = (135, 133, 132)


# --- the references' steps ---------------------------------------------------------------------------------


def least_squares_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 rotation + uniform scale + shift taking `src` nearest to `dst` (Umeyama's closed form)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    a, b = src - src_mean, dst - dst_mean
    u, s, vt = np.linalg.svd(b.T @ a / len(src))
    sign = np.diag([1.0, np.sign(np.linalg.det(u) * np.linalg.det(vt))])
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(s) @ sign)) / float((a**2).sum(1).mean())
    shift = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, shift[:, None]])


def arcface_template(size: int) -> np.ndarray:
    """insightface's template in a `size` crop: scaled for multiples of 112, scaled and moved right by 8/128
    of the side for multiples of 128 (inswapper's 128 crop)."""
    if size % 112 == 0:
        return ARCFACE_112 * (size / 112.0)
    return ARCFACE_112 * (size / 128.0) + np.array([8.0 * size / 128.0, 0.0])


def reference_embedding(graph: Path, image: np.ndarray, kps: np.ndarray) -> np.ndarray:
    matrix = least_squares_similarity(kps, arcface_template(112))
    aligned = cv2.warpAffine(image, matrix, (112, 112), borderValue=0.0)
    blob = ((aligned[:, :, ::-1].astype(np.float32) - 127.5) / 127.5).transpose(2, 0, 1)[None]
    session = onnxruntime.InferenceSession(str(graph), providers=CPU)
    embedding = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(blob)})[0].reshape(-1)
    return embedding / np.linalg.norm(embedding)


def reference_inswapper_crop(
    graph: InswapperGraph, image: np.ndarray, target_kps: np.ndarray, normed_embedding: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    matrix = least_squares_similarity(target_kps, arcface_template(128))
    aligned = cv2.warpAffine(image, matrix, (128, 128), borderValue=0.0)
    blob = (aligned[:, :, ::-1].astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
    latent = normed_embedding.reshape(1, -1) @ graph.emap
    latent /= np.linalg.norm(latent)
    session = onnxruntime.InferenceSession(str(graph.path), providers=CPU)
    feeds = {"target": np.ascontiguousarray(blob), "source": latent.astype(np.float32)}
    output = session.run(None, feeds)[0][0].transpose(1, 2, 0)
    return np.clip(255.0 * output, 0, 255).astype(np.uint8)[:, :, ::-1], matrix


def reference_gfpgan_input(image: np.ndarray, kps: np.ndarray) -> np.ndarray:
    matrix = cv2.estimateAffinePartial2D(np.asarray(kps, np.float64), FFHQ_512, method=cv2.LMEDS)[0]
    crop = cv2.warpAffine(
        image, matrix, (512, 512), borderMode=cv2.BORDER_CONSTANT, borderValue=FACEXLIB_BORDER_BGR
    )
    rgb = crop[:, :, ::-1].astype(np.float32) / 255.0
    return ((rgb - 0.5) / 0.5).transpose(2, 0, 1)[None]


def reference_gfpgan_output(output: np.ndarray) -> np.ndarray:
    rgb = (np.clip(output[0], -1.0, 1.0) + 1.0) / 2.0
    bgr = rgb.transpose(1, 2, 0)[:, :, ::-1]
    return np.round(bgr * 255.0).astype(np.uint8)


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> tuple[InswapperGraph, ArcfaceGraph]:
    root = tmp_path_factory.mktemp("reference_graphs")
    return build_inswapper(manifest.INSWAPPER.path(root)), build_arcface(manifest.ARCFACE.path(root))


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    image = cv2.imread(str(T1))
    assert image is not None, f"insightface's sample photo is missing: {T1}"
    return image


@pytest.fixture(scope="module")
def faces(model_dir: Path, scene: np.ndarray) -> list[Face]:
    found = scrfd_faces(manifest.SCRFD.path(model_dir), scene)
    assert len(found) == 6
    return found


def as_insightface(face: Face) -> InsightFace:
    return InsightFace(bbox=face.bbox.copy(), kps=face.kps.copy(), det_score=face.score)


def grey_levels(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


# --- ArcFace -------------------------------------------------------------------------------------------


def test_arcface_identity_equals_insightface_and_the_published_steps(
    graphs: tuple[InswapperGraph, ArcfaceGraph], scene: np.ndarray, faces: list[Face]
) -> None:
    inswapper, arcface = graphs
    ours = InswapperSwapper(inswapper.path, arcface.path, CPU)
    theirs = get_model(str(arcface.path), providers=CPU)
    assert isinstance(theirs, ArcFaceONNX)
    theirs.prepare(ctx_id=-1)
    for face in faces:
        identity = ours.source_identity(scene, face).normed_embedding
        reference = as_insightface(face)
        theirs.get(scene, reference)
        np.testing.assert_allclose(identity, reference.normed_embedding, atol=1e-5)
        np.testing.assert_allclose(identity, reference_embedding(arcface.path, scene, face.kps), atol=1e-5)


# --- inswapper -----------------------------------------------------------------------------------------


def test_inswapper_swap_equals_insightface_and_the_published_steps(
    graphs: tuple[InswapperGraph, ArcfaceGraph], scene: np.ndarray, faces: list[Face]
) -> None:
    inswapper, arcface = graphs
    ours = InswapperSwapper(inswapper.path, arcface.path, CPU)
    their_swapper = get_model(str(inswapper.path), providers=CPU)
    their_arcface = ArcFaceONNX(str(arcface.path))
    assert isinstance(their_swapper, INSwapper)
    for target, source in ((faces[1], faces[3]), (faces[4], faces[0]), (faces[5], faces[2])):
        result = ours.swap(scene, target, ours.source_identity(scene, source))

        # insightface's own pipeline on insightface's own Face objects.
        their_source = as_insightface(source)
        their_arcface.get(scene, their_source)
        their_crop, their_matrix = their_swapper.get(scene, as_insightface(target), their_source, False)
        assert their_crop.shape == (128, 128, 3)
        # Our paste-back is ours by design; the 128 px crop and its placement must be insightface's.
        expected = paste_back(scene, their_crop, ours.crop_mask, their_matrix)
        assert grey_levels(result, expected) <= ONE_GREY_LEVEL

        # The published steps, written out (and insightface's crop against them).
        embedding = reference_embedding(arcface.path, scene, source.kps)
        crop, matrix = reference_inswapper_crop(inswapper, scene, target.kps, embedding)
        np.testing.assert_allclose(their_matrix, matrix, atol=1e-3)  # crop pixels; kps are float32
        assert grey_levels(their_crop, crop) <= ONE_GREY_LEVEL
        assert grey_levels(result, paste_back(scene, crop, ours.crop_mask, matrix)) <= ONE_GREY_LEVEL
        # The swap changed the face (the comparison is not of two untouched scenes).
        assert grey_levels(result, scene) > 20


# --- GFPGAN --------------------------------------------------------------------------------------------


def test_gfpgan_input_is_the_published_ffhq_512_rgb_input(scene: np.ndarray, faces: list[Face]) -> None:
    # t1's last face is near the right edge: its FFHQ crop leaves the photo, so the border fill counts too.
    for face in faces:
        crop, matrix = aligned_crop(scene, face.kps)
        ours = to_network(crop)
        reference = reference_gfpgan_input(scene, face.kps)
        assert ours.shape == reference.shape == (1, 3, 512, 512) and ours.dtype == np.float32
        # One grey level in [-1, 1] units is 2/255; the two similarity fits agree to ~1e-4 px.
        assert float(np.abs(ours - reference).max()) <= 2.0 / 255.0 + 1e-6
        mapped = face.kps.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]
        # The eyes sit on the template's eyes (turned faces put the nose and mouth off their points).
        assert float(np.linalg.norm(mapped[:2].mean(0) - FFHQ_512[:2].mean(0))) < 10.0


def test_gfpgan_output_is_the_published_tensor2img() -> None:
    rng = np.random.default_rng(9)
    output = rng.uniform(-1.3, 1.3, (1, 3, 512, 512)).astype(np.float32)  # a network overshoots a little
    np.testing.assert_array_equal(from_network(output), reference_gfpgan_output(output))
