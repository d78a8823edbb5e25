"""`faceswap` (the customer CLI) against the scripted fake API: output, progress and exit codes."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pytest
from faceswap_sdk import cli
from faceswap_sdk.client import Client
from sdk_fake_api import BASE, FakeApi, envelope, queued, status

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


@pytest.fixture()
def run_cli(api: FakeApi, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FACESWAP_API_KEY", "fsk_cli")
    monkeypatch.setenv("FACESWAP_BASE_URL", BASE)
    monkeypatch.setattr(
        cli, "Client", functools.partial(Client, transport=api.transport, sleep=lambda s: None)
    )

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.run(list(argv), out, err)
        return code, out.getvalue(), err.getvalue()

    return run


def test_swap_basic_waits_shows_progress_and_saves(api: FakeApi, run_cli, tmp_path: Path):
    (tmp_path / "a.jpg").write_bytes(JPEG)
    api.answer("POST", "/api/faceswap/basicswap", 201, queued())
    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("processing"))
    api.answer(
        "GET", "/api/task-status/" + "t" * 32, 200, status("completed", image_url="https://s3.test/r.jpg")
    )
    api.answer("GET", "https://s3.test/r.jpg", 200, b"result")
    code, out, err = run_cli(
        "swap",
        "basic",
        str(tmp_path / "a.jpg"),
        str(tmp_path / "a.jpg"),
        "-o",
        str(tmp_path / "out.jpg"),
        "--enhance",
    )
    assert code == 0, err
    assert (tmp_path / "out.jpg").read_bytes() == b"result"
    assert out.strip() == str(tmp_path / "out.jpg")
    assert "queued" in err and "processing" in err and "completed" in err  # one line per change off a tty
    assert b'name="enhance"\r\n\r\ntrue' in api.requests[0].content


def test_couple_sends_swap_index(api: FakeApi, run_cli, tmp_path: Path):
    (tmp_path / "c.jpg").write_bytes(JPEG)
    api.answer("POST", "/api/faceswap/faceswap2", 201, queued())
    code, out, _ = run_cli(
        "swap", "couple", str(tmp_path / "c.jpg"), str(tmp_path / "c.jpg"), "--swap-index", "1,0", "--no-wait"
    )
    assert (code, out.strip()) == (0, "t" * 32)
    assert b'name="swap_index"\r\n\r\n1,0' in api.requests[0].content


@pytest.mark.parametrize(
    ("answer", "exit_code"),
    [
        ((400, envelope("no_face_detected", image="srcimage")), 3),
        ((401, envelope("invalid_api_key")), 4),
        ((403, envelope("forbidden")), 4),
        ((429, envelope("rate_limit_exceeded", reset_at=None, retry_after=5)), 6),
        ((500, envelope("server_error", request_id="r1")), 1),
    ],
)
def test_exit_codes_follow_the_error_class(api: FakeApi, run_cli, tmp_path: Path, answer, exit_code: int):
    (tmp_path / "s.jpg").write_bytes(JPEG)
    api.answer("POST", "/api/faceswap/swapfacesameimage", *answer)
    code, _, err = run_cli("swap", "same-image", str(tmp_path / "s.jpg"))
    assert code == exit_code
    assert answer[1]["error"]["code"] in err


def test_a_failed_task_exits_with_its_code(api: FakeApi, run_cli):
    error = {"code": "queue_timeout", "message": "no worker"}
    api.answer("GET", "/api/task-status/abc", 200, status("failed", task_id="abc", error=error))
    code, _, err = run_cli("status", "abc")
    assert code == 7 and "task abc failed: queue_timeout" in err


def test_missing_key_and_missing_file_are_explained(api: FakeApi, run_cli, monkeypatch, tmp_path: Path):
    code, _, err = run_cli("swap", "same-image", str(tmp_path / "missing.jpg"))
    assert code == 3 and "missing.jpg" in err
    monkeypatch.delenv("FACESWAP_API_KEY")
    code, _, err = run_cli("status", "abc")
    assert code == 2 and "FACESWAP_API_KEY" in err
