"""Parsing of the non-image parameters: `enhance` and `swap_index`."""

from __future__ import annotations

from core.models.errors import ApiError, ErrorCode, invalid_parameter

# a,b  (a,b)  [a,b] — brackets must match.
_BRACKETS = {"(": ")", "[": "]"}
# More digits than any face index needs; longer numbers are refused before int() sees them (which would
# otherwise spend quadratic time, or raise past Python's 4,300-digit limit).
_MAX_INDEX_DIGITS = 6
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
    elif isinstance(value, str) and (parsed := _pair_of(value)) is not None:
        pair = parsed
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


def _pair_of(text: str) -> tuple[int, int] | None:
    """`a,b`, `(a,b)` or `[a,b]` with optional whitespace around each part; None when it is not that.

    One pass of strip/split over the text (no regex, so no backtracking): linear in the length."""
    text = text.strip()
    if text[:1] in _BRACKETS:
        if text[-1:] != _BRACKETS[text[0]]:
            return None
        text = text[1:-1]
    parts = text.split(",")
    if len(parts) != 2:
        return None
    numbers = [_index_of(part) for part in parts]
    if numbers[0] is None or numbers[1] is None:
        return None
    return numbers[0], numbers[1]


def _index_of(text: str) -> int | None:
    text = text.strip()
    digits = text.removeprefix("-")
    # ASCII digits only: int() would also take "١" or "1_0".
    if not digits or len(digits) > _MAX_INDEX_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
