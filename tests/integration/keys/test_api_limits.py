"""The same guarantees through the real API function (functions.api.handler) behind the local stack's
API Gateway stand-in: every authenticated submission counts before validation, polls do not, and of 2N
simultaneous submissions against N left exactly N pass. Submissions here carry no images (400 at once):
they count all the same and keep the test fast."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from core.models.plan import Plan
from infra.local.http_adapter import api_handler
from tests.integration.keys.helpers import MakeKey, serving

# The API's metrics flush on every call; these requests add none.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

SWAP_ENDPOINTS = ("basicswap", "faceswap2", "swap1from2", "swapfacesameimage")


@pytest.fixture(scope="module")
def base_url(aws_env: dict[str, str]) -> Iterator[str]:
    with serving(api_handler()) as url:
        yield url


def submit(base_url: str, api_key: str, endpoint: str = "basicswap") -> requests.Response:
    return requests.post(
        f"{base_url}/api/faceswap/{endpoint}", json={}, headers={"X-Api-Key": api_key}, timeout=30
    )


@pytest.mark.usefixtures("away_from_hour_end")
def test_every_swap_endpoint_counts_and_polls_do_not(base_url: str, make_key: MakeKey) -> None:
    api_key, _ = make_key(Plan.FREE)
    answers = [submit(base_url, api_key, endpoint) for endpoint in SWAP_ENDPOINTS]
    assert [a.status_code for a in answers] == [400] * 4
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["49", "48", "47", "46"]

    unknown = requests.get(
        f"{base_url}/api/task-status/{'0' * 32}", headers={"X-Api-Key": api_key}, timeout=30
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert (unknown.headers["X-RateLimit-Limit"], unknown.headers["X-RateLimit-Remaining"]) == ("50", "46")
    assert unknown.headers["X-RateLimit-Reset"] == str((int(time.time()) // 3600 + 1) * 3600)


@pytest.mark.usefixtures("away_from_hour_end")
def test_2n_simultaneous_submissions_against_n_left(base_url: str, make_key: MakeKey) -> None:
    n = 10
    api_key, _ = make_key(Plan.ENTERPRISE, hourly=n + 3, daily=1_000)
    assert [submit(base_url, api_key).status_code for _ in range(3)] == [400] * 3
    start = threading.Barrier(2 * n)

    def at_once(_: int) -> requests.Response:
        start.wait()
        return submit(base_url, api_key)

    with ThreadPoolExecutor(max_workers=2 * n) as pool:
        answers = list(pool.map(at_once, range(2 * n)))

    passed = [a for a in answers if a.status_code != 429]
    refused = [a for a in answers if a.status_code == 429]
    assert len(passed) == n and len(refused) == n
    assert all(a.status_code == 400 for a in passed)
    assert sorted(int(a.headers["X-RateLimit-Remaining"]) for a in passed) == list(range(n))
    for answer in refused:
        error = answer.json()["error"]
        assert error["code"] == "rate_limit_exceeded"
        assert error["details"]["reset_at"] == int(answer.headers["X-RateLimit-Reset"])
        assert int(answer.headers["Retry-After"]) >= 1 and answer.headers["X-RateLimit-Remaining"] == "0"
