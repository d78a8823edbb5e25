"""The local stack's stand-in for CloudFront: assets from dashboard/ with the template's headers, API
paths to the right function, nothing outside the folder."""

from __future__ import annotations

import base64
from typing import Any

from infra.local.dashboard_site import DASHBOARD_DIR, security_headers, site_handler
from infra.local.template import resources


def handler_for_tests() -> Any:
    def api(event: dict[str, Any], _: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": "api"}

    def dashboard_api(event: dict[str, Any], _: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": "dashboard"}

    return site_handler(api, dashboard_api, media_origin="http://127.0.0.1:5999")


def get(path: str, method: str = "GET") -> dict[str, Any]:
    return handler_for_tests()({"path": path, "httpMethod": method}, None)


def test_the_csp_is_the_templates_with_the_local_media_origin() -> None:
    ((_, policy),) = resources("AWS::CloudFront::ResponseHeadersPolicy").items()
    template_csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "ContentSecurityPolicy"
    ]["ContentSecurityPolicy"]
    csp = security_headers("http://127.0.0.1:5999")["Content-Security-Policy"]
    assert csp == template_csp.replace("img-src ", "img-src http://127.0.0.1:5999 ")
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_index_and_modules_are_served_with_the_headers() -> None:
    index = get("/")
    assert index["statusCode"] == 200 and index["headers"]["Content-Type"].startswith("text/html")
    assert base64.b64decode(index["body"]) == (DASHBOARD_DIR / "index.html").read_bytes()
    assert index["headers"]["Referrer-Policy"] == "no-referrer"
    assert get("/js/main.js")["headers"]["Content-Type"].startswith("text/javascript")


def test_no_inline_script_or_style_and_nothing_from_another_origin() -> None:
    page = (DASHBOARD_DIR / "index.html").read_text()
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    for asset in DASHBOARD_DIR.rglob("*"):
        if asset.suffix in {".html", ".js", ".css"}:
            text = asset.read_text()
            assert "//cdn" not in text and "https://" not in text.replace("https://*.amazonaws.com", ""), (
                asset
            )


def test_paths_outside_the_folder_and_unknown_files_are_404() -> None:
    for path in ("/../template.yaml", "/%2e%2e/template.yaml", "/js/../../README.md", "/missing.js"):
        assert get(path)["statusCode"] == 404, path
    assert get("/", method="POST")["statusCode"] == 405


def test_api_paths_go_to_their_function() -> None:
    assert get("/api/dashboard/keys")["body"] == "dashboard"
    assert get("/api/health")["body"] == "api"
    assert get("/api/dashboardx")["body"] == "api"
