"""enhance and swap_index, exactly as the contract reads them."""

from __future__ import annotations

import pytest

from core.models.errors import ApiError
from functions.api.params import parse_enhance, parse_swap_index


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("true", True),
        ("TRUE", True),
        (" False ", False),
        ("tRuE", True),
        (True, True),
        (False, False),
    ],
)
def test_enhance_accepts_true_false_in_any_case(value: object, expected: bool) -> None:
    assert parse_enhance(value) is expected


@pytest.mark.parametrize("value", ["yes", "1", "", "truee", 1, 0, ["true"]])
def test_enhance_refuses_anything_else(value: object) -> None:
    with pytest.raises(ApiError) as raised:
        parse_enhance(value)
    assert raised.value.body.code == "invalid_parameter"
    assert raised.value.body.details == {"parameter": "enhance"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0,1", (0, 1)),
        ("1,0", (1, 0)),
        ("2,1", (1, 0)),
        ("1,2", (0, 1)),
        ("(1, 0)", (1, 0)),
        ("[2,1]", (1, 0)),
        (" 0 , 1 ", (0, 1)),
        ([1, 0], (1, 0)),
        ([2, 1], (1, 0)),
    ],
)
def test_swap_index_forms(value: object, expected: tuple[int, int] | None) -> None:
    assert parse_swap_index(value) == expected


@pytest.mark.parametrize(
    "value", ["0", "0,0", "1,1", "a,b", "0;1", "0,1,2", "-1,0", [0], [True, False], "(0,1"]
)
def test_swap_index_malformed_is_invalid_parameter(value: object) -> None:
    with pytest.raises(ApiError) as raised:
        parse_swap_index(value)
    assert raised.value.body.code == "invalid_parameter"
    assert raised.value.body.details == {"parameter": "swap_index"}


@pytest.mark.parametrize("value", ["0,2", "2,3", "3,1", "[5,0]"])
def test_swap_index_past_the_faces_is_out_of_range(value: object) -> None:
    with pytest.raises(ApiError) as raised:
        parse_swap_index(value)
    assert raised.value.body.code == "face_index_out_of_range"
    assert raised.value.body.details == {"parameter": "swap_index", "max_index": 1}
    assert raised.value.status == 400
