"""The README's webhook receiver example accepts a call signed by the reference implementation once,
answers a retry without handling it twice, and refuses an unsigned one."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import threading
import time
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
from standardwebhooks.webhooks import Webhook

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "webhook_receiver.py"


def test_the_example_receiver_verifies(capsys):
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), module.make_handler(secret))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    body = json.dumps(
        {"type": "task.completed", "timestamp": "t", "data": {"task_id": "abc", "image_url": "u"}}
    )
    now = datetime.fromtimestamp(int(time.time()), UTC)
    headers = {
        "webhook-id": "msg_abc",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_abc", now, body),
        "content-type": "application/json",
    }
    try:
        assert httpx.post(url, content=body, headers=headers).status_code == 204
        assert httpx.post(url, content=body, headers=headers).status_code == 204  # a retry
        assert httpx.post(url, content=body, headers={"content-type": "application/json"}).status_code == 400
    finally:
        server.shutdown()
        server.server_close()
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == [{"type": "task.completed", "task_id": "abc", "image_url": "u", "error": None}]
