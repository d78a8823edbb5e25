"""Keep N worker processes running, as ECS keeps a service's tasks: a worker that dies (kill -9, the OOM
killer, a wedged engine's exit) is logged and started again after a backoff; the API and moto stay up."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.logic.fault_injection import FAULT_ROLE_ENV
from worker.main import EXIT_MODELS_MISSING

logger = logging.getLogger("local_stack")

WORKER_READY_TIMEOUT_SECONDS = 300
WORKER_STOP_TIMEOUT_SECONDS = 40  # the worker's shutdown grace (20 s) plus a poll, with room
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0  # a worker that lived this long starts its next restart from the first backoff


class SupervisorError(Exception):
    """The workers cannot run at all (e.g. models missing); restarting would not help."""


def _die_with_parent() -> None:
    """In the worker child (Linux): get SIGTERM if the stack dies without cleaning up (kill -9)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class WorkerSlot:
    number: int
    ready_file: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # when a dead worker is started again
    backoff: float = FIRST_BACKOFF_SECONDS
    restarts: int = 0
    ever_ready: bool = field(default=False)


class WorkerSupervisor:
    def __init__(self, count: int, scratch: Path) -> None:
        self.slots = [WorkerSlot(n, scratch / f"worker-{n}.ready") for n in range(1, count + 1)]
        self._lock = threading.Lock()

    def start(self) -> None:
        for slot in self.slots:
            self._spawn(slot)

    def wait_until_ready(self, stop: threading.Event) -> None:
        """Until every worker has loaded its engine and polls (the API is served only then)."""
        deadline = time.monotonic() + WORKER_READY_TIMEOUT_SECONDS
        while not all(slot.ready_file.exists() for slot in self.slots):
            for slot in self.slots:
                assert slot.process is not None
                if slot.process.poll() is not None and not slot.ready_file.exists():
                    raise SupervisorError(
                        f"worker {slot.number} exited with status {slot.process.returncode} before ready"
                    )
            if stop.is_set():
                raise SupervisorError("stopped before the workers were ready")
            if time.monotonic() > deadline:
                raise SupervisorError(f"the workers were not ready after {WORKER_READY_TIMEOUT_SECONDS} s")
            time.sleep(0.2)

    def check(self) -> None:
        """Restart dead workers whose backoff is over. Call this often (the stack's main loop does)."""
        now = time.monotonic()
        with self._lock:
            for slot in self.slots:
                assert slot.process is not None
                code = slot.process.poll()
                if code is None:
                    continue
                if slot.restart_at is None:
                    if code == EXIT_MODELS_MISSING:
                        raise SupervisorError(f"worker {slot.number} cannot load its models (exit {code})")
                    if now - slot.started_at >= STABLE_AFTER_SECONDS:
                        slot.backoff = FIRST_BACKOFF_SECONDS
                    slot.restart_at = now + slot.backoff
                    logger.warning(
                        "worker %d (pid %d) exited with status %d; restarting it in %.1f s",
                        slot.number,
                        slot.process.pid,
                        code,
                        slot.backoff,
                    )
                    slot.backoff = min(slot.backoff * 2, MAX_BACKOFF_SECONDS)
                elif now >= slot.restart_at:
                    slot.restarts += 1
                    self._spawn(slot)
                    logger.warning("worker %d restarted (pid %d)", slot.number, slot.process.pid)

    def pids(self) -> list[int]:
        return [s.process.pid for s in self.slots if s.process is not None and s.process.poll() is None]

    def stop(self) -> None:
        with self._lock:
            running = [s.process for s in self.slots if s.process is not None and s.process.poll() is None]
            for process in running:
                process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + WORKER_STOP_TIMEOUT_SECONDS
            for process in running:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    logger.warning("worker pid %d did not stop in time; killing it", process.pid)
                    process.kill()
                    process.wait()

    def _spawn(self, slot: WorkerSlot) -> None:
        env = dict(os.environ)
        # Short polls so Ctrl-C stops the worker in a couple of seconds (20 s in the cloud).
        env.setdefault("WORKER_POLL_WAIT_SECONDS", "2")
        env[FAULT_ROLE_ENV] = "worker"
        slot.ready_file.unlink(missing_ok=True)
        slot.process = subprocess.Popen(
            [sys.executable, "-m", "worker", "--ready-file", str(slot.ready_file)],
            env=env,
            preexec_fn=_die_with_parent,  # only a prctl call between fork and exec
        )
        slot.started_at = time.monotonic()
        slot.restart_at = None
