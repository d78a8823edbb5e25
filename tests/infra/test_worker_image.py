"""infra/worker/Dockerfile and the ECS task definition agree: model cache path, ready file, entry point,
non-root user, no model weights baked in. (No Docker engine here: the Dockerfile is read, and linted by
hadolint in `make lint`.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.translated import translated

WORKER = Path(__file__).resolve().parents[2] / "infra" / "worker"
DOCKERFILE = (WORKER / "Dockerfile").read_text()


def runtime_stage() -> str:
    return DOCKERFILE.split(" AS runtime", 1)[1]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", runtime_stage(), re.MULTILINE):
        for name, value in re.findall(r"(\w+)=(\S+)", block.replace("\\\n", " ")):
            env[name] = value
    return env


@pytest.fixture(scope="module")
def container() -> dict[str, Any]:
    (definition,) = translated()["Resources"]["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"]
    return definition


def test_model_cache_is_the_mounted_volume_and_the_configured_model_dir(container: dict[str, Any]) -> None:
    environment = {e["Name"]: e["Value"] for e in container["Environment"] if "Name" in e}
    assert image_env()["FACESWAP_MODEL_DIR"] == environment["FACESWAP_MODEL_DIR"] == "/models"
    assert [m["ContainerPath"] for m in container["MountPoints"]] == ["/models"]
    assert 'VOLUME ["/models"]' in runtime_stage()


def test_health_check_reads_the_ready_file_the_entrypoint_hands_the_worker(container: dict[str, Any]) -> None:
    assert "FACESWAP_WORKER_READY_FILE" in image_env()
    assert "$FACESWAP_WORKER_READY_FILE" in " ".join(container["HealthCheck"]["Command"])
    assert "$FACESWAP_WORKER_READY_FILE" in DOCKERFILE.split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    entrypoint = (WORKER / "entrypoint.sh").read_text()
    assert 'exec python -m worker --ready-file "$ready_file" "$@"' in entrypoint


def test_image_runs_the_entrypoint_as_a_numeric_non_root_user() -> None:
    (user,) = re.findall(r"^USER (\S+)$", runtime_stage(), re.MULTILINE)
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    assert 'ENTRYPOINT ["/usr/local/bin/faceswap-worker-entrypoint"]' in runtime_stage()


def test_no_model_weights_are_copied_into_the_image() -> None:
    ignore = (WORKER / "Dockerfile.dockerignore").read_text().splitlines()
    # Everything is excluded, then only the sources come back; weights stay out even inside them.
    rules = [line for line in ignore if line and not line.startswith("#")]
    assert rules[0] == "*"
    assert {"!core/", "!worker/", "!cli/", "!engine_layer/"} <= set(rules) and "!.models/" not in rules
    assert {"**/*.onnx", "**/*.dat"} <= set(rules)
    assert ".models" not in DOCKERFILE
