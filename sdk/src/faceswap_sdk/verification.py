"""POST /api/verify: which of the service's three marks an image carries (our XMP fields, signed Content
Credentials, the invisible watermark), as a typed result. No I/O here; the clients send the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faceswap_sdk._requests import ImageInput, image_part

VERIFY_PATH = "/api/verify"


@dataclass(frozen=True)
class ContentCredentials:
    present: bool
    valid: bool | None  # None when there is no manifest to check
    validation_state: str | None = None
    digital_source_type: str | None = None
    actions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Watermark:
    found: bool
    confidence: float
    registered: bool  # issued by this service for a task that has not expired
    task_id: str | None  # only when that task belongs to the calling key


@dataclass(frozen=True)
class VerifyResult:
    metadata: dict[str, str] | None  # our XMP fields, None when absent
    c2pa: ContentCredentials
    watermark: Watermark
    data: dict[str, Any]  # the whole answer, as sent

    @property
    def marks(self) -> list[str]:
        """The marks found: "xmp", "c2pa" (present and valid), "watermark"."""
        found = []
        if self.metadata is not None:
            found.append("xmp")
        if self.c2pa.present and self.c2pa.valid:
            found.append("c2pa")
        if self.watermark.found:
            found.append("watermark")
        return found

    @property
    def marked(self) -> bool:
        """Any of our marks is there (the watermark survives re-encoding and metadata stripping)."""
        return bool(self.marks)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> VerifyResult:
        c2pa = body.get("c2pa") or {}
        mark = body.get("watermark") or {}
        return cls(
            metadata=body.get("metadata"),
            c2pa=ContentCredentials(
                present=bool(c2pa.get("present")),
                valid=c2pa.get("valid"),
                validation_state=c2pa.get("validation_state"),
                digital_source_type=c2pa.get("digital_source_type"),
                actions=[str(action) for action in c2pa.get("actions") or []],
            ),
            watermark=Watermark(
                found=bool(mark.get("found")),
                confidence=float(mark.get("confidence") or 0.0),
                registered=bool(mark.get("registered")),
                task_id=mark.get("task_id"),
            ),
            data=dict(body),
        )


def verify_request(image: ImageInput) -> dict[str, Any]:
    """httpx keyword arguments: the multipart field `image` for a path or bytes, JSON for a URL."""
    part = image_part(image, "image", "image")
    if part.url is not None:
        return {"json": {"image": part.url}}
    return {"files": [("image", (part.filename, part.data, part.content_type))]}
