"""`python -m infra.local.stack` (`make run`): the whole service on this machine, in the foreground.

- moto in server mode on 127.0.0.1 (MOTO_PORT, default 5000) with template.yaml's bucket, queues, tables;
- an API key (FACESWAP_LOCAL_API_KEY if set, plan FACESWAP_LOCAL_PLAN, default free; else a new one);
- WORKERS worker processes (default 1), the container's code (`python -m worker`), supervised
  as ECS would: one that dies is logged and restarted with backoff while the API and moto stay up;
- the DLQ handler's logic in a loop on the dead-letter queue, and the sweeper's every
  SWEEPER_INTERVAL_SECONDS;
- the API handlers behind an API Gateway-like HTTP server on http://127.0.0.1:3000 (PORT), bound only
  once the worker reports ready, so /api/health answers 200 only when work can be taken.

Ctrl-C or SIGTERM stops every process and thread it started.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from types import FrameType

from core.adapters import clients
from core.adapters.key_table import KeyTable
from core.adapters.sqs import TaskQueue
from core.adapters.task_table import TaskTable
from core.adapters.webhook_queue import WebhookQueue
from core.logic.dlq import drain_forever
from core.logic.key_service import create_key
from core.logic.sweeper import sweep_forever, sweeper_from_settings
from core.logic.webhooks import Deliverer, deliver_forever
from core.models.plan import Plan
from core.settings import Settings, get_settings
from infra.local.cognito import create_user_pool
from infra.local.dashboard_site import dashboard_handler, site_handler
from infra.local.http_adapter import ApiServer, api_handler, serve
from infra.local.moto_server import point_boto3_at, start_moto
from infra.local.resources import create_resources
from infra.local.supervisor import SupervisorError, WorkerSupervisor

logger = logging.getLogger("local_stack")

# Enterprise keys carry their own limits; a local one gets generous ones.
LOCAL_ENTERPRISE_LIMITS = (100_000, 1_000_000)


class StackError(Exception):
    """The stack cannot start; the message says why."""


def create_local_key(settings: Settings) -> tuple[str, Plan]:
    chosen = os.environ.get("FACESWAP_LOCAL_PLAN", Plan.FREE.value).strip().lower()
    try:
        plan = Plan(chosen)
    except ValueError:
        names = ", ".join(p.value for p in Plan)
        raise StackError(f"FACESWAP_LOCAL_PLAN={chosen!r} is not a plan ({names})") from None
    limits = LOCAL_ENTERPRISE_LIMITS if plan is Plan.ENTERPRISE else (None, None)
    api_key, _record = create_key(
        KeyTable(settings.api_keys_table),
        plan=plan,
        name="local stack",
        api_key=os.environ.get("FACESWAP_LOCAL_API_KEY") or None,
        hourly_limit=limits[0],
        daily_limit=limits[1],
    )
    return api_key, plan


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers bind: a port left in TIME_WAIT by a stack that just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run(stop: threading.Event) -> int:
    port = int(os.environ.get("PORT", "3000"))
    moto_port = int(os.environ.get("MOTO_PORT", "5000"))
    for name, number in (("MOTO_PORT", moto_port), ("PORT", port)):
        # Checked first: moto's server thread would die on a taken port and leave start() waiting forever.
        if not port_is_free(number):
            raise StackError(f"127.0.0.1:{number} is in use; set {name} to a free port")
    try:
        worker_count = int(os.environ.get("WORKERS", "1"))
    except ValueError:
        worker_count = 0
    if worker_count < 1:
        raise StackError(f"WORKERS={os.environ.get('WORKERS')!r} is not a positive number of workers")
    moto, endpoint = start_moto(moto_port)
    workers: WorkerSupervisor | None = None
    api: ApiServer | None = None
    loops_stop = threading.Event()
    loops: list[threading.Thread] = []
    scratch = tempfile.TemporaryDirectory(prefix="faceswap-workers-")
    try:
        point_boto3_at(endpoint)
        os.environ.update(create_resources(stage=os.environ.get("STAGE", "local")))
        os.environ.update(create_user_pool(endpoint))  # dashboard accounts (moto's cognito-idp)
        os.environ.setdefault("URL_FETCH_ALLOW_HTTP", "true")  # local image servers speak plain http
        os.environ.setdefault("WEBHOOK_ALLOW_LOOPBACK", "true")  # webhook receivers on 127.0.0.1
        get_settings.cache_clear()
        clients.reset()
        settings = get_settings()
        api_key, plan = create_local_key(settings)
        # Imported now (after the environment is set) so a broken API fails fast. The dashboard's page and
        # API share the port with the API, as CloudFront puts them on one origin on a stage.
        handler = site_handler(api_handler(), dashboard_handler(), media_origin=endpoint)

        workers = WorkerSupervisor(worker_count, Path(scratch.name))
        workers.start()
        workers.wait_until_ready(stop)

        loops = [
            threading.Thread(
                target=drain_forever,
                args=(TaskQueue(settings.task_dlq_url), TaskTable(settings.tasks_table), loops_stop),
                kwargs={"webhooks": WebhookQueue(settings.webhook_queue_url)},
                name="dlq-loop",
                daemon=True,
            ),
            threading.Thread(
                target=sweep_forever,
                args=(sweeper_from_settings(settings), loops_stop),
                kwargs={"interval_seconds": settings.sweeper_interval_seconds},
                name="sweeper-loop",
                daemon=True,
            ),
            threading.Thread(
                target=deliver_forever,
                args=(Deliverer.from_settings(settings), loops_stop),
                name="webhook-loop",
                daemon=True,
            ),
        ]
        for loop in loops:
            loop.start()

        try:
            api = serve(port, handler)
        except OSError as error:
            raise StackError(f"cannot serve on 127.0.0.1:{port} ({error}); set PORT") from error
        threading.Thread(target=api.serve_forever, name="api", daemon=True).start()

        print(
            f"\nDashboard      {api.base_url}/\n"
            f"FaceSwap API   {api.base_url}\n"
            f"API key        {api_key}   (plan {plan.value})\n"
            f"Workers        {worker_count} (pids {', '.join(map(str, workers.pids()))})\n"
            f"AWS (moto)     {endpoint}\n"
            f"Try: curl {api.base_url}/api/health\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stop.wait(0.2):
            workers.check()
        return 0
    except SupervisorError as error:
        raise StackError(str(error)) from error
    finally:
        logger.info("stopping the local stack")
        if api is not None:
            api.shutdown()
            api.server_close()
        if workers is not None:
            workers.stop()
        loops_stop.set()
        for loop in loops:
            loop.join(5)
        scratch.cleanup()
        moto.stop()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # moto's per-request log and the AWS SDK's chatter would drown the API's access log.
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Powertools warns on every request that publishes no custom metric; locally there is no CloudWatch.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        return run(stop)
    except StackError as error:
        print(f"local stack: {error}", file=sys.stderr, flush=True)
        return 0 if stop.is_set() else 1


if __name__ == "__main__":
    sys.exit(main())
