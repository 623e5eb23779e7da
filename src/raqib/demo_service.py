"""The service part of `make demo`: seed an admin (and keys for a platform and a reviewer),
start `raqib serve` on loopback, submit items and a user report through the API, work the
review queue, and check that the decision reached a webhook receiver with a valid signature,
that the decision export holds it and that the audit chain verifies.

`python -m raqib.demo --serve` keeps the service running afterwards and prints its URL, the
admin's name, password and API key."""

from __future__ import annotations

import io
import json
import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from rich.console import Console

from raqib.demo_text import KNOWN_PARAGRAPHS, LOADER_PAGE, UNRELATED_PARAGRAPHS
from raqib.review import webhooks
from raqib.synthetic import make_image
from raqib.synthetic_text import obfuscate

WEBHOOK_SECRET = "demo-webhook-secret-not-for-production"
Runner = Callable[..., subprocess.CompletedProcess[str]]


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A stand-in for the platform's endpoint: records the calls it receives."""
    calls: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/raqib-actions", calls
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed_people(run: Runner, env: dict[str, str]) -> dict[str, str]:
    """An admin with a password, and API keys for the admin, a platform and a reviewer."""
    password = run(env, "user", "add", "admin", "--role", "admin").stdout.strip().splitlines()[-1]
    reviewer = run(env, "user", "add", "reviewer", "--role", "reviewer").stdout.strip()
    keys = {
        role: run(env, "key", "create", "--role", role, "--name", f"demo-{role}")
        .stdout.strip()
        .splitlines()[-1]
        for role in ("admin", "submitter", "reviewer")
    }
    return {"admin_password": password, "reviewer_password": reviewer.splitlines()[-1], **keys}


@contextmanager
def running_service(raqib: str, env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [raqib, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_ready(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"demo: raqib serve stopped: {(process.stderr or [''])}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("demo: raqib serve did not answer within 60 s")


def exercise(base: str, keys: dict[str, str], calls: list[Any], console: Console) -> bool:
    """Items, a report, a decision from the queue, its webhook, the export; True when all hold."""
    platform = httpx.Client(base_url=base, headers=_bearer(keys["submitter"]), timeout=60)
    reviewer = httpx.Client(base_url=base, headers=_bearer(keys["reviewer"]), timeout=60)
    admin = httpx.Client(base_url=base, headers=_bearer(keys["admin"]), timeout=60)
    known = platform.post("/api/v1/items", json=_item(KNOWN_PARAGRAPHS[0], "demo-1")).json()
    other = platform.post("/api/v1/items", json=_item(UNRELATED_PARAGRAPHS[0], "demo-2")).json()
    report = platform.post(
        "/api/v1/reports", json=_item(UNRELATED_PARAGRAPHS[1], "demo-3") | {"reason": "user report"}
    ).json()
    console.print(
        f"items: known text -> case {known['case_id']}, unrelated -> case {other['case_id']}, "
        f"user report -> case {report['case_id']}"
    )
    case = reviewer.get("/api/v1/queues/default/next").json()
    decided = reviewer.post(
        f"/api/v1/cases/{case['id']}/decision",
        json={"outcome": "remove", "reason_code": "incitement", "note": "demo decision"},
    )
    console.print(f"reviewer took case {case['id']} and decided: {decided.status_code}")
    delivered = _wait_for(lambda: bool(calls), 20)
    signed = delivered and webhooks.verify(
        WEBHOOK_SECRET,
        calls[0][0].get("x-raqib-timestamp"),
        calls[0][0].get("x-raqib-signature"),
        calls[0][1],
    )
    export = admin.get("/api/v1/decisions/export", params={"format": "jsonl"}).text.splitlines()
    console.print(
        f"webhook delivered: {delivered}, signature valid: {signed}; export: {len(export)}"
    )
    ok = (
        known["case_id"] is not None
        and other["case_id"] is None
        and report["case_id"] is not None
        and decided.status_code == 201
        and bool(signed)
        and len(export) == 1
        and json.loads(export[0])["case_id"] == case["id"]
    )
    for client in (platform, reviewer, admin):
        client.close()
    return ok


def seed_console(base: str, keys: dict[str, str], console: Console) -> int:
    """A handful of open cases for a newcomer to work in the console at once: known texts
    (plain and obfuscated), user reports with a synthetic image and with a saved page that
    carries an injected loader. Returns how many cases were opened."""
    platform = httpx.Client(base_url=base, headers=_bearer(keys["submitter"]), timeout=60)
    opened = 0
    rng = random.Random(5)
    for number, paragraph in enumerate(KNOWN_PARAGRAPHS):
        hidden = obfuscate(paragraph, "zero_width", rng)
        for variant, text in enumerate((paragraph, hidden)):
            item = _item(text, f"seed-{number}-{variant}") | {"author_id": f"demo-author-{number}"}
            opened += platform.post("/api/v1/items", json=item).json()["case_id"] is not None
    image = io.BytesIO()
    make_image(seed=42).save(image, format="PNG")
    uploads = (
        ("report-image.png", image.getvalue(), "image/png"),
        ("report-page.html", LOADER_PAGE.encode("utf-8"), "text/html"),
    )
    for number, upload in enumerate(uploads):
        fields = _item("", f"report-{number}") | {"reason": "user report (synthetic)"}
        fields.pop("text")
        answer = platform.post("/api/v1/reports", data=fields, files={"file": upload})
        opened += answer.json().get("case_id") is not None
    platform.close()
    console.print(f"seeded {opened} open cases for the console")
    return opened


def _item(text: str, external_id: str) -> dict[str, str]:
    return {"text": text, "platform": "demo", "external_id": external_id, "author_id": "demo-user"}


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def demo_service(
    run: Runner, raqib: str, env: dict[str, str], console: Console, keep: bool
) -> bool:
    """Seed people, serve, exercise the API; with `keep`, serve until Ctrl-C afterwards."""
    with webhook_receiver() as (url, calls):
        service_env = env | {"RAQIB_WEBHOOK_URL": url, "RAQIB_WEBHOOK_SECRET": WEBHOOK_SECRET}
        seeded = seed_people(run, service_env)
        port = free_port()
        with running_service(raqib, service_env, port) as base:
            ok = exercise(base, seeded, calls, console)
            ok = seed_console(base, seeded, console) >= 4 and ok
            console.print(
                f"\nservice: {base}/api/v1 (OpenAPI: {base}/api/docs)\n"
                f"console: {base}/ui/ (sign in as admin or reviewer)\n"
                f"admin user: admin  password: {seeded['admin_password']}\n"
                f"reviewer user: reviewer  password: {seeded['reviewer_password']}\n"
                f"admin API key: {seeded['admin']}"
            )
            if keep:
                console.print("serving until Ctrl-C")
                _serve_until_interrupted()
    verified = run(env, "audit", "verify")
    return ok and verified.returncode == 0


def _serve_until_interrupted() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return
