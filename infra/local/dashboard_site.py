"""What CloudFront does for the dashboard on a stage, on 127.0.0.1: static assets from `dashboard/` with
the template's security headers (DashboardHeadersPolicy), /api/dashboard/... to the dashboard function
and every other /api/... path to the API function, all on one origin (the stage's distribution routes
/api/* to the API the same way, so the page's fetches are same-origin there too)."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

from infra.local.http_adapter import LambdaHandler
from infra.local.template import resources

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "dashboard"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def security_headers(media_origin: str = "") -> dict[str, str]:
    """The template's response headers policy; locally, result links come from moto's origin, so that is
    added to img-src."""
    ((_, policy),) = resources("AWS::CloudFront::ResponseHeadersPolicy").items()
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = config["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    if media_origin:
        csp = csp.replace("img-src ", f"img-src {media_origin} ", 1)
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": config["FrameOptions"]["FrameOption"],
        "Referrer-Policy": config["ReferrerPolicy"]["ReferrerPolicy"],
        "Cache-Control": "no-cache",
    }


def static_response(path: str, headers: dict[str, str], root: Path = DASHBOARD_DIR) -> dict[str, Any]:
    relative = path.lstrip("/") or "index.html"
    file = (root / relative).resolve()
    if not file.is_file() or root.resolve() not in file.parents:
        return {"statusCode": 404, "headers": {**headers, "Content-Type": "text/plain"}, "body": "Not found"}
    content_type = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return {
        "statusCode": 200,
        "headers": {**headers, "Content-Type": content_type},
        "body": base64.b64encode(file.read_bytes()).decode("ascii"),
        "isBase64Encoded": True,
    }


def site_handler(api: LambdaHandler, dashboard_api: LambdaHandler, media_origin: str = "") -> LambdaHandler:
    headers = security_headers(media_origin)

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        path = event["path"]
        if path == "/api/dashboard" or path.startswith("/api/dashboard/"):
            return dashboard_api(event, context)
        if path.startswith("/api/"):
            return api(event, context)
        if event["httpMethod"] not in {"GET", "HEAD"}:
            return {"statusCode": 405, "headers": {"Allow": "GET, HEAD"}, "body": ""}
        return static_response(path, headers)

    return handle


def dashboard_handler() -> LambdaHandler:
    from functions.dashboard.handler import lambda_handler

    return lambda_handler
