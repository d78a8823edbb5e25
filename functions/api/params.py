"""Parsing of the non-image parameters: `enhance` and `swap_index`."""

from __future__ import annotations

import re

from functions.core.errors import ApiError, ErrorCode, invalid_parameter

_PAIR = r"\s*(-?\d+)\s*,\s*(-?\d+)\s*"
# a,b  (a,b)  [a,b] — brackets must match.
_SWAP_INDEX = re.compile(rf"^\s*(?:{_PAIR}|\({_PAIR}\)|\[{_PAIR}\])\s*$")
# The highest 0-based face index a two-face operation has.
_TWO_FACES_MAX_INDEX = 1


def parse_enhance(value: object) -> bool:
    """`true`/`false` in any case (a JSON boolean too); absent means false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise invalid_parameter("enhance", "enhance must be 'true' or 'false'.")


def parse_swap_index(value: object) -> tuple[int, int] | None:
    """`a,b`, `(a,b)` or `[a,b]` (a JSON list too): a permutation of {0,1} (0-based) or {1,2} (1-based).

    Returns the 0-based mapping (entry i = the source face that lands on target face i), or None for
    the default (identity). Two distinct non-negative indexes outside both sets name a face that does
    not exist: face_index_out_of_range. Anything else is invalid_parameter."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, list | tuple) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    elif isinstance(value, str) and (match := _SWAP_INDEX.match(value)):
        numbers = [int(g) for g in match.groups() if g is not None]
        pair = (numbers[0], numbers[1])
    else:
        raise invalid_parameter("swap_index", "swap_index must be two indexes such as '0,1' or '2,1'.")
    if set(pair) == {0, 1}:
        return pair
    if set(pair) == {1, 2}:
        return (pair[0] - 1, pair[1] - 1)
    if pair[0] != pair[1] and min(pair) >= 0:
        raise ApiError(
            ErrorCode.FACE_INDEX_OUT_OF_RANGE,
            "swap_index names a face that does not exist: each image has two faces.",
            {"parameter": "swap_index", "max_index": _TWO_FACES_MAX_INDEX},
        )
    raise invalid_parameter("swap_index", "swap_index must be a permutation of 0,1 (or 1,2).")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
