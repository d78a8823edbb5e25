"""Reading the repository's own Python source, for tests that hold a rule over all of it."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Installed environments, model and local-stack data, build outputs: not the repository's code.
_SKIPPED = {"node_modules", "__pycache__", "build", "dist"}


def python_sources(root: Path = REPO) -> Iterator[Path]:
    """Every .py file under `root`, hidden folders (.venv, .models, .git ...) and build outputs left out."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in _SKIPPED and not name.endswith(".egg-info")
        ]
        for name in files:
            if name.endswith(".py"):
                yield Path(folder, name).resolve()


def string_literals(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant in `path` that is code, not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    prose = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            yield node.lineno, node.value
