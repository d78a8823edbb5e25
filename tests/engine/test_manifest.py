"""The model manifest, tier choice and the `faceswap-admin models` commands, on real files in temp dirs."""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import pytest

from cli import models as models_cli
from engine_layer import manifest
from engine_layer.errors import ModelsMissing
from engine_layer.manifest import Tier
from tests.source_files import REPO, python_sources, string_literals


def link_offline(model_dir: Path, into: Path, *, skip: str | None = None) -> None:
    for entry in manifest.offline_files():
        if entry.file != skip:
            os.symlink(entry.path(model_dir).resolve(), entry.path(into))


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="faceswap-admin")
    models_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.run(args) or 0)


def test_manifest_entries_are_well_formed() -> None:
    assert len({entry.file for entry in manifest.MODELS}) == len(manifest.MODELS)
    assert all(entry.sha256 is None or len(entry.sha256) == 64 for entry in manifest.MODELS)
    assert {e.tier for e in manifest.production_files()} == {Tier.PRODUCTION}


def test_no_code_outside_the_manifest_spells_a_model_file_name() -> None:
    """Model files are named once, in engine_layer/manifest.py; code looks them up (manifest.SCRFD.path...).

    Every string literal in the repository's Python, tests included (docstrings and comments are prose,
    and left out), is checked for a manifest file's name.
    """
    names = {Path(entry.file).name for entry in manifest.MODELS}
    spellings = names | {re.escape(name) for name in names}  # a regex in a test spells it too
    offenders = [
        f"{path.relative_to(REPO)}:{line}: {text!r}"
        for path in python_sources(REPO)
        if path != Path(manifest.__file__).resolve()
        for line, text in string_literals(path)
        if any(spelling in text for spelling in spellings)
    ]
    assert offenders == []


def test_installed_offline_tier_verifies(model_dir: Path) -> None:
    statuses = {s.entry.file: s for s in manifest.inventory(model_dir)}
    for entry in manifest.offline_files():
        assert statuses[entry.file].checksum_ok is True, statuses[entry.file].problem
    assert manifest.present_tiers(model_dir, verify=True) == [Tier.OFFLINE]
    assert manifest.choose_tier(model_dir) is Tier.OFFLINE
    recorded = manifest.read_record(model_dir)
    assert all(recorded[e.file] == e.sha256 for e in manifest.offline_files())


def test_a_corrupt_file_fails_its_checksum_and_the_tier(model_dir: Path, tmp_path: Path) -> None:
    link_offline(model_dir, tmp_path, skip=manifest.SCRFD.file)
    manifest.SCRFD.path(tmp_path).write_bytes(b"\0" * manifest.SCRFD.size)  # right size, wrong bytes
    status = manifest.file_status(tmp_path, manifest.SCRFD)
    assert status.present and status.checksum_ok is False and "sha256" in (status.problem or "")
    assert manifest.present_tiers(tmp_path, verify=False) == [Tier.OFFLINE]  # sizes alone cannot tell
    assert manifest.present_tiers(tmp_path, verify=True) == []
    with pytest.raises(ModelsMissing, match=rf"{re.escape(manifest.SCRFD.file)}: sha256"):
        manifest.choose_tier(tmp_path)


def test_wrong_size_is_caught_without_hashing(tmp_path: Path) -> None:
    manifest.INSWAPPER.path(tmp_path).write_bytes(b"tiny")
    status = manifest.file_status(tmp_path, manifest.INSWAPPER)
    assert status.checksum_ok is False and "size 4 bytes" in (status.problem or "")


def test_production_is_never_a_silent_fallback(model_dir: Path, tmp_path: Path) -> None:
    link_offline(model_dir, tmp_path)
    with pytest.raises(ModelsMissing, match="faceswap-admin models pull"):
        manifest.choose_tier(tmp_path, "auto", require_tier="production")
    with pytest.raises(ModelsMissing):
        manifest.choose_tier(tmp_path, "production")
    assert manifest.choose_tier(tmp_path, "offline", require_tier="offline") is Tier.OFFLINE
    with pytest.raises(ValueError):
        manifest.choose_tier(tmp_path, "best")


def test_unpinned_file_is_checked_against_the_record(tmp_path: Path) -> None:
    gfpgan = manifest.GFPGAN
    gfpgan.path(tmp_path).write_bytes(b"operator supplied weights")
    assert manifest.file_status(tmp_path, gfpgan).checksum_ok is None  # nothing to check against yet
    manifest.write_record(tmp_path, {gfpgan.file: manifest.sha256_of(gfpgan.path(tmp_path))})
    assert manifest.file_status(tmp_path, gfpgan).checksum_ok is True
    gfpgan.path(tmp_path).write_bytes(b"something else entirely")
    assert manifest.file_status(tmp_path, gfpgan).checksum_ok is False


def test_install_offline_replaces_a_bad_file_and_keeps_good_ones(model_dir: Path, tmp_path: Path) -> None:
    bad = manifest.DLIB_RECOGNITION.file
    link_offline(model_dir, tmp_path, skip=bad)
    (tmp_path / bad).write_bytes(b"half a download")
    models_cli.install_offline(tmp_path)
    assert not (tmp_path / bad).is_symlink()
    assert manifest.file_status(tmp_path, manifest.entry(bad)).checksum_ok is True
    assert manifest.SCRFD.path(tmp_path).is_symlink()  # valid already: left alone, nothing downloaded
    assert not list(tmp_path.glob(".install-*"))


def test_models_list_command(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("models", "list", "--json", "--model-dir", str(model_dir)) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["active_tier"] == "offline"
    rows = {row["file"]: row for row in listing["files"]}
    assert rows[manifest.SCRFD.file]["present"] is True and rows[manifest.SCRFD.file]["checksum_ok"] is True
    assert rows[manifest.INSWAPPER.file]["present"] is False
    assert rows[manifest.INSWAPPER.file]["licence"].startswith("InsightFace")
    assert run_cli("models", "list", "--model-dir", str(model_dir)) == 0
    table = capsys.readouterr().out
    assert "active tier (auto): offline" in table and manifest.DLIB_68.file in table


def test_models_list_on_an_empty_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("models", "list", "--model-dir", str(tmp_path)) == 0
    assert "none: run `faceswap-admin models install-offline`" in capsys.readouterr().out
