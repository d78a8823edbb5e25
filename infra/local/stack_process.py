"""Run `python -m infra.local.stack` as a child process on free ports (end-to-end tests, benchmarks)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import requests

from infra.local.moto_server import free_port
from infra.local.template import function_environment

REPO_ROOT = Path(__file__).resolve().parents[2]


def child_pids(pid: int) -> list[int]:
    """Live descendants of `pid`, read from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start at state, then ppid.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def worker_pids(pid: int) -> list[int]:
    """The live worker processes (`python -m worker`) under the stack process `pid`."""
    found = []
    for child in child_pids(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in command and pid_alive(child):
            found.append(child)
    return sorted(found)


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class LocalStackProcess:
    def __init__(
        self,
        *,
        log_path: Path,
        plan: str = "pro",
        model_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.port = free_port()
        self.moto_port = free_port()
        self.api_key = "fsk_local_" + secrets.token_urlsafe(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.moto_url = f"http://127.0.0.1:{self.moto_port}"
        self.workers = workers
        self.log_path = log_path
        # Start from a clean slate: nothing of the caller's AWS setup or resource names leaks in.
        leaked = set(function_environment()) | {k for k in os.environ if k.startswith("AWS_")}
        self.env = {k: v for k, v in os.environ.items() if k not in leaked}
        self.env.update(
            PORT=str(self.port),
            MOTO_PORT=str(self.moto_port),
            FACESWAP_LOCAL_API_KEY=self.api_key,
            FACESWAP_LOCAL_PLAN=plan,
            WORKERS=str(workers),
            **({"FACESWAP_MODEL_DIR": str(model_dir)} if model_dir else {}),
            **(extra_env or {}),
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 300) -> Self:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.local.stack"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the stack exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(f"{self.base_url}/api/health", timeout=10).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                pass  # not serving yet, or slow on a loaded machine: ask again
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the stack was not healthy after {timeout:.0f} s:\n{self.output()}")
            time.sleep(0.25)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                for child in child_pids(self.process.pid):
                    os.kill(child, signal.SIGKILL)
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def worker_pids(self) -> list[int]:
        return worker_pids(self.pid)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
