"""GET /api/health: is this function alive and able to check submissions?

A liveness answer for anonymous callers: no AWS call (the role grants no Describe*/Head* calls, and an
anonymous probe must not cost five AWS requests) and no resource names in the answer. Whether the
tables, bucket and queue work is told by the real requests' own errors (the 5xx alarm), not by a probe.
The one local check is the face pre-check's detector model, without which every submission would fail.
"""

from __future__ import annotations

from core.settings import Settings
from engine_layer import manifest


def ready(settings: Settings) -> bool:
    return manifest.SCRFD.path(settings.model_dir).is_file()
