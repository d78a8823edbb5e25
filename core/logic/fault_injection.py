"""Deterministic faults for the local stack's fault-injection tests. Inert unless STAGE is `local` AND
FACESWAP_FAULT_DIR names a directory (the template never sets it), so it cannot fire on AWS.

A test arms a fault by writing a file into that directory, named `<role>.<point>`, holding an action:
- roles: `worker` (the worker processes), `api` (the local stack's process: API, DLQ and sweeper loops);
- points: the worker's `after_claim`, `engine` (inside the engine call), `after_result_upload`,
  `heartbeat` (between the visibility and the lease extension), and `aws.<service>.<Operation>` for any
  AWS call (e.g. `api.aws.sqs.SendMessage`, `worker.aws.s3.PutObject`);
- actions: `kill` (SIGKILL this process, as the OOM killer would), `error` (the AWS call fails with a
  503 ServiceUnavailable), `sleep <seconds>`: each done once, by the first process to reach the point
  (it removes the file); `hang` (sleep for ever) stays armed until the test removes the file.
"""

from __future__ import annotations

import os
import signal
import time
from functools import cache
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

FAULT_DIR_ENV = "FACESWAP_FAULT_DIR"
FAULT_ROLE_ENV = "FACESWAP_FAULT_ROLE"


@cache
def _fault_dir() -> Path | None:
    directory = os.environ.get(FAULT_DIR_ENV)
    if not directory or os.environ.get("STAGE", "local") != "local":
        return None
    return Path(directory)


def _take(point: str) -> str | None:
    """The action armed at `point` for this process's role, consuming it unless it is `hang`."""
    directory = _fault_dir()
    if directory is None:
        return None
    path = directory / f"{os.environ.get(FAULT_ROLE_ENV, 'api')}.{point}"
    try:
        action = path.read_text().strip()
        if action != "hang":
            path.unlink()  # only one process wins the unlink: a fault fires once
    except FileNotFoundError:
        return None
    return action


def fault_point(point: str) -> None:
    """Do what a test armed at this named point, if anything."""
    action = _take(point)
    if action is None:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "hang":
        while True:
            time.sleep(3600)
    elif action.startswith("sleep"):
        time.sleep(float(action.split()[1]))
    elif action == "error":
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": f"injected at {point}"}}, point)


def _before_aws_call(event_name: str, **_kwargs: Any) -> None:
    # event_name: before-call.<service>.<Operation>
    _, service, operation = event_name.split(".", 2)
    fault_point(f"aws.{service}.{operation}")


def attach(boto_client: Any) -> Any:
    """Let armed faults fire on this client's calls (a no-op outside a local fault-injection run)."""
    if _fault_dir() is not None:
        boto_client.meta.events.register("before-call.*.*", _before_aws_call)
    return boto_client
