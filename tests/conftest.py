"""Shared fixtures: one moto server (real HTTP, real AWS wire protocol) per test session, with the
bucket, queues and tables created from template.yaml; and the IAM check every test passes through:
each AWS call the API function, the DLQ function or the worker makes must be one the template's role
for that process allows (tests/aws_calls.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from core.adapters import clients
from core.settings import Settings, get_settings
from infra.local.moto_server import LOCAL_CREDENTIALS, start_moto
from infra.local.resources import create_resources
from tests.aws_calls import RECORDER

RECORDER.install()


@pytest.fixture(scope="session")
def aws_env() -> Iterator[dict[str, str]]:
    """A moto server on 127.0.0.1 with template.yaml's resources; the process env points at it."""
    saved = dict(os.environ)
    server, endpoint = start_moto()
    os.environ.update(LOCAL_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    env = create_resources(stage="test")
    os.environ.update(env)
    get_settings.cache_clear()
    clients.reset()
    try:
        yield {**env, "AWS_ENDPOINT_URL": endpoint, **LOCAL_CREDENTIALS}
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        clients.reset()


@pytest.fixture()
def settings(aws_env: dict[str, str]) -> Settings:
    return get_settings()


@pytest.fixture(autouse=True)
def aws_calls_allowed_by_the_template() -> Iterator[None]:
    """Fail the test if the code made an AWS call its process's role in template.yaml does not allow."""
    first = len(RECORDER.calls)
    yield
    refused = RECORDER.refused(RECORDER.calls[first:])
    if refused:
        pytest.fail("AWS calls the template's IAM roles do not allow:\n  " + "\n  ".join(refused))
