"""The SDK's requests and answers, against a scripted fake of the API (hermetic: no network)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import faceswap_sdk
import pytest
from faceswap_sdk import AsyncClient, Client
from faceswap_sdk._requests import LARGE_IMAGE_BYTES
from faceswap_sdk.errors import (
    ERRORS_BY_CODE,
    ApiError,
    FaceCountMismatchError,
    InvalidApiKeyError,
    NoFaceDetectedError,
    RateLimitExceededError,
    ServerError,
    WaitTimeout,
)
from sdk_fake_api import BASE, FakeApi, envelope, queued, status

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
DOCUMENTED = {
    "invalid_parameter": 400,
    "api_key_required": 401,
    "invalid_api_key": 401,
    "forbidden": 403,
    "not_found": 404,
    "payload_too_large": 413,
    "rate_limit_exceeded": 429,
    "no_face_detected": 400,
    "face_count_mismatch": 400,
    "face_index_out_of_range": 400,
    "invalid_image_format": 400,
    "server_error": 500,
    "webhook_secret_missing": 400,
    "idempotency_key_reused": 409,
    "idempotency_key_in_progress": 409,
}


class Sleeps:
    """A clock that moves only when slept on, so waits are exact and instant."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def clock(self) -> float:
        return self.now


def client(api: FakeApi, sleeps: Sleeps | None = None) -> Client:
    sleeps = sleeps or Sleeps()
    return Client("fsk_test", base_url=BASE, transport=api.transport, sleep=sleeps.sleep, clock=sleeps.clock)


def parts(request) -> dict[str, tuple[str | None, bytes]]:  # multipart name -> (filename, bytes)
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode() + request.content
    )
    return {
        p.get_param("name", header="content-disposition"): (p.get_filename(), p.get_payload(decode=True))
        for p in message.iter_parts()
    }


@pytest.mark.parametrize(("code", "http_status"), DOCUMENTED.items())
def test_every_documented_code_has_its_own_exception(api: FakeApi, code: str, http_status: int):
    api.answer(
        "GET",
        "/api/task-status/abc",
        http_status,
        envelope(code, "why", parameter="x"),
        **{"Retry-After": "3"},
    )
    with pytest.raises(ApiError) as caught:
        client(api).get_task("abc")
    assert type(caught.value) is ERRORS_BY_CODE[code]
    assert (caught.value.code, caught.value.status_code, caught.value.message) == (code, http_status, "why")
    assert caught.value.details == {"parameter": "x"}
    assert len(set(ERRORS_BY_CODE.values())) == len(ERRORS_BY_CODE)


def test_unknown_codes_and_bare_5xx_are_still_typed(api: FakeApi):
    api.answer("GET", "/api/task-status/a", 418, envelope("teapot"))
    api.answer("GET", "/api/task-status/b", 502, b"<html>bad gateway</html>")
    with pytest.raises(ApiError) as caught:
        client(api).get_task("a")
    assert caught.value.code == "teapot" and type(caught.value) is ApiError
    with pytest.raises(ServerError):
        client(api).get_task("b")


def test_files_go_as_multipart_with_the_contract_field_names(api: FakeApi, tmp_path: Path):
    source = tmp_path / "me.jpg"
    source.write_bytes(JPEG)
    api.answer("POST", "/api/faceswap/swap1from2", 201, queued())
    task = client(api).swap_one_from_two(source, PNG, str(source), enhance=True, idempotency_key="retry-1")
    assert (task.task_id, task.status) == ("t" * 32, "queued")
    (request,) = api.requests
    assert request.headers["x-api-key"] == "fsk_test"
    assert request.headers["idempotency-key"] == "retry-1"
    sent = parts(request)
    assert sent["srcimage"] == ("me.jpg", JPEG)
    assert sent["targetimage1"] == ("targetimage1.png", PNG)
    assert sent["targetimage2"] == ("me.jpg", JPEG)
    assert sent["enhance"] == (None, b"true")


def test_a_url_sends_json_and_bytes_beside_it_become_data_uris(api: FakeApi):
    api.answer("POST", "/api/faceswap/faceswap2", 201, queued())
    client(api).couple_swap(
        "https://example.com/a.jpg", JPEG, swap_index=(1, 0), webhook_url="https://me.example/hook", wait=5
    )
    (request,) = api.requests
    assert request.headers["prefer"] == "wait=5"
    body = json.loads(request.content)
    assert body["source_image"] == "https://example.com/a.jpg"
    assert body["target_image"].startswith("data:image/jpeg;base64,")
    assert (body["swap_index"], body["enhance"], body["webhook_url"]) == (
        "1,0",
        False,
        "https://me.example/hook",
    )


def test_prefer_wait_out_of_range_is_refused_before_sending(api: FakeApi):
    with pytest.raises(ValueError, match="wait"):
        client(api).swap_same_image(JPEG, wait=60)
    assert api.requests == []


