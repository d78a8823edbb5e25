"""Size limits on what a client sends (the contract's numbers, not settings: clients rely on them)."""

from __future__ import annotations

# The body as the function receives it (Lambda's payload limit; API Gateway's base64 counted).
MAX_EVENT_BODY_BYTES = 6 * 1024 * 1024
# An image fetched from a URL named in a JSON body.
MAX_URL_IMAGE_BYTES = 10 * 1024 * 1024
