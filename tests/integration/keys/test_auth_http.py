"""Keys and limits as a client sees them: real HTTP through the local stack's API Gateway stand-in, the
real middlewares in a Powertools app (limit_app), DynamoDB on moto."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from freezegun import freeze_time

from core.adapters.key_table import KeyTable
from core.logic.key_service import revoke_key
from core.models.plan import Plan
from tests.integration.keys import limit_app
from tests.integration.keys.helpers import MakeKey, serving

SWAP = "/api/faceswap/basicswap"
HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture(scope="module")
def base_url(aws_env: dict[str, str]) -> Iterator[str]:
    with serving(limit_app.lambda_handler) as url:
        yield url


def post(base_url: str, api_key: str | None, body: dict[str, str] | None = None) -> requests.Response:
    headers = {"X-Api-Key": api_key} if api_key is not None else {}
    return requests.post(f"{base_url}{SWAP}", json=body or {}, headers=headers, timeout=30)


def poll(base_url: str, api_key: str, task_id: str = "t1") -> requests.Response:
    return requests.get(f"{base_url}/api/task-status/{task_id}", headers={"x-api-key": api_key}, timeout=30)


def next_hour() -> int:
    return (int(time.time()) // 3600 + 1) * 3600


def test_no_key_or_a_wrong_key_gets_401_without_limit_headers(base_url: str) -> None:
    missing = post(base_url, None)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "api_key_required"
    wrong = post(base_url, "fsk_not_a_key")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    for answer in (missing, wrong):
        assert not any(name in answer.headers for name in HEADERS)


@pytest.mark.usefixtures("away_from_hour_end")
def test_every_submission_counts_and_every_answer_says_so(base_url: str, make_key: MakeKey) -> None:
    api_key, _ = make_key(Plan.FREE)
    invalid = post(base_url, api_key)
    valid = post(base_url, api_key, {"source_image": "data:..."})
    failed = post(base_url, api_key, {"source_image": "explode"})

    assert [r.status_code for r in (invalid, valid, failed)] == [400, 201, 500]
    assert invalid.json()["error"]["code"] == "invalid_parameter"
    assert failed.json()["error"]["code"] == "server_error"
    assert [r.headers["X-RateLimit-Remaining"] for r in (invalid, valid, failed)] == ["49", "48", "47"]
    for answer in (invalid, valid, failed):
        assert answer.headers["X-RateLimit-Limit"] == "50"
        assert answer.headers["X-RateLimit-Reset"] == str(next_hour())
        assert "Retry-After" not in answer.headers


@pytest.mark.usefixtures("away_from_hour_end")
def test_429_body_headers_and_retry_after(base_url: str, make_key: MakeKey) -> None:
    api_key, _ = make_key(Plan.ENTERPRISE, hourly=2, daily=10)
    assert [post(base_url, api_key).status_code for _ in range(2)] == [400, 400]

    refused = post(base_url, api_key, {"source_image": "data:..."})

    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/json"
    error = refused.json()["error"]
    assert refused.json()["success"] is False and error["code"] == "rate_limit_exceeded"
    assert error["details"]["reset_at"] == next_hour() == int(refused.headers["X-RateLimit-Reset"])
    assert error["details"]["window"] == "hour"
    assert (refused.headers["X-RateLimit-Limit"], refused.headers["X-RateLimit-Remaining"]) == ("2", "0")
    assert 0 < int(refused.headers["Retry-After"]) <= next_hour() - int(time.time()) + 1


@pytest.mark.usefixtures("away_from_hour_end")
def test_status_polls_do_not_count_but_carry_the_headers(base_url: str, make_key: MakeKey) -> None:
    api_key, _ = make_key(Plan.BASIC)
    post(base_url, api_key)
    found, missing = poll(base_url, api_key), poll(base_url, api_key, "missing")
    assert (found.status_code, missing.status_code) == (200, 404)
    for answer in (found, missing):
        assert (answer.headers["X-RateLimit-Limit"], answer.headers["X-RateLimit-Remaining"]) == (
            "200",
            "199",
        )
    assert post(base_url, api_key).headers["X-RateLimit-Remaining"] == "198"


def test_status_polls_are_held_to_ten_a_second(base_url: str, make_key: MakeKey) -> None:
    api_key, _ = make_key(Plan.FREE)
    with freeze_time("2026-05-04T12:00:00.100Z") as frozen:
        answers = [poll(base_url, api_key) for _ in range(11)]
        assert [a.status_code for a in answers] == [200] * 10 + [429]
        refused = answers[-1]
        assert refused.json()["error"]["details"]["window"] == "second"
        assert refused.json()["error"]["details"]["reset_at"] == 1777896001  # 12:00:01
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["X-RateLimit-Remaining"] == "50"  # the plan is untouched
        frozen.tick(1.0)
        assert poll(base_url, api_key).status_code == 200


def test_a_revoked_key_stops_at_once(base_url: str, key_table: KeyTable, make_key: MakeKey) -> None:
    api_key, record = make_key()
    assert poll(base_url, api_key).status_code == 200  # the key is now in the handler's cache
    revoke_key(key_table, record.key_id)
    for answer in (poll(base_url, api_key), post(base_url, api_key)):
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_api_key"
        assert "X-RateLimit-Remaining" not in answer.headers


@pytest.mark.usefixtures("away_from_hour_end")
def test_2n_simultaneous_submissions_against_n_left(base_url: str, make_key: MakeKey) -> None:
    n = 10
    api_key, _ = make_key(Plan.ENTERPRISE, hourly=n + 5, daily=1_000)
    assert [post(base_url, api_key).status_code for _ in range(5)] == [400] * 5
    start = threading.Barrier(2 * n)

    def submit(_: int) -> requests.Response:
        start.wait()
        return post(base_url, api_key)  # invalid (no images): counted all the same, and cheap

    with ThreadPoolExecutor(max_workers=2 * n) as pool:
        answers = list(pool.map(submit, range(2 * n)))

    passed = [a for a in answers if a.status_code != 429]
    refused = [a for a in answers if a.status_code == 429]
    assert len(passed) == n and len(refused) == n
    assert all(a.status_code == 400 for a in passed)
    assert sorted(int(a.headers["X-RateLimit-Remaining"]) for a in passed) == list(range(n))
    assert all(a.headers["X-RateLimit-Remaining"] == "0" and "Retry-After" in a.headers for a in refused)