def test_wait_backs_off_and_honours_retry_after_then_downloads(api: FakeApi, tmp_path: Path):
    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("queued"))
    api.answer(
        "GET",
        "/api/task-status/" + "t" * 32,
        429,
        envelope("rate_limit_exceeded", reset_at=None),
        **{"Retry-After": "7"},
    )
    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("processing"))
    api.answer(
        "GET",
        "/api/task-status/" + "t" * 32,
        200,
        status("completed", image_url="https://s3.test/r.jpg?sig=1"),
    )
    api.answer("GET", "https://s3.test/r.jpg", 200, JPEG)
    sleeps = Sleeps()
    task = faceswap_sdk.Task(client(api, sleeps), queued())
    seen: list[str] = []
    task.wait(on_progress=lambda t, elapsed: seen.append(t.status))
    assert sleeps.slept == [0.5, 7.0, 1.125]  # backoff 0.5 -> 0.75 (raised to Retry-After) -> 1.125
    assert seen[0] == "queued" and seen[-1] == "completed"
    saved = task.download(tmp_path / "out.jpg")
    assert Path(saved).read_bytes() == JPEG
    assert "x-api-key" not in api.requests[-1].headers  # the key never goes to the storage link


def test_a_429_without_retry_after_waits_for_the_rate_limit_reset(api: FakeApi, monkeypatch):
    monkeypatch.setattr("time.time", lambda: 1_000_000.0)
    api.answer(
        "GET",
        "/api/task-status/" + "t" * 32,
        429,
        envelope("rate_limit_exceeded"),
        **{"X-RateLimit-Reset": "1000012"},
    )
    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("completed", image_url="https://s3.test/r"))
    sleeps = Sleeps()
    faceswap_sdk.Task(client(api, sleeps), queued()).wait()
    assert sleeps.slept == [12.0]


def test_a_failed_task_raises_its_code_with_the_task(api: FakeApi):
    error = {"code": "face_count_mismatch", "message": "two faces", "details": {"expected": 1, "found": 2}}
    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("failed", error=error))
    with pytest.raises(FaceCountMismatchError) as caught:
        faceswap_sdk.Task(client(api), queued()).wait()
    assert caught.value.task.status == "failed" and caught.value.details["found"] == 2


def test_wait_gives_up_at_its_timeout(api: FakeApi):
    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("processing"))
    sleeps = Sleeps()
    with pytest.raises(WaitTimeout):
        faceswap_sdk.Task(client(api, sleeps), queued()).wait(timeout=10)
    assert sum(sleeps.slept) <= 10


def test_network_errors_while_waiting_are_retried(api: FakeApi):
    calls = {"n": 0}
    inner = api.handle

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 1:
            import httpx

            raise httpx.ConnectError("connection reset")
        return inner(request)

    import httpx

    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("completed", image_url="https://s3.test/r"))
    sleeps = Sleeps()
    c = Client(
        "k", base_url=BASE, transport=httpx.MockTransport(flaky), sleep=sleeps.sleep, clock=sleeps.clock
    )
    assert faceswap_sdk.Task(c, queued()).wait().status == "completed"
    assert sleeps.slept == [0.5]


def test_input_errors_are_not_retried(api: FakeApi):
    api.answer("POST", "/api/faceswap/basicswap", 400, envelope("no_face_detected", image="srcimage"))
    with pytest.raises(NoFaceDetectedError):
        client(api).basic_swap(JPEG, JPEG)
    assert len(api.requests) == 1


def test_large_images_go_through_uploads_when_the_api_has_them(api: FakeApi):
    big = JPEG + b"\0" * LARGE_IMAGE_BYTES
    grant = {
        "success": True,
        "upload_id": "upl_1",
        "url": "https://s3.test/bucket",
        "fields": {"key": "u/1", "policy": "p"},
    }
    api.answer("POST", "/api/uploads", 201, grant)
    api.answer("POST", "https://s3.test/bucket", 204, b"")
    api.answer("POST", "/api/faceswap/basicswap", 201, queued())
    client(api).basic_swap(big, JPEG)
    uploads, to_s3, submission = api.requests
    assert json.loads(uploads.content) == {"content_type": "image/jpeg", "content_length": len(big)}
    s3_parts = parts(to_s3)
    assert s3_parts["key"] == (None, b"u/1") and s3_parts["file"][1] == big
    assert list(s3_parts)[-1] == "file"  # S3 wants the file last
    sent = parts(submission)
    assert sent["srcimage_upload_id"] == (None, b"upl_1") and "srcimage" not in sent
    assert sent["targetimage"][1] == JPEG


def test_when_every_image_is_uploaded_the_ids_go_as_json(api: FakeApi):
    """A form with no file part would be sent urlencoded, which the API refuses: JSON names the ids."""
    big = JPEG + b"\0" * LARGE_IMAGE_BYTES
    for number in (1, 2):
        grant = {"success": True, "upload_id": f"upl_{number}", "url": "https://s3.test/b", "fields": {}}
        api.answer("POST", "/api/uploads", 201, grant)
    api.answer("POST", "https://s3.test/b", 204, b"")
    api.answer("POST", "/api/faceswap/basicswap", 201, queued())
    client(api).basic_swap(big, big)
    submission = api.requests[-1]
    assert submission.headers["content-type"] == "application/json"
    assert json.loads(submission.content) == {
        "enhance": False,
        "source_image_upload_id": "upl_1",
        "target_image_upload_id": "upl_2",
    }


