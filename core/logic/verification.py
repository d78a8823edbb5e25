"""What POST /api/verify reports about an image: our XMP, Content Credentials, and the watermark. The task
behind a watermark is named only to the key that owns it (the caller's key id is compared here)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from PIL import Image

from core.adapters.mark_registry import MarkOwner
from core.logic.content_credentials import read_credentials
from core.models.http_bodies import VerifyReport, WatermarkReport
from engine_layer.decode import decode_image, sniff
from engine_layer.provenance.watermark import read_mark
from engine_layer.provenance.xmp import read_xmp_fields

MarkLookup = Callable[[int], MarkOwner | None]


def verify_image(data: bytes, caller_key_id: str, lookup: MarkLookup) -> dict[str, Any]:
    """The verify body for `data`; InvalidImage (the contract's invalid_image_format) if it is no image."""
    info = sniff(data, "image")
    decoded = decode_image(data, "image")
    with Image.open(io.BytesIO(data)) as image:
        metadata = read_xmp_fields(image.info.get("xmp"))
    reading = read_mark(decoded.pixels)
    owner = lookup(reading.mark_id) if reading.mark_id is not None else None
    report = VerifyReport(
        metadata=metadata,
        c2pa=read_credentials(data, info.content_type),
        watermark=WatermarkReport(
            found=reading.found,
            confidence=round(reading.confidence, 6),
            # Issued by us for a task that has not expired (any key's): rules out a chance match.
            registered=owner is not None,
            task_id=owner.task_id if owner is not None and owner.key_id == caller_key_id else None,
        ),
    )
    return report.model_dump(mode="json")
