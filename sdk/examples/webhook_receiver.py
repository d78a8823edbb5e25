"""A FaceSwap webhook receiver: verifies each call's signature, then prints the event.

    FACESWAP_WEBHOOK_SECRET=whsec_... python sdk/examples/webhook_receiver.py 8080

Answer 2xx only once the event is safely handled: anything else (or no answer within 10 s) makes the API
try again later (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). The same event can arrive twice; its
`webhook-id` header (msg_<task id>) tells duplicates apart.
"""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from faceswap_sdk import verify_webhook
from faceswap_sdk.errors import WebhookVerificationError


def make_handler(secret: str, seen: set[str] | None = None) -> type[BaseHTTPRequestHandler]:
    seen = set() if seen is None else seen

    class WebhookHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                event = verify_webhook(body, dict(self.headers.items()), secret)
            except WebhookVerificationError as error:
                self.send_response(400)  # not from FaceSwap (or tampered with): refuse it
                self.end_headers()
                print(f"refused: {error}", file=sys.stderr)
                return
            if self.headers["webhook-id"] not in seen:  # a retry of an event already handled
                seen.add(self.headers["webhook-id"])
                data = event["data"]
                print(
                    json.dumps(
                        {
                            "type": event["type"],
                            "task_id": data["task_id"],
                            "image_url": data.get("image_url"),
                            "error": data.get("error"),
                        }
                    )
                )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return WebhookHandler


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(os.environ["FACESWAP_WEBHOOK_SECRET"]))
    print(f"listening on http://127.0.0.1:{port}/", file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
