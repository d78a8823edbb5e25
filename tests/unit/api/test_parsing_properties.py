"""Parsing is total: whatever a client sends, the answer is the contract's ApiError (a 4xx) or a value,
never another exception (which would be a 500 and page the on-call). Property-based, with hypothesis."""

from __future__ import annotations

import base64
import json
import time
from http import HTTPStatus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.adapters.url_fetch import UrlFetcher
from core.models.errors import ApiError
from functions.api.images import check_format, resolve
from functions.api.params import parse_enhance, parse_swap_index
from functions.api.request_body import event_body_bytes, parse_inputs
from tests import face_photos
from tests.unit.api.bad_images import png_claiming

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ONE = face_photos.one_face(1)


def client_error(error: ApiError) -> bool:
    return 400 <= error.status < 500


def total(call: object, *args: object) -> object:
    """Run the parser: a value, or an ApiError that is a 4xx; anything else fails the test."""
    try:
        return call(*args)  # type: ignore[operator]
    except ApiError as error:
        assert client_error(error), error.body
        return error


# --- swap_index and enhance -----------------------------------------------------------------------------

index_texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=" \t\n,()[]-0123456789١x", max_size=40),
    st.builds(
        lambda n, pad: f"{pad}{n}{pad},{pad}1{pad}", st.integers(), st.text(alphabet=" \t", max_size=4)
    ),
)


@FAST
@given(index_texts)
def test_swap_index_text_is_a_pair_or_a_4xx(value: str) -> None:
    parsed = total(parse_swap_index, value)
    if not isinstance(parsed, ApiError) and parsed is not None:
        assert sorted(parsed) == [0, 1]


@FAST
@given(st.lists(st.one_of(st.integers(), st.booleans(), st.text(max_size=3), st.none()), max_size=3))
def test_swap_index_lists_and_enhance_are_values_or_4xx(value: list) -> None:
    total(parse_swap_index, value)
    total(parse_enhance, value)


def test_swap_index_with_thousands_of_digits_is_400_not_the_int_limit() -> None:
    with pytest.raises(ApiError) as raised:
        parse_swap_index("1" * 5000 + ",0")
    assert raised.value.status == HTTPStatus.BAD_REQUEST


def _time_spaces(size: int) -> float:
    value = " " * size + "x"
    started = time.perf_counter()
    with pytest.raises(ApiError) as raised:
        parse_swap_index(value)
    assert raised.value.status == HTTPStatus.BAD_REQUEST
    return time.perf_counter() - started


def test_swap_index_parsing_is_linear_in_its_length() -> None:
    # The old regex took 1.1 s for 8,000 spaces and grew with the square of the length.
    small = min(_time_spaces(1_000_000) for _ in range(3))
    large = min(_time_spaces(6 * 1024 * 1024) for _ in range(3))
    assert large < 0.1, f"6 MB of spaces took {large * 1000:.0f} ms"
    assert large < 6.3 * 8 * max(small, 1e-4), (small, large)  # ~6x the 1 MB time, with generous slack


# --- bodies: JSON, multipart, anything ---------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
contract_names = st.sampled_from(
    ["source_image", "target_image", "target_image1", "target_image2", "enhance", "swap_index", "other"]
)


@FAST
@given(st.dictionaries(contract_names, json_values, max_size=6))
def test_any_json_object_is_inputs_or_a_4xx(document: dict) -> None:
    total(parse_inputs, "application/json", json.dumps(document).encode())


@FAST
@given(
    st.binary(max_size=300), st.sampled_from(["application/json", None, "text/plain", "multipart/form-data"])
)
def test_any_bytes_are_inputs_or_a_4xx(body: bytes, content_type: str | None) -> None:
    total(parse_inputs, content_type, body)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_json_nested_thousands_deep_is_400(depth: int) -> None:
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        with pytest.raises(ApiError) as raised:
            parse_inputs("application/json", body.encode())
        assert raised.value.status == HTTPStatus.BAD_REQUEST


def test_json_numbers_past_the_digit_limit_are_400() -> None:
    with pytest.raises(ApiError) as raised:
        parse_inputs("application/json", b'{"swap_index": [' + b"1" * 5000 + b", 0]}")
    assert raised.value.status == HTTPStatus.BAD_REQUEST


boundaries = st.text(alphabet="abcXYZ019-_'()+,./:=? ", min_size=1, max_size=20)
part_names = st.sampled_from(["srcimage", "targetimage", "enhance", "swap_index", "", "x"])


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    boundary = draw(boundaries)
    chunks = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(part_names)
        disposition = draw(
            st.sampled_from([f'form-data; name="{name}"', f"form-data; name={name}", "form-data", "", "x;;="])
        )
        head = draw(st.sampled_from(["Content-Disposition", "content-disposition", "X"]))
        extra = draw(st.sampled_from(["", "Content-Transfer-Encoding: base64\r\n", "Content-Type: a/b\r\n"]))
        chunks.append(
            f"--{boundary}\r\n{head}: {disposition}\r\n{extra}\r\n".encode() + draw(st.binary(max_size=40))
        )
    tail = draw(st.sampled_from([f"\r\n--{boundary}--\r\n", "", "\r\n--", f"--{boundary}"]))
    params = draw(st.sampled_from([f'; boundary="{boundary}"', f"; boundary={boundary}", "", "; boundary="]))
    return f"multipart/form-data{params}", b"\r\n".join(chunks) + tail.encode()


@FAST
@given(multipart_bodies())
def test_any_multipart_body_is_inputs_or_a_4xx(sent: tuple[str, bytes]) -> None:
    content_type, body = sent
    total(parse_inputs, content_type, body)
    total(lambda: parse_inputs(content_type, event_body_bytes(base64.b64encode(body).decode(), True)))


@FAST
@given(st.text(max_size=200), st.booleans())
def test_any_event_body_string_is_bytes_or_a_4xx(body: str, is_base64: bool) -> None:
    total(event_body_bytes, body, is_base64)


def test_a_lone_surrogate_in_a_text_body_is_400() -> None:
    with pytest.raises(ApiError) as raised:
        event_body_bytes('{"source_image": "\ud800"}', False)
    assert raised.value.status == HTTPStatus.BAD_REQUEST


# --- image references: URLs and data: URIs -------------------------------------------------------------


def _no_dns(host: str, port: int) -> list[str]:
    raise OSError("no DNS in unit tests")


url_texts = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, rest: f"{scheme}{host}{rest}",
        st.sampled_from(["https://", "http://", "HTTPS://", "https:", "data:", "data:image/png;base64,"]),
        st.text(max_size=25),
        st.text(max_size=25),
    ),
)


@FAST
@given(url_texts)
def test_any_image_reference_is_bytes_or_a_4xx(value: str) -> None:
    fetcher = UrlFetcher(resolver=_no_dns)
    total(resolve, value, "source_image", fetcher)
    total(UrlFetcher(resolver=_no_dns, allow_http=True).fetch, value, "source_image")


# --- image headers -------------------------------------------------------------------------------------

headers = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda cut, junk: ONE[:cut] + junk, st.integers(0, 2000), st.binary(max_size=50)),
    st.builds(
        lambda w, h, flip: bytearray(png_claiming(w, h)) if not flip else png_claiming(w, h)[: 8 + flip],
        st.integers(0, 2**32 - 1),
        st.integers(0, 2**32 - 1),
        st.integers(0, 30),
    ),
)


@FAST
@given(headers)
def test_any_image_header_is_an_image_or_a_4xx(data: bytes) -> None:
    total(check_format, bytes(data), "srcimage", "source_image")
