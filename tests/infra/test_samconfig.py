"""samconfig.toml's stages (dev, prod) give template.yaml every parameter it needs, each one valid."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.infra.translated import sam_template

SAMCONFIG = Path(__file__).resolve().parents[2] / "samconfig.toml"
STAGES = ("dev", "prod")


def overrides(stage: str) -> dict[str, str]:
    config = tomllib.loads(SAMCONFIG.read_text())
    pairs = config[stage]["deploy"]["parameters"]["parameter_overrides"]
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.mark.parametrize("stage", STAGES)
def test_stage_sets_every_required_parameter_with_valid_values(stage: str) -> None:
    parameters: dict[str, dict[str, Any]] = sam_template()["Parameters"]
    values = overrides(stage)
    assert set(values) <= set(parameters), set(values) - set(parameters)
    required = {name for name, p in parameters.items() if "Default" not in p}
    assert required <= set(values), f"{stage} misses {required - set(values)}"
    assert values["Stage"] == stage
    for name, value in values.items():
        spec = parameters[name]
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], (name, value)
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (name, value)
        if spec["Type"] == "Number":
            number = float(value)
            assert spec.get("MinValue", number) <= number <= spec.get("MaxValue", number), (name, value)


@pytest.mark.parametrize("stage", STAGES)
def test_stage_builds_in_source_and_deploys_its_own_stack(stage: str) -> None:
    config = tomllib.loads(SAMCONFIG.read_text())[stage]
    # infra/sam/Makefile runs from the project root (the venv, uv.lock, .models/ live there).
    assert config["build"]["parameters"]["build_in_source"] is True
    assert config["global"]["parameters"]["stack_name"] == f"faceswap-{stage}"
    assert config["deploy"]["parameters"]["capabilities"] == "CAPABILITY_IAM"


def test_production_demands_the_production_models() -> None:
    assert overrides("prod")["RequiredEngineTier"] == "production"
    assert tomllib.loads(SAMCONFIG.read_text())["prod"]["deploy"]["parameters"]["confirm_changeset"] is True
