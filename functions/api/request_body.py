"""Turn an API Gateway event's body into named inputs: multipart/form-data or JSON.

Multipart bodies arrive base64-encoded (BinaryMediaTypes multipart~1form-data); the stdlib MIME parser
reads them byte-exact. Powertools' own multipart reader (behind `enable_validation`) was tried and not
taken: it names a part by the first `name="` in its header, so `filename="a.jpg"; name="srcimage"`
becomes a field called `a.jpg`, and it skips unquoted names (`name=srcimage`), both valid form-data.
JSON bodies name images by `https://` URL or `data:image/...;base64,` URI.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from core.models.errors import ApiError, ErrorCode, invalid_parameter
from core.models.payload_limits import MAX_EVENT_BODY_BYTES

# The contract's JSON names for each multipart image field.
JSON_NAME = {
    "srcimage": "source_image",
    "targetimage": "target_image",
    "targetimage1": "target_image1",
    "targetimage2": "target_image2",
}

# The non-image fields of a submission.
PARAMS = ("enhance", "swap_index", "webhook_url")


# `<field>_upload_id`: an image uploaded beforehand (POST /api/uploads) instead of sent in the body.
UPLOAD_ID_SUFFIX = "_upload_id"


@dataclass(frozen=True)
class UploadRef:
    upload_id: str


@dataclass
class RawInputs:
    """What a client sent, before any image is fetched or checked."""

    # contract field -> bytes, a reference (URL, data URI) or an upload id
    images: dict[str, bytes | str | UploadRef] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # enhance, swap_index, webhook_url
    names: dict[str, str] = field(default_factory=dict)  # contract field -> the name the client used

    def name_of(self, contract_field: str) -> str:
        return self.names.get(contract_field, contract_field)


class JsonSwapBody(BaseModel):
    # Strict: `"enhance": 1` or `"swap_index": [true, false]` are wrong values, not ones to coerce.
    model_config = ConfigDict(extra="ignore", strict=True)

    source_image: str | None = None
    target_image: str | None = None
    target_image1: str | None = None
    target_image2: str | None = None
    source_image_upload_id: str | None = None
    target_image_upload_id: str | None = None
    target_image1_upload_id: str | None = None
    target_image2_upload_id: str | None = None
    enhance: bool | str | None = None
    swap_index: str | list[int] | None = None
    webhook_url: str | None = None


def event_body_bytes(body: str | None, is_base64: bool) -> bytes:
    """The body as bytes, refusing what is over the Lambda payload limit as the function receives it."""
    if body is None:
        return b""
    if len(body) > MAX_EVENT_BODY_BYTES:
        raise ApiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            "The request body is larger than the API accepts; send images by URL instead.",
            {"limit_bytes": MAX_EVENT_BODY_BYTES},
        )
    if not is_base64:
        try:
            return body.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as error:  # a lone surrogate no UTF-8 text can hold
            raise invalid_parameter("body", "The request body is not valid UTF-8.") from error
    try:
        return base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError) as error:
        raise invalid_parameter("body", "The request body could not be decoded.") from error


def parse_inputs(content_type: str | None, body: bytes) -> RawInputs:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "application/json" or (not media_type and body.lstrip()[:1] == b"{"):
        return _parse_json(body) if body.strip() else _json_inputs(JsonSwapBody())
    if not body.strip():
        return RawInputs()  # nothing sent: the answer names the first required field as missing
    if media_type == "multipart/form-data":
        return _parse_multipart(content_type or "", body)
    raise invalid_parameter(
        "Content-Type", "Send multipart/form-data (files) or application/json (image URLs or data URIs)."
    )


def _parse_multipart(content_type: str, body: bytes) -> RawInputs:
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
    boundary = message.get_boundary()
    if boundary and body.strip() == f"--{boundary}--".encode("latin-1", "replace"):
        return RawInputs()  # a form with no fields: the answer names the first required one
    if not message.is_multipart() or (message.defects and not list(message.iter_parts())):
        raise invalid_parameter("body", "The multipart/form-data body could not be read.")
    inputs = RawInputs()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name in JSON_NAME:
            _add_image(inputs, name, name, data)
        elif name.endswith(UPLOAD_ID_SUFFIX) and name.removesuffix(UPLOAD_ID_SUFFIX) in JSON_NAME:
            upload_id = UploadRef(data.decode("utf-8", "replace").strip())
            _add_image(inputs, name.removesuffix(UPLOAD_ID_SUFFIX), name, upload_id)
        elif name in PARAMS:
            inputs.params.setdefault(name, data.decode("utf-8", "replace"))
    return inputs


def _parse_json(body: bytes) -> RawInputs:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:  # ValueError: also numbers past the digit limit
        raise invalid_parameter("body", "The request body is not valid JSON.") from error
    except RecursionError as error:  # arrays or objects nested thousands deep
        raise invalid_parameter("body", "The JSON body is nested too deeply.") from error
    if not isinstance(document, dict):
        raise invalid_parameter("body", "The JSON body must be an object.")
    try:
        parsed = JsonSwapBody.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        parameter = str(first["loc"][0]) if first.get("loc") else "body"
        raise invalid_parameter(parameter, f"{parameter} has the wrong type.") from error
    return _json_inputs(parsed)


def _json_inputs(parsed: JsonSwapBody) -> RawInputs:
    inputs = RawInputs()
    for contract_field, json_name in JSON_NAME.items():
        value = getattr(parsed, json_name)
        inputs.names[contract_field] = json_name
        if value is not None:
            inputs.images[contract_field] = value
        upload_id = getattr(parsed, json_name + UPLOAD_ID_SUFFIX)
        if upload_id is not None:
            _add_image(inputs, contract_field, json_name + UPLOAD_ID_SUFFIX, UploadRef(upload_id))
    for name in PARAMS:
        value = getattr(parsed, name)
        if value is not None:
            inputs.params[name] = value
    return inputs


def _add_image(inputs: RawInputs, contract_field: str, name: str, value: bytes | str | UploadRef) -> None:
    """The first part of a name wins (as before); an image sent both inline and by upload id is refused."""
    present = inputs.images.get(contract_field)
    if present is None:
        inputs.images[contract_field] = value
        inputs.names[contract_field] = name
    elif isinstance(present, UploadRef) != isinstance(value, UploadRef):
        raise invalid_parameter(
            name, f"Send {contract_field} or {contract_field}{UPLOAD_ID_SUFFIX}, not both."
        )
