"""Fixtures and helpers for the console's browser tests: a real service on loopback (webhooks
signed with a known secret to a loopback receiver), Debian's Chromium driven by Playwright, and a
page that records what a hostile item could try (dialogs, requests leaving the origin, console
errors, CSP violations). Test modules import the fixtures they use by name (no conftest.py)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Page,
    Request,
    Response,
    sync_playwright,
)

from raqib.auth.roles import ROLES
from raqib.auth.users import add_user
from raqib.config import Settings
from raqib.store.db import Database
from raqib.synthetic import make_image
from service_helpers import Receiver, Service, console_sign_in, run_service, webhook_receiver

CHROMIUM = Path("/usr/bin/chromium")
WEBHOOK_SECRET = "browser-test-webhook-secret-0123456789"
PASSWORD = "synthetic-password-0123"
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000
# The test's own code, run before any page script (Playwright's init scripts are not subject to
# the page's CSP): it records every CSP violation the page reports.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@dataclass
class Console:
    """The running service, the webhook receiver it posts decisions to, and its secret."""

    service: Service
    hook: Receiver
    secret: str = WEBHOOK_SECRET

    @property
    def base(self) -> str:
        return self.service.base


@dataclass
class Watched:
    """A browser page and what it did: dialogs opened, requests that left the service's origin,
    console errors."""

    page: Page
    origin: str
    dialogs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)  # the console's own (/ui/...)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_request(self, request: Request) -> None:
        url = request.url
        local = url == self.origin or url.startswith(self.origin + "/")
        if not local and not url.startswith(("data:", "about:", "blob:")):
            self.outside.append(url)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_response(self, response: Response) -> None:
        if response.url.startswith(self.origin + "/ui/"):
            self.responses.append(response)

    def responses_without_strict_csp(self) -> list[str]:
        """The console's responses seen by the browser whose policies are missing or allow
        inline script (every policy given is enforced, so each must forbid it)."""
        lax = []
        for response in self.responses:
            policies = [
                h["value"]
                for h in response.headers_array()
                if h["name"].lower() == "content-security-policy"
            ]
            if not policies or not all(forbids_inline_script(p) for p in policies):
                lax.append(f"{response.url} {policies}")
        return lax

    def csp_violations(self) -> list[str]:
        """Violations reported on the current document (the recorder restarts per page)."""
        found = self.page.evaluate("window.__cspViolations || []")
        return [str(v) for v in found]

    def csp_console_errors(self) -> list[str]:
        return [e for e in self.console_errors if "Content Security Policy" in e]


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def console(settings: Settings, hook: Receiver) -> Iterator[Console]:
    """The service with webhooks to `hook`, signed with WEBHOOK_SECRET, and a key per role."""
    tuned = settings.with_changes(
        webhook_url=hook.url, webhook_secret=WEBHOOK_SECRET, webhook_backoff_seconds=0.05
    )
    database = Database.from_settings(tuned)
    try:
        with run_service(tuned) as (base, app):
            service = Service(base, app, tuned, database)
            service.keys = {role: service.new_key(role) for role in ROLES}
            yield Console(service, hook)
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (one per test module; a fresh context per test)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make system-deps`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def watched(browser: Browser, console: Console) -> Iterator[Watched]:
    """A fresh browser context (fixed viewport, scale 1, UTC, English) on the console."""
    context = browser.new_context(
        viewport=VIEWPORT,  # type: ignore[arg-type]
        device_scale_factor=1,
        locale="en-US",
        timezone_id="UTC",
        color_scheme="light",
        reduced_motion="reduce",
    )
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watch = Watched(page, console.base)
    page.on("dialog", watch.on_dialog)
    page.on("request", watch.on_request)
    page.on("console", watch.on_console)
    page.on("response", watch.on_response)
    try:
        yield watch
    finally:
        context.close()


def script_sources(policy: str) -> list[str] | None:
    """The sources of a policy's script-src (else default-src), or None when it has neither."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives.get("script-src", directives.get("default-src"))


def forbids_inline_script(policy: str) -> bool:
    """Whether the policy lets no inline script, eval or arbitrary host's script run."""
    sources = script_sources(policy)
    lax = {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:"}
    return sources is not None and not lax & {s.lower() for s in sources}


def add_person(service: Service, name: str, role: str = "reviewer") -> str:
    """A console user with PASSWORD; returns the name."""
    with service.database.session(write=True) as session:
        add_user(session, name, role, PASSWORD, "system:test")
    return name


def sign_in(page: Page, base: str, name: str, next_path: str | None = None) -> None:
    """Sign in through the form, as a person would."""
    suffix = f"?next={next_path}" if next_path else ""
    page.goto(f"{base}/ui/login{suffix}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/ui/login'] button[type=submit]")
    assert "/ui/login" not in page.url, f"sign-in failed: {page.inner_text('main')}"


def png_bytes(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    make_image(seed=seed, size=size).save(buffer, format="PNG")
    return buffer.getvalue()


def import_bank(service: Service, name: str, lines: list[str]) -> None:
    """A bank holding `lines` ("<signal_type> <value>", or "raw_text <text>") in TE format."""
    with service.client("curator") as client:
        made = client.post("/api/v1/banks", json={"name": name, "tlp": "amber"})
        assert made.status_code == 201, made.text
        imported = client.post(
            f"/api/v1/banks/{name}/import",
            params={"format": "te"},
            content="".join(f"{line}\n" for line in lines).encode(),
            headers={"Content-Type": "text/plain"},
        )
    assert imported.status_code == 201, imported.text


def submit_text(
    service: Service, text: str, external_id: str, reason: str | None = None, **meta: Any
) -> int:
    """POST /items (or /reports with a reason) with `text`; the id of the case it opened."""
    body = {"text": text, "platform": "test", "external_id": external_id, **meta}
    path = "/api/v1/items" if reason is None else "/api/v1/reports"
    if reason is not None:
        body["reason"] = reason
    with service.client("submitter") as client:
        answer = client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    case_id = answer.json()["case_id"]
    assert case_id is not None, f"no case opened for {external_id}: {answer.text[:500]}"
    return int(case_id)


def submit_file(
    service: Service, filename: str, data: bytes, mime: str, external_id: str, reason: str
) -> int:
    """A multipart POST /reports with one file; the id of the case it opened."""
    fields = {"platform": "test", "external_id": external_id, "reason": reason}
    with service.client("submitter") as client:
        answer = client.post("/api/v1/reports", files={"file": (filename, data, mime)}, data=fields)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["case_id"])


def wait_for_calls(hook: Receiver, count: int = 1, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while len(hook.calls) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hook.calls) >= count, f"the webhook receiver got {len(hook.calls)} calls"


def payload(body: bytes) -> dict[str, Any]:
    value = json.loads(body)
    assert isinstance(value, dict)
    return value


def http_sign_in(base: str, name: str) -> dict[str, str]:
    """Sign in through the /ui/login form without a browser; the headers that carry the session."""
    return console_sign_in(base, name, PASSWORD)