def test_a_submission_keeps_its_replay_and_rate_limit_headers(api: FakeApi):
    limits = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "41", "X-RateLimit-Reset": "1700000000"}
    api.answer("POST", "/api/faceswap/basicswap", 201, queued(), **limits)
    api.answer("POST", "/api/faceswap/basicswap", 201, queued(), **limits, **{"Idempotent-Replayed": "true"})
    first = client(api).basic_swap(JPEG, JPEG, idempotency_key="k1")
    again = client(api).basic_swap(JPEG, JPEG, idempotency_key="k1")
    assert (first.replayed, again.replayed) == (False, True)
    assert first.rate_limit == faceswap_sdk.RateLimit(limit=100, remaining=41, reset_at=1700000000)
    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("queued"), **limits)
    assert client(api).get_task("t" * 32).rate_limit is None  # a status poll is not a submission


def test_large_images_are_sent_inline_where_there_are_no_uploads(api: FakeApi):
    big = JPEG + b"\0" * LARGE_IMAGE_BYTES
    api.answer("POST", "/api/faceswap/basicswap", 413, envelope("payload_too_large", limit_bytes=6291456))
    with pytest.raises(faceswap_sdk.PayloadTooLargeError):
        client(api).basic_swap(big, JPEG)
    assert [r.url.path for r in api.requests] == ["/api/uploads", "/api/faceswap/basicswap"]


def test_rate_limit_error_names_its_wait(api: FakeApi):
    api.answer(
        "POST", "/api/faceswap/basicswap", 429, envelope("rate_limit_exceeded", reset_at=None, retry_after=60)
    )
    with pytest.raises(RateLimitExceededError) as caught:
        client(api).basic_swap(JPEG, JPEG)
    assert caught.value.retry_after == 60


def test_key_and_base_url_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("FACESWAP_API_KEY", "fsk_env")
    monkeypatch.setenv("FACESWAP_BASE_URL", "https://env.test/")
    c = Client()
    assert (c.api_key, c.base_url) == ("fsk_env", "https://env.test")
    monkeypatch.delenv("FACESWAP_API_KEY")
    with pytest.raises(ValueError, match="API key"):
        Client()


def test_the_async_client_does_the_same(api: FakeApi, tmp_path: Path):
    api.answer("POST", "/api/faceswap/swapfacesameimage", 201, queued())
    api.answer("GET", "/api/task-status/" + "t" * 32, 200, status("processing"))
    api.answer(
        "GET", "/api/task-status/" + "t" * 32, 200, status("completed", image_url="https://s3.test/r.png")
    )
    api.answer("GET", "https://s3.test/r.png", 200, PNG)
    api.answer("POST", "/api/webhooks/secret", 201, {"success": True, "webhook_secret": "whsec_abc"})
    sleeps = Sleeps()

    async def scenario() -> bytes:
        async with AsyncClient(
            "k", base_url=BASE, transport=api.transport, sleep=sleeps.asleep, clock=sleeps.clock
        ) as c:
            task = await c.swap_same_image(PNG, enhance=True)
            await task.wait()
            assert await c.rotate_webhook_secret() == "whsec_abc"
            return await task.download()

    assert asyncio.run(scenario()) == PNG
    assert sleeps.slept == [0.5]
    assert parts(api.requests[0])["srcimage"][1] == PNG


def test_async_errors_are_typed_too(api: FakeApi):
    api.answer("GET", "/api/task-status/x", 401, envelope("invalid_api_key"))

    async def scenario() -> None:
        async with AsyncClient("k", base_url=BASE, transport=api.transport) as c:
            await c.get_task("x")

    with pytest.raises(InvalidApiKeyError):
        asyncio.run(scenario())


def test_a_submission_with_an_idempotency_key_is_resent_after_a_network_error_or_409(api: FakeApi):
    import httpx

    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("no answer")
        return api.handle(request)

    api.answer(
        "POST",
        "/api/faceswap/basicswap",
        409,
        envelope("idempotency_key_in_progress"),
        **{"Retry-After": "1"},
    )
    api.answer("POST", "/api/faceswap/basicswap", 201, queued())
    sleeps = Sleeps()
    c = Client(
        "k", base_url=BASE, transport=httpx.MockTransport(flaky), sleep=sleeps.sleep, clock=sleeps.clock
    )
    task = c.basic_swap(JPEG, JPEG, idempotency_key="order-7")
    assert task.status == "queued" and sleeps.slept == [0.5, 1.0]
    assert {r.headers["idempotency-key"] for r in api.requests} == {"order-7"}


def test_a_submission_without_an_idempotency_key_is_never_resent(api: FakeApi):
    import httpx

    def down(request):
        raise httpx.ConnectError("refused")

    c = Client("k", base_url=BASE, transport=httpx.MockTransport(down), sleep=lambda s: None)
    with pytest.raises(faceswap_sdk.TransportError):
        c.basic_swap(JPEG, JPEG)
