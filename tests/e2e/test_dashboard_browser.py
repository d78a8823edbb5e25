"""The developer dashboard in a real browser: Debian's chromium (never a downloaded one), headless, driven
by Playwright against `python -m infra.local.stack` in a child process. A new customer goes from nothing
to a completed swap with only the page and plain HTTP requests (what curl sends), then revokes the key.

Each step leaves a screenshot in test-output/dashboard/ (gitignored)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.local.stack_process import REPO_ROOT, LocalStackProcess
from tests import face_photos
from tests.offline_models import offline_model_dir

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO_ROOT / "test-output" / "dashboard"
# A fresh profile, nothing on the network but 127.0.0.1: no update checks, sync or first-run pages.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]
EMAIL = "new.customer@example.com"
PASSWORD = "Faceswap2026"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    log = tmp_path_factory.mktemp("dashboard-stack") / "stack.log"
    # The plan of the stack's own key; keys made on the dashboard are free-plan keys (50 an hour).
    process = LocalStackProcess(log_path=log, plan="pro", model_dir=offline_model_dir())
    process.start(timeout=300)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory, stack: LocalStackProcess) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "chromium is not installed: `make test` installs Debian's chromium; or apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=stack.base_url)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base_url)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.problems = problems  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def submit(base_url: str, key: str, files: dict[str, bytes] | None = None) -> requests.Response:
    multipart = {name: (f"{name}.jpg", data, "image/jpeg") for name, data in (files or {}).items()}
    return requests.post(
        f"{base_url}/api/faceswap/basicswap", headers={"X-Api-Key": key}, files=multipart or None, timeout=60
    )


def wait_for_task(base_url: str, key: str, task_id: str, timeout: float = 240) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = requests.get(f"{base_url}/api/task-status/{task_id}", headers={"X-Api-Key": key}, timeout=30)
        body = answer.json()
        if body.get("status") in {"completed", "failed"}:
            return body
        time.sleep(1)
    raise AssertionError(f"task {task_id} did not finish in {timeout} s")


def test_a_new_customer_goes_from_nothing_to_a_swap_and_revokes_the_key(
    stack: LocalStackProcess, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    base = stack.base_url

    # 1. The page loads with its strict CSP and nothing from elsewhere.
    answer = requests.get(f"{base}/", timeout=10)
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    page.goto("/")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    shot(page, "01-start")

    # 2. Sign up (moto sends no e-mail and takes any code) and confirm.
    page.get_by_label("E-mail").nth(1).fill(EMAIL)
    page.locator("#signup-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_label("Confirmation code")).to_be_visible()
    page.get_by_label("Confirmation code").fill("123456")
    shot(page, "02-sign-up")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#status")).to_have_text("E-mail confirmed: sign in.")

    # 3. Sign in, with the keyboard only.
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("#signin-password").press("Enter")
    expect(page.locator("#who")).to_have_text(EMAIL)
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    shot(page, "03-signed-in")

    # 4. Create a key: shown once, copied with the button.
    page.get_by_label("Key name").fill("my first key")
    page.get_by_role("button", name="Create key").click()
    shown = page.locator("#new-key-value")
    expect(shown).to_have_text(__import__("re").compile(r"^fsk_\S{40,}$"))
    api_key = shown.inner_text()
    page.get_by_role("button", name="Copy key").click()
    assert page.evaluate("navigator.clipboard.readText()") == api_key
    # Beside it, once: the key's webhook signing secret.
    shown_secret = page.locator("#new-key-secret")
    expect(shown_secret).to_have_text(__import__("re").compile(r"^whsec_[A-Za-z0-9+/]{43}=$"))
    webhook_secret = shown_secret.inner_text()
    page.get_by_role("button", name="Copy secret").click()
    assert page.evaluate("navigator.clipboard.readText()") == webhook_secret
    row = page.locator("#keys-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(api_key[:8] + "…")
    expect(row.locator("td").nth(2)).to_have_text("free")
    expect(row.locator("td").nth(5)).to_have_text("active")
    shot(page, "04-key-created")
    page.get_by_role("button", name="I have stored it").click()
    expect(page.locator("#new-key")).to_be_hidden()
    assert api_key not in page.content(), "the key is shown once, then gone from the page"
    assert webhook_secret not in page.content(), "so is its webhook secret"

    # 5. Use it over HTTP, as curl would: a swap that completes.
    submitted = submit(
        base, api_key, {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    )
    assert submitted.status_code == 201, submitted.text
    done = wait_for_task(base, api_key, submitted.json()["task_id"])
    assert done["status"] == "completed", done

    # 6. Usage moved: 1 of the free plan's 50 this hour, and the key's last use is set.
    page.get_by_role("button", name="Refresh").first.click()
    card = page.locator(".usage-card")
    expect(card.locator(".window").first).to_have_text("This hour: 1 / 50")
    expect(card.locator(".window").nth(1)).to_have_text("Today (UTC): 1 / 500")
    shot(page, "05-usage-moved")

    # 7. Playground: faces found as numbered boxes, run, result beside the inputs, copy as curl.
    sources = {"srcimage": face_photos.one_face(1), "targetimage": face_photos.one_face(4)}
    for name, data in sources.items():
        path = tmp_path / f"{name}.jpg"
        path.write_bytes(data)
        page.locator(f"#pg-file-{name}").set_input_files(str(path))
        expect(page.locator(f"#pg-figure-{name} .box")).to_have_count(1)
        expect(page.locator(f"#pg-figure-{name} .box span")).to_have_text("0")
    expect(page.locator("#pg-key")).to_have_value(api_key)  # the key just created, kept in memory only
    shot(page, "06-playground-faces")
    page.get_by_role("button", name="Copy as curl").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert '-H "X-Api-Key: $FACESWAP_API_KEY"' in copied and '-F "srcimage=@srcimage.jpg"' in copied
    assert api_key not in copied
    page.get_by_role("button", name="Run").click()
    result = page.locator("#pg-output img")
    expect(result).to_be_visible(timeout=240_000)
    page.wait_for_function("document.querySelector('#pg-output img').naturalWidth > 0", timeout=30_000)
    expect(page.locator("#pg-result figure")).to_have_count(3)
    shot(page, "07-playground-result")

    # 8. Tasks: both swaps, completed, with their result thumbnails.
    page.locator("#refresh-tasks").click()
    tasks = page.locator("#tasks-table tbody tr")
    expect(tasks).to_have_count(2)
    expect(tasks.locator("td.status-completed")).to_have_count(2)
    thumbs_loaded = "[...document.querySelectorAll('#tasks-table img.thumb')].every(i => i.naturalWidth > 0)"
    page.wait_for_function(thumbs_loaded)
    shot(page, "08-tasks")

    # 9. Spend the hour (submissions count before validation) until the API answers 429, and see it.
    refused = 0
    for _ in range(60):
        if submit(base, api_key).status_code == 429:
            refused += 1
            break
    assert refused == 1
    page.locator("#refresh-usage").click()
    expect(card.locator(".window").first).to_have_text("This hour: 50 / 50")
    expect(card.locator(".refused")).to_have_text("1")
    expect(page.locator("#usage-days tbody tr").last.locator("td").nth(2)).to_have_text("1")
    shot(page, "09-usage-refused")

    # 10. Revoke: the key answers 401 from then on.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke key my first key").click()
    expect(row.locator("td").nth(5)).to_have_text("revoked")
    time.sleep(1.1)  # the API's key cache holds a record at most 1 s (KEY_CACHE_TTL_SECONDS)
    after = submit(base, api_key)
    assert after.status_code == 401 and after.json()["error"]["code"] == "invalid_api_key", after.text
    shot(page, "10-revoked")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.locator("#pg-key").input_value() == ""  # the session's key copy is gone with it
    # Neither the key nor a session token ever reaches the stack's logs.
    log = stack.output()
    assert api_key not in log and api_key[8:] not in log
    assert "eyJ" not in log  # a JWT's first characters
    assert not page.problems, page.problems  # type: ignore[attr-defined]
