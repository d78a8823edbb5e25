"""client.verify() and `faceswap verify` against the scripted fake API (hermetic)."""

from __future__ import annotations

import asyncio
import functools
import io
import json
from pathlib import Path

import pytest
from faceswap_sdk import AsyncClient, Client, VerifyResult, cli
from faceswap_sdk.errors import InvalidImageFormatError
from sdk_fake_api import BASE, FakeApi, envelope

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
MARKED = {
    "success": True,
    "metadata": {
        "DigitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic",
        "operation": "basicswap",
    },
    "c2pa": {"present": True, "valid": True, "validation_state": "Valid", "actions": ["c2pa.edited"]},
    "watermark": {"found": True, "confidence": 0.999, "registered": True, "task_id": "t" * 32},
}
UNMARKED = {
    "success": True,
    "metadata": None,
    "c2pa": {"present": False, "valid": None},
    "watermark": {"found": False, "confidence": 0.12, "registered": False, "task_id": None},
}


def test_verify_sends_a_file_as_the_multipart_field_image_and_types_the_answer(api: FakeApi, tmp_path: Path):
    (tmp_path / "r.jpg").write_bytes(JPEG)
    api.answer("POST", "/api/verify", 200, MARKED)
    with Client("fsk_test", base_url=BASE, transport=api.transport) as client:
        result = client.verify(tmp_path / "r.jpg")
    (request,) = api.requests
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="image"; filename="r.jpg"' in request.content and JPEG in request.content
    assert isinstance(result, VerifyResult) and result.marked
    assert result.marks == ["xmp", "c2pa", "watermark"]
    assert result.c2pa.validation_state == "Valid" and result.c2pa.actions == ["c2pa.edited"]
    assert (result.watermark.task_id, result.watermark.confidence) == ("t" * 32, 0.999)
    assert result.data == MARKED


def test_verify_sends_a_url_as_json_and_an_unmarked_image_is_not_marked(api: FakeApi):
    api.answer("POST", "/api/verify", 200, UNMARKED)

    async def scenario() -> VerifyResult:
        async with AsyncClient("fsk_test", base_url=BASE, transport=api.transport) as client:
            return await client.verify("https://images.test/a.jpg")

    result = asyncio.run(scenario())
    assert json.loads(api.requests[0].content) == {"image": "https://images.test/a.jpg"}
    assert result.marks == [] and not result.marked and result.c2pa.valid is None


def test_an_invalid_manifest_is_not_counted_as_a_mark(api: FakeApi):
    broken = {**UNMARKED, "c2pa": {"present": True, "valid": False, "validation_state": "Invalid"}}
    api.answer("POST", "/api/verify", 200, broken)
    with Client("fsk_test", base_url=BASE, transport=api.transport) as client:
        assert client.verify(JPEG).marks == []


@pytest.fixture()
def run_cli(api: FakeApi, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FACESWAP_API_KEY", "fsk_cli")
    monkeypatch.setenv("FACESWAP_BASE_URL", BASE)
    monkeypatch.setattr(cli, "Client", functools.partial(Client, transport=api.transport))

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.run(list(argv), out, err)
        return code, out.getvalue(), err.getvalue()

    return run


def test_cli_verify_exits_0_when_marked_and_9_when_not(api: FakeApi, run_cli, tmp_path: Path):
    (tmp_path / "r.jpg").write_bytes(JPEG)
    api.answer("POST", "/api/verify", 200, MARKED)
    api.answer("POST", "/api/verify", 200, UNMARKED)
    code, out, _ = run_cli("verify", str(tmp_path / "r.jpg"))
    assert code == 0
    assert out.splitlines() == [
        "xmp: found",
        "c2pa: Valid",
        f"watermark: found (confidence 0.9990, task {'t' * 32})",
    ]
    code, out, _ = run_cli("--json", "verify", str(tmp_path / "r.jpg"))
    assert code == cli.EXIT_NOT_MARKED == 9 and json.loads(out) == UNMARKED


def test_cli_verify_of_what_is_no_image_exits_3(api: FakeApi, run_cli, tmp_path: Path):
    (tmp_path / "notes.txt").write_bytes(b"hello")
    api.answer("POST", "/api/verify", 400, envelope("invalid_image_format", image="image"))
    code, _, err = run_cli("verify", str(tmp_path / "notes.txt"))
    assert code == InvalidImageFormatError.exit_code == 3 and "invalid_image_format" in err
    assert run_cli("verify", str(tmp_path / "missing.jpg"))[0] == 3
