"""XMP for a result: IPTC's digital source type, the operation and the engine, and nothing personal.

IPTC NewsCodes `digitalsourcetype` (http://cv.iptc.org/newscodes/digitalsourcetype/) is what the EU AI
Act's machine-readable marking is read through by platforms and by C2PA. Per tier:
- production (inswapper + GFPGAN): the face is made by a trained generative model and composited into a
  photo -> `compositeWithTrainedAlgorithmicMedia`.
- offline (classic landmark warp): the face is synthesised by algorithms with no trained generator (the
  trained detectors only locate faces), then composited -> `compositeSynthetic` ("a composite of
  elements, at least one of which is synthetic"). Claiming "trained" there would be untrue, and
  `algorithmicMedia` means an image made wholly by an algorithm, which a photo with a swapped face is not.
No task id, key id, timestamp of the request or file name goes here: the metadata is public to anyone
who gets the file, and the task is reachable only through the watermark and POST /api/verify.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import metadata
from xml.sax.saxutils import quoteattr

DIGITAL_SOURCE_TYPE_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_COMPOSITE = DIGITAL_SOURCE_TYPE_BASE + "compositeWithTrainedAlgorithmicMedia"
SYNTHETIC_COMPOSITE = DIGITAL_SOURCE_TYPE_BASE + "compositeSynthetic"
# Our own namespace for what IPTC has no field for (operation, engine parts).
FACESWAP_NS = "https://faceswap-api.dev/ns/provenance/1.0/"
GENERATOR = "faceswap-api"
DESCRIPTION = "Face swapped by an automated system (AI-manipulated image)."


def engine_version() -> str:
    try:
        return metadata.version("faceswap-api")
    except metadata.PackageNotFoundError:  # a source checkout that was never installed
        return "0+unknown"


_FIELDS = ("operation", "tier", "detector", "swapper", "restorer")
_ATTRIBUTE = re.compile(r'(\w+):(\w+)="([^"]*)"')


def digital_source_type(tier: str) -> str:
    """The IPTC term for a result of this engine tier (see the module docstring for why)."""
    return TRAINED_COMPOSITE if tier == "production" else SYNTHETIC_COMPOSITE


def build_xmp(operation: str, engine: Mapping[str, str], version: str) -> bytes:
    """An XMP packet describing a face-swap result made by `engine` (the engine's describe())."""
    tier = engine.get("tier", "unknown")
    attributes = {
        "Iptc4xmpExt:DigitalSourceType": digital_source_type(tier),
        "xmp:CreatorTool": f"{GENERATOR} {version} ({tier} tier)",
        "faceswap:operation": operation,
        **{f"faceswap:{name}": engine[name] for name in _FIELDS[1:] if name in engine},
        "faceswap:engineVersion": version,
    }
    body = "\n   ".join(f"{name}={quoteattr(value)}" for name, value in attributes.items())
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
   xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
   xmlns:xmp="http://ns.adobe.com/xap/1.0/"
   xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmlns:faceswap="{FACESWAP_NS}"
   {body}>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{DESCRIPTION}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""
    return packet.encode("utf-8")


def read_xmp_fields(packet: bytes | str | None) -> dict[str, str] | None:
    """The attributes of our XMP packet as {"DigitalSourceType": ..., "operation": ...}; None if absent.

    A plain reader for the packet this module writes (attributes on one rdf:Description); another
    tool's rewrite into element form is reported as present with what could be read."""
    if not packet:
        return None
    text = packet.decode("utf-8", "replace") if isinstance(packet, bytes) else packet
    if "xmpmeta" not in text:
        return None
    fields = {name: value for prefix, name, value in _ATTRIBUTE.findall(text) if prefix != "xmlns"}
    for attribute in ("about", "lang"):  # rdf:about, xml:lang: syntax, not fields
        fields.pop(attribute, None)
    return fields
