"""A spoiled source gives the same swap as its clean photo (issue 8, items 1 and 2), measured the way
`make eval` measures it: mean Lab distance to the clean swap inside the target's inner face.

Unlike test_swap_light_occlusion.py, the landmarks are fitted afresh on every photo by the engine's own
landmarker (MediaPipe's face mesh): a disc on the chin or a shadow moves a landmark fit, and the warp
with it, so the swapper must fit in a way that such spoils barely move.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine_layer.datatypes import Face
from engine_layer.engine import Engine
from engine_layer.offline import ClassicSwapper
from engine_layer.offline.geometry import face_size
from tests.engine.classic_faces import insightface_image, landmarker, t1_with_landmarks
from tests.engine.test_swap_light_occlusion import grey_disc, inner_face, lab_distance

# (source, target) faces of t1.jpg, left to right: frontal, turned and strongly turned sources.
PAIRS = [(0, 2), (0, 3), (1, 2), (1, 3), (4, 2), (4, 3)]


@pytest.fixture(scope="module")
def scene_faces(engine: Engine) -> tuple[np.ndarray, list[Face]]:
    scene = insightface_image("t1.jpg")
    return scene, sorted(engine.detector.detect(scene), key=lambda face: float(face.bbox[0]))


def fresh(face: Face) -> Face:
    """The detector's face without landmarks: the swapper fits them itself."""
    return Face(bbox=face.bbox, score=face.score, kps=face.kps)


def past_nose_line(shape: tuple[int, ...], landmarks: np.ndarray, edge: float) -> np.ndarray:
    """0 before the nose line (27 -> 33), 1 past it, ramped over `edge` face sizes."""
    top, bottom = landmarks[27], landmarks[33]
    normal = np.array([bottom[1] - top[1], top[0] - bottom[0]], dtype=np.float64)
    normal /= np.linalg.norm(normal)
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    signed = (xs - top[0]) * normal[0] + (ys - top[1]) * normal[1]
    return np.clip(signed / (edge * face_size(landmarks)) + 0.5, 0.0, 1.0)


def soft_shadow(image: np.ndarray, landmarks: np.ndarray, edge: float, factor: float = 0.45) -> np.ndarray:
    """`image` at x`factor` past the nose line, the step ramped over `edge` face sizes."""
    past = past_nose_line(image.shape, landmarks, edge)
    return np.clip(image * (1.0 - (1.0 - factor) * past)[..., None], 0, 255).astype(np.uint8)


def test_a_disc_on_the_source_chin_does_not_move_the_swap(engine: Engine, scene_faces) -> None:
    """Before the fit was averaged with the mirrored photo's and redone with the disc filled in, the
    disc moved these swaps by 1.9-6.3 (mean 4.2): the mesh's eyes and mouth followed it, and a frontal
    source's mirroring flipped with the fit's small change of head turn. Now 1.4-4.6, mean 2.65, the
    worst from the source turned 45 degrees (1 -> 2). Its landmarks still move under the disc, and
    since the eye sockets' darkness is kept as the source's detail (their base filled from the skin
    around them, which moves with the landmarks) that pair moves 0.3 more than it did (4.29)."""
    scene, faces = scene_faces
    swapper = engine.swapper
    assert isinstance(swapper, ClassicSwapper)
    distances = []
    for source_index, target_index in PAIRS:
        source, target = fresh(faces[source_index]), fresh(faces[target_index])
        points = swapper.landmarks(scene, source)
        size = face_size(points)
        spoiled, _ = grey_disc(scene, points[8] - [0.0, 0.08 * size], (0.2 * size, 0.1 * size))
        inside = inner_face(scene.shape, swapper.landmarks(scene, target))
        clean = swapper.swap(scene, target, swapper.source_identity(scene, source))
        result = swapper.swap(scene, target, swapper.source_identity(spoiled, source))
        distances.append(lab_distance(result, clean, inside))
    assert max(distances) <= 4.75, distances
    assert float(np.mean(distances)) <= 3.0, distances


@pytest.mark.parametrize("target_index", [2, 3])
def test_a_soft_edged_shadow_leaves_no_band_along_the_nose(target_index: int) -> None:
    """A shadow ramped over 8% of the face (make eval's): the guided filter alone left a fifth of the
    step in the detail, a light and a dark band either side of the nose line (2.5 and 3.2 here; 1.2
    and 1.5 with the light's profile across the nose line taken out first)."""
    scene, faces = t1_with_landmarks()
    swapper = ClassicSwapper(landmarker())
    source, target = faces[0], faces[target_index]
    shadowed = soft_shadow(scene, source.landmarks68, edge=0.08)
    inside = inner_face(scene.shape, target.landmarks68)
    clean = swapper.swap(scene, target, swapper.source_identity(scene, source))
    result = swapper.swap(scene, target, swapper.source_identity(shadowed, source))
    assert lab_distance(result, clean, inside) <= 2.0


def half_cast(image: np.ndarray, landmarks: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    """`image` under a coloured light (B, G, R `gains`) past the nose line, the step ramped over 8%."""
    past = past_nose_line(image.shape, landmarks, 0.08)
    gain = 1.0 + past[..., None] * (np.asarray(gains, np.float32) - 1.0)
    return np.clip(image * gain, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("target_index", [2, 3])
def test_a_coloured_light_from_one_side_leaves_no_tint_on_that_side(target_index: int) -> None:
    """Light from one side changes chroma as well as lightness (a warm lamp, a pale sunlit cheek):
    taken out of lightness only, the lit half kept its tint as detail (3.0 and 3.6 here; 2.1 and 2.6
    with chroma's profile taken out too)."""
    scene, faces = t1_with_landmarks()
    swapper = ClassicSwapper(landmarker())
    source, target = faces[0], faces[target_index]
    tinted = half_cast(scene, source.landmarks68, (0.8, 1.0, 1.2))
    inside = inner_face(scene.shape, target.landmarks68)
    clean = swapper.swap(scene, target, swapper.source_identity(scene, source))
    result = swapper.swap(scene, target, swapper.source_identity(tinted, source))
    assert lab_distance(result, clean, inside) <= 2.75
