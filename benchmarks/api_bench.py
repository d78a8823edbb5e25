"""API latency on the local stack (`make bench`): POST basicswap -> completed, and a task-status GET.

    python -m benchmarks.api_bench [--photos ../shared/faces] [--limit N] [--status-samples 50]
                                   [--json bench-results/api.json]

Starts `python -m infra.local.stack` (moto, the API behind the local API Gateway stand-in, one worker
process) on free ports, then, one request at a time, swaps every ordered pair of distinct one-face
photos in --photos (the folder's README table says which hold one face). A swap's time runs from
sending the POST to the first status poll that reads `completed`; polls go out every 110 ms (status
polls are limited to 10 per second per key), which bounds the resolution. Pairs the API refuses are
counted apart. Without the photos folder the benchmark says so and exits 0.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from infra.local.api_client import FaceSwapClient
from infra.local.stack_process import LocalStackProcess

ROOT = Path(__file__).resolve().parents[1]
POLL_INTERVAL_SECONDS = 0.11
CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


@dataclass
class Sample:
    pair: str
    task_id: str
    submit_ms: float
    total_ms: float | None  # None when the task failed
    outcome: str
    engine: dict[str, str] | None = None


def one_face_photos(folder: Path) -> list[Path]:
    """Photos the folder's README lists with 1 face; every photo when there is no such table."""
    readme = folder / "README.md"
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in CONTENT_TYPES)
    if not readme.exists():
        return photos
    one_face = set(
        re.findall(r"^\|\s*([^|\s]+)\s*\|[^|]*\|\s*1\s*\|", readme.read_text(), flags=re.MULTILINE)
    )
    return [p for p in photos if p.name in one_face]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q) - 1]


def swap_once(api: FaceSwapClient, source: Path, target: Path) -> Sample:
    files = {
        "srcimage": (source.name, source.read_bytes(), CONTENT_TYPES[source.suffix.lower()]),
        "targetimage": (target.name, target.read_bytes(), CONTENT_TYPES[target.suffix.lower()]),
    }
    pair = f"{source.name} -> {target.name}"
    started = time.perf_counter()
    response = api.submit("basicswap", files)
    submit_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 201:
        return Sample(pair, "", submit_ms, None, f"{response.status_code} {response.json()['error']['code']}")
    task_id = response.json()["task_id"]
    final = api.wait(task_id, timeout=300, interval=POLL_INTERVAL_SECONDS)
    total_ms = (time.perf_counter() - started) * 1000
    if final["status"] != "completed":
        return Sample(pair, task_id, submit_ms, None, f"failed {final['error']['code']}")
    return Sample(pair, task_id, submit_ms, total_ms, "completed", final.get("engine"))


def status_gets(api: FaceSwapClient, task_id: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = api.status(task_id)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        time.sleep(POLL_INTERVAL_SECONDS)
    return times


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34} {0:>4}"
    return (
        f"{name:<34} {len(values):>4} {percentile(values, 50):>9.0f} {percentile(values, 95):>9.0f} "
        f"{statistics.fmean(values):>9.0f} {min(values):>9.0f} {max(values):>9.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument("--limit", type=int, default=0, help="at most this many pairs (0: all)")
    parser.add_argument("--status-samples", type=int, default=50)
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "api.json")
    args = parser.parse_args(argv)

    if not args.photos.is_dir():
        print(f"api bench: skipped, no photos folder at {args.photos} (pass --photos DIR)")
        return 0
    photos = one_face_photos(args.photos)
    pairs = list(itertools.permutations(photos, 2))[: args.limit or None]
    if not pairs:
        print(f"api bench: skipped, no one-face photos in {args.photos}")
        return 0

    with tempfile.TemporaryDirectory(prefix="api-bench-") as scratch:
        stack = LocalStackProcess(log_path=Path(scratch) / "stack.log", plan="pro")
        print(f"api bench: starting the local stack ({len(pairs)} basicswap pairs from {args.photos}) ...")
        with stack:
            api = FaceSwapClient(stack.base_url, stack.api_key)
            # One untimed swap first: the first request pays for imports and model warm-up.
            swap_once(api, *pairs[0])
            samples = [swap_once(api, source, target) for source, target in pairs]
            done = [s for s in samples if s.total_ms is not None]
            # Status reads of a completed task: the answer every poll ends with (it signs an image URL).
            status_ms = status_gets(api, done[-1].task_id, args.status_samples) if done else []

    header = f"{'metric (ms)':<34} {'n':>4} {'p50':>9} {'p95':>9} {'mean':>9} {'min':>9} {'max':>9}"
    engine = next((s.engine for s in done if s.engine), None) or {}
    described = ", ".join(f"{k} {v}" for k, v in engine.items()) or "unknown"
    print(f"\nFaceSwap API on the local stack, one worker (engine: {described})")
    print(header)
    print("-" * len(header))
    print(row("POST basicswap -> completed", [s.total_ms for s in done if s.total_ms is not None]))
    print(row("POST basicswap (answer 201)", [s.submit_ms for s in done]))
    print(row("GET /api/task-status/{id}", status_ms))
    refused = [s for s in samples if s.total_ms is None]
    if refused:
        print(f"\nnot completed ({len(refused)} of {len(samples)}):")
        for sample in refused:
            print(f"  {sample.pair}: {sample.outcome}")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "pairs": [sample.__dict__ for sample in samples],
                "status_get_ms": status_ms,
                "poll_interval_ms": POLL_INTERVAL_SECONDS * 1000,
            },
            indent=2,
        )
    )
    print(f"\nraw figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
