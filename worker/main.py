"""`python -m worker`: the container's entry point, and what the local stack starts.

Loads the engine (exit 2 when the required model tier is missing), then polls until SIGTERM/SIGINT.
On a signal the task in hand is finished if it can be within the grace period, otherwise its message
and lease are given back for another worker; then the process exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from core.observability import logger, route_library_logs
from core.settings import get_settings
from engine_layer.errors import ModelsMissing
from worker.config import WorkerConfig
from worker.engine_call import engine_still_running
from worker.worker import Worker, WorkerWedged

EXIT_MODELS_MISSING = 2
EXIT_WEDGED = 3


def build_parser() -> argparse.ArgumentParser:
    """Flags override the settings of the same name (WORKER_*), which give their defaults
    (WorkerConfig.from_settings applies them; a flag left out is None here)."""
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument(
        "--ready-file",
        type=Path,
        help="touched once the engine is loaded and the worker polls (the local stack waits for it)",
    )
    parser.add_argument(
        "--shutdown-grace-seconds",
        type=float,
        help="on SIGTERM, how long the task in hand may still run before it is given back "
        "(default: WORKER_SHUTDOWN_GRACE_SECONDS)",
    )
    parser.add_argument(
        "--retry-delay-seconds",
        type=int,
        help="how long a task that failed unexpectedly waits before its next attempt "
        "(default: WORKER_RETRY_DELAY_SECONDS)",
    )
    parser.add_argument(
        "--engine-timeout-seconds",
        type=float,
        help="an engine call running longer is treated as a wedged device: the task is given back and "
        "the process exits so it is replaced (default: WORKER_ENGINE_TIMEOUT_SECONDS)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    code = _run(argv)
    if engine_still_running():
        # A task was given back mid-inference. Native thread pools (onnxruntime, dlib) abort the
        # interpreter's normal shutdown while a call is in flight, so leave without it.
        logger.info("exiting with an engine call still in flight", exit_code=code)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _run(argv: Sequence[str] | None) -> int:
    settings = get_settings()
    args = build_parser().parse_args(argv)
    route_library_logs()  # the engine's own loggers log as JSON like ours

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("stop requested", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    try:
        config = WorkerConfig.from_settings(
            settings,
            shutdown_grace_seconds=args.shutdown_grace_seconds,
            retry_delay_seconds=args.retry_delay_seconds,
            engine_timeout_seconds=args.engine_timeout_seconds,
        )
        worker = Worker.from_settings(settings, config=config)
    except ModelsMissing as error:
        logger.error("engine cannot start: required models are missing", error=str(error))
        return EXIT_MODELS_MISSING
    logger.info("engine loaded", engine=worker.engine.describe(), worker_id=worker.worker_id)

    if args.ready_file is not None:
        args.ready_file.write_text(worker.worker_id)
    try:
        worker.run_forever(stop)
    except WorkerWedged as error:
        logger.error("engine wedged; exiting so the worker is replaced", error=str(error))
        return EXIT_WEDGED
    return 0


if __name__ == "__main__":
    sys.exit(main())
