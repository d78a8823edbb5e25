"""The stage's signing material, read from Secrets Manager (template C2paSigningSecret)."""

from __future__ import annotations

from core.adapters.clients import client
from core.models.signing import SigningMaterial


class SigningKeyMissing(RuntimeError):
    """The secret holds no usable key and chain: the operator has not stored them yet."""


def load_signing_material(secret_id: str) -> SigningMaterial:
    """The key and chain stored as JSON {"private_key", "certificate_chain"[, "algorithm"]} in `secret_id`."""
    try:
        value = client("secretsmanager").get_secret_value(SecretId=secret_id)
    except client("secretsmanager").exceptions.ResourceNotFoundException as error:
        raise SigningKeyMissing(f"signing secret {secret_id} has no value yet") from error
    text = value.get("SecretString") or ""
    try:
        return SigningMaterial.model_validate_json(text)
    except ValueError as error:
        raise SigningKeyMissing(
            f"signing secret {secret_id} must hold JSON with private_key and certificate_chain (PEM)"
        ) from error
