"""Load with a crash, and throughput by worker count, on the local stack (`make bench`).

    python -m benchmarks.load_bench [--submissions 200] [--keys 10] [--workers 2] [--throughput 1,2,4]
                                    [--throughput-tasks 24] [--json bench-results/load.json]

1. Load with a crash: `--submissions` basicswaps POSTed concurrently over `--keys` keys to a stack with
   `--workers` workers; one worker is SIGKILLed once half the tasks finished (the stack restarts it).
   Every task must end completed or failed with a code, none lost, none with its result written twice
   (S3 versions); prints p50/p95 POST -> completed.
2. Throughput: for each worker count, a fresh stack and `--throughput-tasks` tasks at once; swaps per
   second from the first POST to the last completion.
Timings are shortened (visibility 10 s, lease 8 s) so the killed worker's task returns within seconds.
Images: two one-face crops of insightface's t1.jpg (the tests' photos), about 0.1 MP each.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from infra.local.load import create_keys, keep_result_versions, run_load
from infra.local.stack_process import LocalStackProcess
from tests import face_photos
from tests.offline_models import offline_model_dir

ROOT = Path(__file__).resolve().parents[1]
SHORT_TIMINGS = {
    "WORKER_VISIBILITY_TIMEOUT_SECONDS": "10",
    "WORKER_LEASE_SECONDS": "8",
    "WORKER_RETRY_DELAY_SECONDS": "2",
    "WORKER_POLL_WAIT_SECONDS": "1",
    "TASK_REDRIVE_AFTER_SECONDS": "60",
}
IMAGES = {
    "srcimage": ("srcimage.jpg", face_photos.one_face(1), "image/jpeg"),
    "targetimage": ("targetimage.jpg", face_photos.one_face(4), "image/jpeg"),
}


def start_stack(scratch: Path, workers: int) -> LocalStackProcess:
    stack = LocalStackProcess(
        log_path=scratch / f"stack-{workers}.log",
        plan="pro",
        model_dir=offline_model_dir(),
        workers=workers,
        extra_env=SHORT_TIMINGS,
    )
    return stack.start(timeout=600)


def load_with_a_crash(scratch: Path, submissions: int, keys: int, workers: int) -> dict[str, Any]:
    stack = start_stack(scratch, workers)
    try:
        keep_result_versions(stack)
        report = run_load(
            stack,
            IMAGES,
            submissions=submissions,
            keys=create_keys(stack, keys),
            kill_one_worker_halfway=True,
            # The local API runs every face pre-check in one process: more at once only queue there.
            concurrency=16,
            deadline_seconds=1800,
        )
        restarts = stack.output().count("restarting it in")
    finally:
        stack.stop()
    return {**report.summary(), "keys": keys, "worker_restarts": restarts}


def throughput(scratch: Path, workers: int, tasks: int) -> dict[str, Any]:
    stack = start_stack(scratch, workers)
    try:
        report = run_load(
            stack,
            IMAGES,
            submissions=tasks,
            keys=create_keys(stack, 4),
            kill_one_worker_halfway=False,
            concurrency=8,
            deadline_seconds=1800,
        )
    finally:
        stack.stop()
    return {**report.summary(), "swaps_per_second": report.completed_per_second}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--keys", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--throughput", default="1,2,4", help="worker counts to measure ('' to skip)")
    parser.add_argument("--throughput-tasks", type=int, default=24)
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "load.json")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="faceswap-load-") as folder:
        scratch = Path(folder)
        if args.submissions:
            print(
                f"load bench: {args.submissions} submissions, {args.keys} keys, "
                f"{args.workers} workers, one killed halfway"
            )
            crash = load_with_a_crash(scratch, args.submissions, args.keys, args.workers)
            results["load_with_a_crash"] = crash
            print(json.dumps(crash, indent=2), flush=True)
        for count in [int(n) for n in args.throughput.split(",") if n.strip()]:
            print(f"load bench: throughput with {count} worker(s), {args.throughput_tasks} tasks", flush=True)
            measured = throughput(scratch, count, args.throughput_tasks)
            results[f"throughput_{count}_workers"] = measured
            print(
                f"  {count} worker(s): {measured['swaps_per_second']} swaps/s, "
                f"POST->completed p50 {measured['post_to_completed_p50_ms']} ms "
                f"p95 {measured['post_to_completed_p95_ms']} ms",
                flush=True,
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nraw figures: {args.json}")
    crash = results.get("load_with_a_crash")
    if crash and (crash["lost"] or crash["written_twice"] or crash["unfinished_in_table"]):
        print("load bench: FAILED: tasks lost or results written twice", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
