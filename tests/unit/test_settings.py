"""Settings' defaults name the local stack's resources, so `faceswap-admin keys ...` needs only
the endpoint."""

from __future__ import annotations

import pytest

from core.settings import Settings
from infra.local.resources import physical_name
from infra.local.template import function_environment, load_template


def test_defaults_are_the_local_stacks_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in function_environment():
        monkeypatch.delenv(variable, raising=False)
    defaults = Settings().model_dump(by_alias=True)
    for variable, value in function_environment().items():
        parameters = load_template()["Parameters"]  # LogLevel: not a resource, no name to default
        if (
            isinstance(value, dict)
            and "Ref" in value
            and value["Ref"] != "Stage"
            and value["Ref"] not in parameters
        ):
            if variable.endswith("_URL"):
                continue  # queue URLs carry the endpoint; only the stack knows it
            assert defaults[variable] == physical_name("local", value["Ref"]), variable


def test_face_resolution_is_read_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from engine_layer.detection.thresholds import DEFAULT_FACE_RESOLUTION

    monkeypatch.delenv("FACESWAP_FACE_RESOLUTION", raising=False)
    assert Settings().face_resolution == DEFAULT_FACE_RESOLUTION
    monkeypatch.setenv("FACESWAP_FACE_RESOLUTION", "512")
    assert Settings().face_resolution == 512
    monkeypatch.setenv("FACESWAP_FACE_RESOLUTION", "64")  # too small for dlib's landmarks to hold
    with pytest.raises(ValidationError):
        Settings()
