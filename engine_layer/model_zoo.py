"""Opening ONNX files through insightface's model_zoo (detector, swapper, ArcFace), refusing wrong kinds."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from insightface.model_zoo import get_model

from engine_layer.errors import ModelsMissing

ModelT = TypeVar("ModelT")


def load_zoo_model(path: Path, expected: type[ModelT], providers: Sequence[str]) -> ModelT:
    """insightface routes an ONNX file to a class by its input shapes; insist it lands on `expected`."""
    if not path.is_file():
        raise ModelsMissing(f"Model file {path} is missing.", file=str(path))
    # INSwapper prints its input shape on stdout; a worker's stdout is its log stream.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            model = get_model(str(path), providers=list(providers))
        except Exception as exc:  # onnx/onnxruntime raise many types for an unreadable graph
            raise ModelsMissing(f"Model file {path} cannot be loaded: {exc}", file=str(path)) from exc
    if not isinstance(model, expected):
        found = type(model).__name__ if model is not None else "nothing"
        raise ModelsMissing(
            f"Model file {path} is not a {expected.__name__} model (insightface read it as {found}).",
            file=str(path),
        )
    return model
