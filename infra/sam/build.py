"""What `sam build` runs for the Lambda side (infra/sam/Makefile, BuildMethod: makefile).

The Lambda zip and its layers must stay under 250 MB unzipped, so the API side never carries OpenCV or
insightface. Two artifacts, both pinned by uv.lock and installed as manylinux wheels for Python 3.12:

- `layer`: the engine layer, mounted at /opt: python/engine_layer (the package source), numpy, Pillow,
  onnxruntime and their dependencies, and models/scrfd.onnx (checked against the model manifest) for the
  API's face pre-check (FACESWAP_MODEL_DIR=/opt/models).
- `function`: the `functions` package (api, core, dlq, sweeper) and the rest of the `api` extra's deps,
  minus every distribution the layer already holds (the function zip then installs them `--no-deps`).

Usage: python -m infra.sam.build {layer,function} ARTIFACTS_DIR
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from engine_layer import manifest

REPO = Path(__file__).resolve().parents[2]
PYTHON_VERSION = "3.12"  # template.yaml's Runtime: python3.12
PLATFORM = "x86_64-manylinux_2_28"  # Architectures: [x86_64]; Amazon Linux 2023 has glibc 2.34
EXTRA = "api"
LAYER_ROOTS = ("numpy", "pillow", "onnxruntime")
FUNCTION_PACKAGES = (
    "functions/api",
    "functions/dashboard",
    "functions/dlq",
    "functions/sweeper",
    "functions/webhooks",
    "core",
)
LAYER_MODELS = (manifest.SCRFD,)  # the API's face pre-check
# Declared by c2pa-python (cryptography, for its optional signing callbacks) and invisible-watermark
# (PyWavelets, for its DWT methods) but never imported on the API's path: POST /api/verify only reads
# manifests and RivaGAN marks. Signing runs in the worker. Leaving them out keeps the bundle under 250 MiB.
FUNCTION_EXCLUDED = frozenset({"cryptography", "cffi", "pycparser", "pywavelets"})
# Lambda's limit for a function and all its layers, unzipped.
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


class BuildError(Exception):
    pass


def uv_binary() -> str:
    beside_python = Path(sys.executable).with_name("uv")
    found = str(beside_python) if beside_python.exists() else shutil.which("uv")
    if not found:
        raise BuildError("uv not found: run `make install` first (it puts uv into .venv/bin)")
    return found


def locked_requirements(uv: str) -> str:
    """The `api` extra's full dependency closure, pinned exactly as in uv.lock."""
    return _run(
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--extra",
            EXTRA,
            "--no-emit-project",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
        ],
    )


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str | None:
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", line.strip())
    return normalised(match.group(1)) if match else None


def installed_distributions(site: Path) -> set[str]:
    return {normalised(d.name.split("-")[0]) for d in site.glob("*.dist-info")}


def pip_install(uv: str, target: Path, args: Sequence[str]) -> None:
    _run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            "--python-version",
            PYTHON_VERSION,
            "--python-platform",
            PLATFORM,
            "--only-binary",
            ":all:",
            "--no-compile",
            "--link-mode",
            "copy",
            *args,
        ]
    )


def build_layer(artifacts: Path, model_dir: Path) -> None:
    uv = uv_binary()
    site = artifacts / "python"
    with tempfile.TemporaryDirectory() as scratch:
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text(locked_requirements(uv))
        pip_install(uv, site, ["--constraint", str(constraints), *LAYER_ROOTS])
    shutil.copytree(REPO / "engine_layer", site / "engine_layer", ignore=_IGNORED, dirs_exist_ok=True)
    for model in LAYER_MODELS:
        _copy_checked_model(model_dir, model, artifacts / "models")


def build_function(artifacts: Path) -> None:
    """Needs the layer's distributions to be known: they are resolved the same way, not installed twice."""
    uv = uv_binary()
    requirements = locked_requirements(uv)
    with tempfile.TemporaryDirectory() as scratch:
        # Resolve the layer into scratch only to learn which distributions it holds.
        layer_site = Path(scratch) / "layer"
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text(requirements)
        pip_install(uv, layer_site, ["--constraint", str(constraints), *LAYER_ROOTS])
        in_layer = installed_distributions(layer_site)
        own = [
            line
            for line in requirements.splitlines()
            if (name := requirement_name(line)) and name not in in_layer and name not in FUNCTION_EXCLUDED
        ]
        own_file = Path(scratch) / "function.txt"
        own_file.write_text("\n".join(own) + "\n")
        pip_install(uv, artifacts, ["--no-deps", "--requirement", str(own_file)])
        (artifacts / "functions").mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / "functions" / "__init__.py", artifacts / "functions" / "__init__.py")
        for package in FUNCTION_PACKAGES:
            shutil.copytree(REPO / package, artifacts / package, ignore=_IGNORED, dirs_exist_ok=True)
        layer_bytes = tree_bytes(layer_site) + tree_bytes(REPO / "engine_layer") + _models_bytes()
    total = tree_bytes(artifacts) + layer_bytes
    limit_mib = UNZIPPED_LIMIT_BYTES / 2**20
    print(f"function + engine layer, unzipped: {total / 2**20:.0f} MiB (limit {limit_mib:.0f} MiB)")
    if total > UNZIPPED_LIMIT_BYTES:
        raise BuildError(f"function + layer unzipped is {total} bytes, over Lambda's {UNZIPPED_LIMIT_BYTES}")


def tree_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _models_bytes() -> int:
    return sum(model.size or 0 for model in LAYER_MODELS)


def _copy_checked_model(model_dir: Path, model: manifest.ModelFile, destination: Path) -> None:
    source = model.path(model_dir)
    if not source.is_file():
        raise BuildError(
            f"{source} is missing: run `make models` (faceswap-admin models install-offline) first"
        )
    expected = model.sha256
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if expected and digest != expected:
        raise BuildError(f"{source} has sha256 {digest}, the manifest pins {expected}")
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, model.path(destination))


def _run(command: Sequence[str]) -> str:
    try:
        return subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO).stdout
    except subprocess.CalledProcessError as error:
        raise BuildError(f"`{' '.join(command)}` failed:\n{error.stderr}") from error


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.sam.build", description=__doc__)
    parser.add_argument("artifact", choices=("layer", "function"))
    parser.add_argument("artifacts_dir", type=Path, help="sam build's ARTIFACTS_DIR")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: FACESWAP_MODEL_DIR or .models")
    args = parser.parse_args(argv)
    artifacts = args.artifacts_dir.resolve()
    artifacts.mkdir(parents=True, exist_ok=True)
    try:
        if args.artifact == "layer":
            from core.settings import get_settings

            build_layer(artifacts, args.model_dir or get_settings().model_dir)
        else:
            (artifacts / "functions").mkdir(exist_ok=True)
            build_function(artifacts)
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
