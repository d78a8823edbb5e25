"""Issue 12's contract additions against the local stack (`python -m infra.local.stack` in a child process,
moto over HTTP, a real worker): a large image uploaded with a plain HTTP POST to the presigned S3 form and
swapped by upload id, `Prefer: wait`, and the OpenAPI document fuzzed by schemathesis (the API's routes
with a key, the dashboard's without a token and with one)."""

from __future__ import annotations

import base64
import io
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from PIL import Image
from schemathesis import GenerationMode

from functions.api.openapi import api_routes, dashboard_routes
from infra.local.stack_process import LocalStackProcess
from tests import face_photos
from tests.offline_models import offline_model_dir

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

# What the Lambda function can receive directly (6 MB event, multipart base64-encoded on the way).
DIRECT_LIMIT_BYTES = 6 * 1024 * 1024 * 3 // 4


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    process = LocalStackProcess(log_path=log, plan="enterprise", model_dir=offline_model_dir())
    process.start(timeout=300)
    yield process
    process.stop()


def upload(stack: LocalStackProcess, data: bytes, content_type: str = "image/jpeg") -> str:
    created = requests.post(
        f"{stack.base_url}/api/uploads",
        json={"content_type": content_type, "content_length": len(data)},
        headers={"X-Api-Key": stack.api_key},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    form = created.json()
    assert form["max_bytes"] == 25 * 1024 * 1024 and form["upload_id"].startswith("upl_")
    # A plain browser-style form POST: the fields, then the file (S3 wants it last).
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("image", data, content_type)}, timeout=60
    )
    assert posted.status_code in (200, 201, 204), posted.text
    return form["upload_id"]


def test_a_large_image_is_uploaded_then_swapped_by_id_and_prefer_wait_returns_the_result(
    stack: LocalStackProcess,
) -> None:
    scene = face_photos.large_jpeg(4, DIRECT_LIMIT_BYTES)
    assert len(scene) > DIRECT_LIMIT_BYTES  # too large to send in the request itself
    source_id, scene_id = upload(stack, face_photos.one_face(1)), upload(stack, scene)

    answer = requests.post(
        f"{stack.base_url}/api/faceswap/basicswap",
        data={"srcimage_upload_id": source_id, "targetimage_upload_id": scene_id},
        files={"enhance": (None, "false")},
        headers={"X-Api-Key": stack.api_key, "Prefer": "wait=20"},
        timeout=60,
    )

    if answer.status_code == 201:  # a slow machine: the wait ran out first; the task still completes
        body = requests.get(
            f"{stack.base_url}{answer.json()['status_url']}", headers={"X-Api-Key": stack.api_key}, timeout=30
        ).json()
        pytest.fail(f"the swap of an uploaded image did not end within the 20 s wait: {body['status']}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Preference-Applied"] == "wait=20"
    assert answer.headers["X-RateLimit-Remaining"].isdigit()
    status = answer.json()
    assert status["status"] == "completed", status
    result = Image.open(io.BytesIO(requests.get(status["image_url"], timeout=60).content))
    assert result.format == "JPEG" and result.size == Image.open(io.BytesIO(scene)).size


def test_the_upload_form_binds_type_size_and_time(stack: LocalStackProcess) -> None:
    """moto does not enforce a POST policy's conditions; S3 does. So the policy itself is checked."""
    created = requests.post(
        f"{stack.base_url}/api/uploads",
        json={"content_type": "image/png", "content_length": 1000},
        headers={"X-Api-Key": stack.api_key},
        timeout=30,
    ).json()
    policy = json.loads(base64.b64decode(created["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 1000] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert created["fields"]["Content-Type"] == "image/png"
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    assert abs(datetime.fromisoformat(created["expires_at"]) - expires) < timedelta(seconds=5)


# ---- the OpenAPI document, fuzzed ----------------------------------------------------------------------

# What the issue asks of every answer: no 5xx, and status, content type, headers and body as documented.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]
# A few dozen cases per operation and mode: about a minute on a 2-core machine.
EXAMPLES_PER_OPERATION = 25


# The dashboard's routes answer without the plan or the engine (but sign-up): fewer cases keep them ~20 s.
DASHBOARD_EXAMPLES_PER_OPERATION = 10


def fuzzed_operations(
    stack: LocalStackProcess, routes: set[tuple[str, str]]
) -> list[schemathesis.APIOperation]:
    # The document as the stack serves it.
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/api/openapi.json")
    schema.config.update(base_url=stack.base_url)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if (op.method.upper(), op.path) in routes]


def fuzz(
    operation: schemathesis.APIOperation, mode: GenerationMode, headers: dict[str, str], examples: int
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    try:
        conforms()
    except Unsatisfiable:
        # Negative mode on an operation with nothing to make invalid (GET /api/health).
        assert mode is GenerationMode.NEGATIVE and not list(operation.iter_parameters()), operation.label


# schemathesis' pytest plugin (parametrize/from_fixture) does not run under pytest 9: Hypothesis drives
# each operation's strategy directly instead.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_conforms_to_the_openapi_document(
    stack: LocalStackProcess, mode: GenerationMode
) -> None:
    operations = fuzzed_operations(stack, api_routes())
    # Every route the API function serves but the document's own URL, which schemathesis leaves out.
    assert {(op.method.upper(), op.path) for op in operations} == api_routes() - {
        ("GET", "/api/openapi.json")
    }
    for operation in operations:
        fuzz(operation, mode, {"X-Api-Key": stack.api_key}, EXAMPLES_PER_OPERATION)


def _dashboard_token(stack: LocalStackProcess) -> str:
    """A fresh account's ID token, through the stack's own sign-up, confirmation and sign-in (moto's
    Cognito takes any confirmation code)."""
    credentials = {"email": f"fuzz-{secrets.token_hex(4)}@example.com", "password": "Faceswap2026"}
    base = f"{stack.base_url}/api/dashboard/auth"
    assert requests.post(f"{base}/signup", json=credentials, timeout=30).status_code == 201
    confirmation = {"email": credentials["email"], "code": "123456"}
    assert requests.post(f"{base}/confirm", json=confirmation, timeout=30).status_code == 200
    signed_in = requests.post(f"{base}/signin", json=credentials, timeout=30)
    assert signed_in.status_code == 200, signed_in.text
    return str(signed_in.json()["id_token"])


@pytest.mark.parametrize("signed_in", [False, True], ids=["no-token", "token"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_dashboard_answer_conforms_to_the_openapi_document(
    stack: LocalStackProcess, mode: GenerationMode, signed_in: bool
) -> None:
    """Without a token every signed-in route answers the documented 401 envelope; with one, the account's
    real answers (keys made and changed by fuzzed ids, face boxes of fuzzed bytes). Sign-up, confirmation
    and sign-in answer fuzzed bodies either way."""
    operations = fuzzed_operations(stack, dashboard_routes())
    assert {(op.method.upper(), op.path) for op in operations} == dashboard_routes()
    headers = {"Authorization": f"Bearer {_dashboard_token(stack)}"} if signed_in else {}
    for operation in operations:
        fuzz(operation, mode, headers, DASHBOARD_EXAMPLES_PER_OPERATION)
