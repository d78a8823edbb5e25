"""Content Credentials (C2PA) for results: a signed manifest saying what was done, by what, from what.

The manifest records `c2pa.opened` on the scene (an ingredient known by its hash only: no thumbnail, no
name, since the scene is the customer's photo) and `c2pa.edited` with IPTC's digital source type for the
engine tier, so C2PA readers show "made with AI". Thumbnails are off: they would copy the customer's
picture into the manifest and cost ~100 ms a result. The image data itself is not touched: c2pa adds its
JUMBF box (JPEG APP11, a PNG caBX chunk, a WebP C2PA chunk), so the JPEG tables the encoder kept stay.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import c2pa

from core.models.signing import SigningMaterial
from engine_layer.provenance.xmp import GENERATOR, digital_source_type, engine_version

SCENE_INGREDIENT = "scene"


@lru_cache(maxsize=1)
def _context() -> c2pa.Context:
    settings = c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    return c2pa.ContextBuilder().with_settings(settings).build()


@dataclass(frozen=True)
class ResultSigner:
    """Signs results with one stage's key (built once per worker; a c2pa Signer is made per result,
    since signing consumes it)."""

    material: SigningMaterial

    def sign(
        self,
        image: bytes,
        content_type: str,
        *,
        scene: bytes,
        scene_content_type: str,
        operation: str,
        engine: Mapping[str, str],
    ) -> bytes:
        """`image` with an embedded, signed manifest."""
        manifest = build_manifest(operation, engine)
        ingredient = {
            "title": SCENE_INGREDIENT,
            "label": SCENE_INGREDIENT,
            "relationship": "parentOf",
            "instance_id": "sha256:" + hashlib.sha256(scene).hexdigest(),
        }
        info = c2pa.C2paSignerInfo(
            self.material.algorithm,
            self.material.certificate_chain.encode(),
            self.material.private_key.encode(),
            None,
        )
        signer = c2pa.Signer.from_info(info)
        try:
            with c2pa.Builder(manifest, context=_context()) as builder:
                builder.add_ingredient(ingredient, scene_content_type, io.BytesIO(scene))
                out = io.BytesIO()
                builder.sign(signer, content_type, io.BytesIO(image), out)
        finally:
            signer.close()
        return out.getvalue()


def build_manifest(operation: str, engine: Mapping[str, str]) -> dict[str, Any]:
    version = engine_version()
    source_type = digital_source_type(engine.get("tier", ""))
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": version}],
        "title": f"{operation} result",
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {"action": "c2pa.opened", "parameters": {"ingredientIds": [SCENE_INGREDIENT]}},
                        {
                            "action": "c2pa.edited",
                            "digitalSourceType": source_type,
                            "softwareAgent": {
                                "name": f"{GENERATOR} engine ({engine.get('tier')})",
                                "version": version,
                            },
                            "description": f"Face swap ({operation}): faces replaced by an automated system.",
                            "parameters": {k: str(v) for k, v in engine.items()},
                        },
                    ]
                },
            }
        ],
    }


def read_credentials(image: bytes, content_type: str) -> dict[str, Any]:
    """What a C2PA reader finds: {"present", "valid", "validation_state", "digital_source_type",
    "actions", "signer", "issuer", "ingredient_hashes", "errors"}. `valid` is the signature and hashes
    checking out (c2pa's Valid or Trusted); `trusted` whether the signer chains to a known trust list."""
    try:
        with c2pa.Reader(content_type, io.BytesIO(image)) as reader:
            state = reader.get_validation_state()
            manifest = reader.get_active_manifest() or {}
            results = reader.get_validation_results() or {}
    except Exception as error:  # c2pa.C2paError and whatever else hostile bytes provoke in the native reader
        if "ManifestNotFound" in type(error).__name__ or "not found" in str(error).lower():
            return {"present": False, "valid": None}
        # Something manifest-like that cannot be read: reported, never a server error.
        return {"present": True, "valid": False, "validation_state": "Invalid", "errors": [str(error)[:200]]}
    actions = [
        action
        for assertion in manifest.get("assertions", [])
        if str(assertion.get("label", "")).startswith("c2pa.actions")
        for action in assertion.get("data", {}).get("actions", [])
    ]
    failures = results.get("activeManifest", {}).get("failure", [])
    signature = manifest.get("signature_info", {})
    return {
        "present": True,
        "valid": state in ("Valid", "Trusted"),
        "trusted": state == "Trusted",
        "validation_state": state,
        "digital_source_type": next(
            (a["digitalSourceType"] for a in actions if a.get("digitalSourceType")), None
        ),
        "actions": [a.get("action") for a in actions],
        "claim_generator": next(iter(manifest.get("claim_generator_info", [])), {"name": None}).get("name"),
        "signer": signature.get("common_name"),
        "issuer": signature.get("issuer"),
        "ingredient_hashes": [i.get("instance_id") for i in manifest.get("ingredients", [])],
        "errors": [f.get("code") for f in failures if f.get("code") != "signingCredential.untrusted"],
    }
