"""Capture what the one service logger (core.observability) writes, as parsed JSON objects."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.observability import logger


@contextmanager
def logged_lines() -> Iterator[list[dict[str, Any]]]:
    """Every line logged inside the block, parsed (a line that is not one JSON object fails here)."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    assert hasattr(handler, "setStream")
    previous = handler.setStream(buffer)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines.extend(json.loads(line) for line in buffer.getvalue().splitlines() if line.strip())
