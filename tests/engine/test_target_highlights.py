"""A target's highlights are skin, not occluders (`occlusion.not_face(..., highlights_are_skin=True)`).

On insightface's t1.jpg the lit cheeks and nose bridges of faces 0 and 2 are paler than their skin
(the reflected light is white) and were taken for grey occluders: they stayed "in front" of the
swapped face, 2-3% of the inner face, and showed as pale patches. Nothing is in front of these two
faces, so the whole inner face must be swapped.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import hard_edits as edits
from engine_layer.engine import Engine
from tests.engine.classic_faces import insightface_image


@pytest.mark.parametrize(("source_index", "target_index"), [(1, 0), (3, 0), (5, 2)])
def test_a_targets_highlights_are_swapped_with_the_rest_of_its_face(
    engine: Engine, source_index: int, target_index: int
) -> None:
    scene = insightface_image("t1.jpg")
    faces = sorted(engine.detector.detect(scene), key=lambda face: float(face.bbox[0]))
    swapper = engine.swapper
    result = swapper.swap(scene, faces[target_index], swapper.source_identity(scene, faces[source_index]))
    inner = edits.inner_face(scene.shape, swapper.landmarks(scene, faces[target_index])) > 0
    kept = float(np.all(result == scene, axis=2)[inner].mean())
    assert kept <= 0.005, kept  # before: 0.024, 0.024, 0.033
