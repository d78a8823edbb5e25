"""The contract's face order and background rule (engine_layer.detection.ordering)."""

from __future__ import annotations

import numpy as np
import pytest

from engine_layer.datatypes import Face
from engine_layer.detection.ordering import order_faces, require_count
from engine_layer.errors import FaceCountMismatch, NoFaceDetected


def face(x1: float, y1: float, x2: float, y2: float) -> Face:
    return Face(bbox=np.array([x1, y1, x2, y2], np.float32), score=0.9, kps=np.zeros((5, 2), np.float32))


def boxes(faces: list[Face]) -> list[tuple[float, ...]]:
    return [tuple(float(v) for v in f.bbox) for f in faces]


def test_left_to_right_by_box_centre() -> None:
    wide_left = face(0, 0, 300, 100)  # centre x 150
    narrow = face(100, 0, 180, 80)  # centre x 140: further left although its box starts later
    right = face(400, 0, 500, 100)
    assert boxes(order_faces([right, wide_left, narrow])) == boxes([narrow, wide_left, right])


def test_ties_go_top_to_bottom() -> None:
    lower = face(100, 300, 200, 400)
    upper = face(100, 0, 200, 100)
    assert boxes(order_faces([lower, upper])) == boxes([upper, lower])


def test_background_faces_are_dropped_at_one_sixteenth_of_the_largest() -> None:
    largest = face(0, 0, 160, 160)  # area 25600
    exactly_a_sixteenth = face(500, 0, 540, 40)  # 1600 = 25600 / 16: kept
    just_under = face(300, 0, 339, 40)  # 1560: background
    ordered = order_faces([exactly_a_sixteenth, just_under, largest])
    assert boxes(ordered) == boxes([largest, exactly_a_sixteenth])


def test_background_rule_is_relative_to_the_image_not_absolute() -> None:
    small_but_alone = face(10, 10, 20, 20)
    assert len(order_faces([small_but_alone])) == 1
    assert order_faces([]) == []


def test_require_count_answers_with_the_contract_codes() -> None:
    two = [face(0, 0, 100, 100), face(200, 0, 300, 100)]
    assert require_count("srcimage", two, 2) == two
    with pytest.raises(NoFaceDetected) as none:
        require_count("targetimage1", [], 1)
    assert none.value.details == {"image": "targetimage1"}
    with pytest.raises(FaceCountMismatch) as wrong:
        require_count("srcimage", two, 1)
    assert wrong.value.details == {"image": "srcimage", "expected": 1, "found": 2}
