"""infra/local/env.json (for `sam local ... --env-vars`) points the functions at the local stack's moto
server with exactly the names the local stack creates from template.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from infra.local.resources import create_resources
from tests.infra.translated import of_type, translated

ENV_JSON = Path(__file__).resolve().parents[2] / "infra" / "local" / "env.json"
LOCAL_MOTO = "http://127.0.0.1:5000"  # infra/local/stack.py's MOTO_PORT default


def test_env_json_overrides_only_variables_the_template_declares() -> None:
    # sam local silently ignores a variable the function does not declare: every entry must land.
    functions = of_type(translated(), "AWS::Lambda::Function")
    overrides = json.loads(ENV_JSON.read_text())
    assert set(overrides) == set(functions)
    for name, variables in overrides.items():
        declared = set(functions[name]["Properties"]["Environment"]["Variables"])
        assert set(variables) <= declared, f"{name}: {set(variables) - declared} are not declared"
        assert variables["AWS_ENDPOINT_URL"] == LOCAL_MOTO


def test_env_json_names_what_the_local_stack_creates(aws_env: dict[str, str]) -> None:
    # The local stack's own resource builder, run against this session's moto server.
    created = create_resources(stage="local")
    for name, variables in json.loads(ENV_JSON.read_text()).items():
        for variable, value in variables.items():
            if variable in created:
                expected = created[variable].replace(aws_env["AWS_ENDPOINT_URL"], LOCAL_MOTO)
                assert value == expected, (name, variable)
        assert {v for v in created if not v.startswith("POWERTOOLS_")} <= set(variables), name
