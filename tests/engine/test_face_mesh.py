"""MediaPipe's face mesh as the offline tier's landmarker: the real model (taken from the mediapipe wheel by
install-offline) on the faces of insightface's t1.jpg, against dlib's 68 points, under roll, and in the
engine; the landmarker choice; and what the manifest says about licences."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine_layer import manifest
from engine_layer.datatypes import DecodedImage, Face
from engine_layer.detection.scrfd_insightface import ScrfdDetector
from engine_layer.engine import Engine
from engine_layer.errors import ModelsMissing
from engine_layer.face_mesh import MESH_POINTS, MESH_TO_DLIB68, MeshLandmarker, crop_matrix
from engine_layer.landmarks import DEFAULT_LANDMARKER, DlibLandmarker, load_landmarker
from engine_layer.manifest import Tier

CPU = ["CPUExecutionProvider"]
GROUPS = {
    "jaw": slice(0, 17),
    "brows": slice(17, 27),
    "nose": slice(27, 36),
    "eyes": slice(36, 48),
    "lips": slice(48, 68),
}


@pytest.fixture(scope="module")
def mesh(model_dir: Path) -> MeshLandmarker:
    return MeshLandmarker(manifest.FACE_MESH.path(model_dir))


@pytest.fixture(scope="module")
def dlib_landmarker(model_dir: Path) -> DlibLandmarker:
    return DlibLandmarker(manifest.DLIB_68.path(model_dir))


@pytest.fixture(scope="module")
def detector(model_dir: Path) -> ScrfdDetector:
    return ScrfdDetector(manifest.SCRFD.path(model_dir), CPU)


@pytest.fixture(scope="module")
def t1_faces(detector: ScrfdDetector, t1_image: DecodedImage) -> list[Face]:
    faces = detector.detect(t1_image.pixels)
    assert len(faces) == 6
    return faces


def inter_ocular(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[36:42].mean(0) - points[42:48].mean(0)))


def test_mapping_names_68_distinct_mesh_points() -> None:
    assert len(MESH_TO_DLIB68) == 68 and len(set(MESH_TO_DLIB68)) == 68
    assert all(0 <= i < MESH_POINTS for i in MESH_TO_DLIB68)


def test_crop_matrix_levels_the_eye_line_and_centres_the_face() -> None:
    angle = np.deg2rad(25.0)
    centre = np.array([300.0, 200.0])
    matrix = crop_matrix(centre, 120.0, angle)
    along_eyes = centre + 50.0 * np.array([np.cos(angle), np.sin(angle)])
    mapped = np.array([centre, along_eyes]) @ matrix[:, :2].T + matrix[:, 2]
    np.testing.assert_allclose(mapped[0], [96.0, 96.0], atol=1e-9)  # the middle of the 192 px crop
    np.testing.assert_allclose(mapped[1], [96.0 + 50.0 * 192 / 120, 96.0], atol=1e-9)  # level, scaled


def test_mesh_lies_on_every_t1_face_and_agrees_with_dlib(
    mesh: MeshLandmarker, dlib_landmarker: DlibLandmarker, t1_image: DecodedImage, t1_faces: list[Face]
) -> None:
    overall = []
    for face in t1_faces:
        dense, presence = mesh.mesh(t1_image.pixels, face)
        assert dense.shape == (MESH_POINTS, 3) and dense.dtype == np.float32
        assert presence > 0.9
        points = mesh.landmarks(t1_image.pixels, face)
        np.testing.assert_array_equal(points, dense[list(MESH_TO_DLIB68), :2])
        reference = dlib_landmarker.landmarks(t1_image.pixels, face)
        iod = inter_ocular(reference)
        for group, indices in GROUPS.items():
            gap = float(np.linalg.norm(points[indices] - reference[indices], axis=1).mean()) / iod
            # Inner features are the same anatomical points; the jaw is the nearest silhouette point.
            # (t1's faces are small, 31-49 px between the eyes: a pixel is 0.02-0.03 IOD.)
            assert gap < (0.3 if group == "jaw" else 0.2), f"{group}: {gap:.3f} IOD from dlib"
        overall.append(float(np.linalg.norm(points - reference, axis=1).mean()) / iod)
        # SCRFD's own five points: eye centres and mouth corners sit where the mesh puts them.
        eyes = np.array([points[36:42].mean(0), points[42:48].mean(0)])
        assert np.linalg.norm(eyes - face.kps[:2], axis=1).max() < 0.25 * iod
    assert float(np.mean(overall)) < 0.1  # 0.08 measured


def test_mesh_follows_a_rolled_face(
    mesh: MeshLandmarker, detector: ScrfdDetector, t1_image: DecodedImage, t1_faces: list[Face]
) -> None:
    face = t1_faces[2]
    upright = mesh.landmarks(t1_image.pixels, face).astype(np.float64)
    iod = inter_ocular(upright)
    for degrees in (-30.0, 30.0):
        turn = cv2.getRotationMatrix2D(face.centre, degrees, 1.0)
        image = cv2.warpAffine(
            t1_image.pixels, turn, t1_image.pixels.shape[1::-1], borderMode=cv2.BORDER_REFLECT
        )
        found = min(detector.detect(image), key=lambda f: np.hypot(*np.subtract(f.centre, face.centre)))
        back = cv2.invertAffineTransform(turn)
        points = mesh.landmarks(image, found).astype(np.float64) @ back[:, :2].T + back[:, 2]
        error = float(np.linalg.norm(points - upright, axis=1).mean()) / iod
        assert error < 0.06, f"rolled {degrees:+.0f} deg: points move {error:.3f} IOD"


def test_a_box_without_a_face_gives_a_low_presence(mesh: MeshLandmarker) -> None:
    grey = np.full((300, 300, 3), 128, dtype=np.uint8)
    nothing = Face(
        bbox=np.array([100, 100, 200, 200], np.float32),
        score=0.9,
        kps=np.array([[130, 140], [170, 140], [150, 160], [135, 180], [165, 180]], np.float32),
    )
    assert mesh.mesh(grey, nothing)[1] < 0.5


def test_landmarker_choice_and_refusals(model_dir: Path, tmp_path: Path) -> None:
    assert DEFAULT_LANDMARKER == "mediapipe-face-mesh"
    assert load_landmarker(model_dir).name == "mediapipe-face-mesh"
    assert load_landmarker(model_dir, "dlib-68").name == "dlib-68"
    with pytest.raises(ValueError, match="landmarker must be one of"):
        load_landmarker(model_dir, "nonsense")
    with pytest.raises(ModelsMissing, match="missing"):
        load_landmarker(tmp_path)
    manifest.FACE_MESH.path(tmp_path).write_bytes(b"not a flatbuffer" * 64)
    with pytest.raises(ModelsMissing, match="cannot be loaded"):
        load_landmarker(tmp_path)
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    os.symlink(manifest.SCRFD.path(model_dir).resolve(), manifest.FACE_MESH.path(wrong))
    with pytest.raises(ModelsMissing):
        load_landmarker(wrong)


def test_offline_engine_runs_without_dlibs_landmark_model(
    model_dir: Path, tmp_path: Path, t1_image: DecodedImage, t1_faces: list[Face]
) -> None:
    for entry in manifest.offline_files():
        if entry.file != manifest.DLIB_68.file:
            os.symlink(entry.path(model_dir).resolve(), entry.path(tmp_path))
    manifest.write_record(tmp_path, manifest.read_record(model_dir))
    engine = Engine.load(tmp_path, tier="offline", providers=CPU)
    target, source = t1_faces[1], t1_faces[3]
    result = engine.swapper.swap(
        t1_image.pixels, target, engine.swapper.source_identity(t1_image.pixels, source)
    )
    x1, y1, x2, y2 = (int(v) for v in target.bbox)
    assert np.abs(result[y1:y2, x1:x2].astype(int) - t1_image.pixels[y1:y2, x1:x2]).mean() > 5.0


def test_manifest_says_which_files_and_tiers_allow_commercial_use() -> None:
    assert manifest.FACE_MESH.commercial_use
    assert manifest.FACE_MESH.tier is Tier.OFFLINE
    dlib_68 = manifest.DLIB_68
    assert not dlib_68.commercial_use and not dlib_68.required
    # What still keeps the offline tier from being sold: the SCRFD weights, and nothing else.
    blocking = {m.file for m in manifest.offline_files() if m.required and not m.commercial_use}
    assert blocking == {manifest.SCRFD.file}
    assert not manifest.commercially_clean(Tier.OFFLINE)
    assert not manifest.commercially_clean(Tier.PRODUCTION)
