"""`faceswap-admin keys ...` against moto: the tables come from the settings, the endpoint from boto3's env
(operator CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from core.adapters.key_table import KeyTable
from core.logic.key_service import find_key
from core.models.api_key import KeyStatus

REPO = Path(__file__).resolve().parents[3]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["keys", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_create_use_and_revoke(capsys: pytest.CaptureFixture[str], key_table: KeyTable) -> None:
    code, out, _ = run(
        capsys, "create", "--plan", "enterprise", "--hourly", "100", "--daily", "900", "--json"
    )
    assert code == 0
    created = json.loads(out)
    api_key, key_id = created["api_key"], created["key_id"]
    assert created["plan"] == "enterprise" and created["limits"] == {"hour": 100, "day": 900}
    assert "key_hash" not in created
    assert find_key(key_table, api_key) is not None
    # The webhook signing secret is shown once with the key, and never listed.
    secret = created["webhook_secret"]
    assert secret.startswith("whsec_") and find_key(key_table, api_key).webhook_secret == secret  # type: ignore[union-attr]

    code, out, _ = run(capsys, "usage", key_id, "--json")
    hour = json.loads(out)["usage"]["hour"]
    assert code == 0 and (hour["used"], hour["limit"], hour["remaining"]) == (0, 100, 100)
    assert hour["reset_at"] % 3600 == 0

    code, out, _ = run(capsys, "list", "--json")
    listed = {row["key_id"]: row for row in json.loads(out)}
    assert listed[key_id]["status"] == "active" and listed[key_id]["usage"]["day"]["limit"] == 900
    assert api_key not in out and secret not in out and "webhook_secret" not in out

    code, out, _ = run(capsys, "revoke", key_id)
    assert code == 0 and key_id in out
    assert find_key(key_table, api_key) is None
    assert key_table.find_by_key_id(key_id).status is KeyStatus.REVOKED  # type: ignore[union-attr]


def test_text_output_shows_the_key_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "create", "--plan", "basic", "--name", "acme")
    assert code == 0
    assert "fsk_" in out and "not shown again" in out and "200/hour, 2000/day" in out
    assert "webhook signing secret  whsec_" in out
    code, out, _ = run(capsys, "list")
    assert code == 0 and "acme" in out and "fsk_" not in out and "whsec_" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "--plan", "enterprise"], "needs --hourly N and --daily N"),
        (["create", "--plan", "free", "--hourly", "5", "--daily", "10"], "for enterprise keys"),
        (["create", "--plan", "enterprise", "--hourly", "50", "--daily", "10"], "cannot exceed"),
        (["create", "--plan", "enterprise", "--hourly", "0", "--daily", "10"], "at least 1"),
        (["revoke", "key_nope"], "no key with id key_nope"),
        (["usage", "key_nope"], "no key with id key_nope"),
    ],
)
def test_operator_mistakes_end_in_one_line(
    capsys: pytest.CaptureFixture[str], settings: object, argv: list[str], message: str
) -> None:
    code, _out, err = run(capsys, *argv)
    assert code == 1 and message in err and "Traceback" not in err


def test_missing_table_is_explained(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("API_KEYS_TABLE", "no-such-table")
    get_settings.cache_clear()
    try:
        code, _, err = run(capsys, "list")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert code == 1 and "ResourceNotFoundException" in err and "API_KEYS_TABLE" in err


def test_the_installed_command_reads_boto3s_own_endpoint_settings(
    aws_env: dict[str, str], key_table: KeyTable
) -> None:
    # A separate process with only the environment a shell would give it (AWS_ENDPOINT_URL and the tables).
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | aws_env
    answer = subprocess.run(
        [sys.executable, "-m", "cli.main", "keys", "create", "--plan", "pro", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    created = json.loads(answer.stdout)
    record = find_key(key_table, created["api_key"])
    assert record is not None and record.key_id == created["key_id"]


def test_visible_label_is_off_by_default_and_set_per_key(
    capsys: pytest.CaptureFixture[str], key_table: KeyTable
) -> None:
    code, out, _ = run(capsys, "create", "--json")
    plain = json.loads(out)
    assert code == 0 and plain["visible_label"] is False
    code, out, _ = run(capsys, "create", "--visible-label", "--json")
    labelled = json.loads(out)
    assert code == 0 and labelled["visible_label"] is True
    assert find_key(key_table, labelled["api_key"]).visible_label is True  # type: ignore[union-attr]

    code, out, _ = run(capsys, "update", plain["key_id"], "--visible-label")
    assert code == 0 and "visible label on" in out
    assert find_key(key_table, plain["api_key"]).visible_label is True  # type: ignore[union-attr]
    code, out, _ = run(capsys, "update", plain["key_id"], "--no-visible-label", "--json")
    assert code == 0 and json.loads(out)["visible_label"] is False
    code, _, err = run(capsys, "update", "key_doesnotexist", "--visible-label")
    assert code != 0 and "key_doesnotexist" in err
