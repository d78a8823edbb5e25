"""`make bench`: every benchmark in turn, each printing its own table (JSON copies in bench-results/)."""

from __future__ import annotations

import sys

from benchmarks import api_bench, auth_bench, engine_bench, provenance_bench, size_sweep


def main() -> int:
    failures = 0
    benches = (
        ("engine", engine_bench),
        ("size sweep", size_sweep),
        ("auth", auth_bench),
        ("api", api_bench),
        ("provenance", provenance_bench),
    )
    for name, bench in benches:
        print(f"\n=== {name} benchmark ===", flush=True)
        failures += int(bench.main([]) != 0)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
