"""The stage's Content Credentials signing material: what the signing secret holds."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SigningMaterial(BaseModel):
    """A private key and the certificate chain that vouches for it, both PEM (leaf first, root last).

    On AWS an operator stores this as the JSON of the template's C2paSigningSecret; locally a chain made
    at start (core.logic.local_certificate) takes its place. Never logged, never committed."""

    private_key: str = Field(min_length=1, repr=False)
    certificate_chain: str = Field(min_length=1)
    algorithm: str = "es256"  # c2pa's name for the key's signature algorithm (ECDSA P-256 / SHA-256)
