"""What the key and limit checks add to each request (`make bench`): p50/p99 per chain, against moto.

    python -m benchmarks.auth_bench [--requests 300] [--json bench-results/auth.json]

Starts a moto server on 127.0.0.1 with template.yaml's tables and one enterprise key, then resolves
API Gateway events through Powertools in this process (no HTTP in front: only the checks are
measured). Each route returns the same 201; they differ only in the middleware chain:

- none:                 no middleware (the baseline);
- swap chain:           SWAP_MIDDLEWARES (key from the cache + hour and day counters: 2 UpdateItem);
- swap chain, no cache: the same with the key cache off (+1 GetItem per request);
- status chain:         STATUS_MIDDLEWARES (key from the cache + the per-second poll counter and a
                        read of the plan counters for the headers: 1 UpdateItem + 1 BatchGetItem).

Requests alternate between the routes so drift affects them alike. moto on loopback answers in about
a millisecond or two; DynamoDB in-region typically takes a few, so in a stage expect the added time to
scale with the number of DynamoDB calls listed above rather than with these figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STATUS_POLL_SPACING_SECONDS = 0.1  # stay under 10 polls per second per key: a refusal is not the point


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[q - 1]


def event(method: str, path: str, api_key: str) -> dict[str, Any]:
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"X-Api-Key": api_key, "Content-Type": "application/json"},
        "multiValueHeaders": {"X-Api-Key": [api_key], "Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "requestContext": {"requestId": "bench", "stage": "bench", "httpMethod": method, "path": path},
        "body": "{}",
        "isBase64Encoded": False,
    }


def build_app() -> Any:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

    from functions.api.middlewares import STATUS_MIDDLEWARES, SWAP_MIDDLEWARES

    app = APIGatewayRestResolver()

    def created() -> Response:
        return Response(201, "application/json", '{"success": true}')

    app.post("/none")(created)
    app.post("/swap", middlewares=SWAP_MIDDLEWARES)(created)
    app.post("/swap-uncached", middlewares=SWAP_MIDDLEWARES)(created)
    app.get("/status", middlewares=STATUS_MIDDLEWARES)(created)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="timed requests per chain")
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "auth.json")
    args = parser.parse_args(argv)

    from core.adapters import clients
    from core.adapters.key_table import KeyTable
    from core.logic.key_service import create_key, key_cache
    from core.models.plan import Plan
    from core.settings import get_settings
    from infra.local.lambda_context import LocalLambdaContext
    from infra.local.moto_server import point_boto3_at, start_moto
    from infra.local.resources import create_resources

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request log
    server, endpoint = start_moto()
    try:
        point_boto3_at(endpoint)
        os.environ.update(create_resources(stage="bench"))
        get_settings.cache_clear()
        clients.reset()
        settings = get_settings()
        api_key, _ = create_key(
            KeyTable(settings.api_keys_table), plan=Plan.ENTERPRISE, hourly_limit=10**9, daily_limit=10**9
        )
        app = build_app()
        context = LocalLambdaContext(aws_request_id="bench")

        last_poll = [0.0]

        def timed(method: str, path: str, before: Callable[[], None] = lambda: None) -> float:
            before()
            if method == "GET":  # space status polls (untimed), so none is refused
                time.sleep(max(0.0, last_poll[0] + STATUS_POLL_SPACING_SECONDS - time.monotonic()))
                last_poll[0] = time.monotonic()
            started = time.perf_counter()
            answer = app.resolve(event(method, path, api_key), context)
            elapsed = (time.perf_counter() - started) * 1000
            if answer["statusCode"] != 201:
                raise RuntimeError(f"{method} {path} answered {answer['statusCode']}: {answer['body']}")
            return elapsed

        chains: dict[str, tuple[str, str, Callable[[], None]]] = {
            "none": ("POST", "/none", lambda: None),
            "swap chain": ("POST", "/swap", lambda: None),
            "swap chain, no cache": ("POST", "/swap-uncached", key_cache.clear),
            "status chain": ("GET", "/status", lambda: None),
        }
        samples: dict[str, list[float]] = {name: [] for name in chains}
        for _ in range(10):  # warm-up: imports, connections, the key cache
            for method, path, before in chains.values():
                timed(method, path, before)
        for _ in range(args.requests):
            for name, (method, path, before) in chains.items():
                samples[name].append(timed(method, path, before))
    finally:
        server.stop()

    # Requests alternate, so request i of a chain and request i without one ran moments apart: their
    # difference is what the chain added to that request.
    header = f"{'chain':<22} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'added p50':>10} {'added p99':>10}"
    print(
        "\nKey and limit checks per request (Powertools resolve in-process, DynamoDB on moto over loopback)"
    )
    print(header)
    print("-" * len(header))
    results: dict[str, dict[str, float]] = {}
    for name, values in samples.items():
        added = [with_chain - without for with_chain, without in zip(values, samples["none"], strict=True)]
        row = {
            "n": len(values),
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "added_p50_ms": percentile(added, 50),
            "added_p99_ms": percentile(added, 99),
        }
        results[name] = row
        print(
            f"{name:<22} {row['n']:>5} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['added_p50_ms']:>10.2f} {row['added_p99_ms']:>10.2f}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"auth_checks": results}, indent=2))
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
