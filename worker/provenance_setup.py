"""The worker's provenance parts, built once at start from the settings."""

from __future__ import annotations

from core.adapters.mark_registry import MarkRegistry
from core.adapters.signing_key import load_signing_material
from core.logic.content_credentials import ResultSigner
from core.logic.provenance import ResultProvenance
from core.settings import Settings
from engine_layer.provenance.mark_encoder import default_encoder


def provenance_from_settings(settings: Settings) -> ResultProvenance:
    """Marks in the task table; results signed with the stage's key. A stage whose signing secret holds
    no key yet stops the worker here (SigningKeyMissing), before it takes a task it could not label."""
    default_encoder()  # the watermark's encoder graph is rebuilt from the wheel's weights once, here
    signer = None
    if settings.c2pa_signing_secret:
        signer = ResultSigner(load_signing_material(settings.c2pa_signing_secret))
    return ResultProvenance(marks=MarkRegistry(settings.tasks_table), signer=signer)
