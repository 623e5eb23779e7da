"""`raqib serve` killed with SIGKILL while a decision's webhook is in flight, then restarted:
every decision still reaches the platform (at least once; exactly once per idempotency key)."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from conftest import RAQIB_BIN, Cli
from service_helpers import free_port, webhook_receiver

KNOWN = "synthetic restart text: a neutral placeholder sentence for the kill test"


@contextmanager
def serve(cli: Cli, env: dict[str, str], port: int) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [str(RAQIB_BIN), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def _key(cli: Cli, role: str) -> str:
    result = cli("key", "create", "--role", role)
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def _decide_four(base: str, keys: dict[str, str]) -> None:
    def client(role: str) -> httpx.Client:
        return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {keys[role]}"})

    with client("curator") as curator:
        curator.post("/api/v1/banks", json={"name": "k"})
        body = f"raw_text {KNOWN}\n".encode()
        assert curator.post("/api/v1/banks/k/import", content=body).status_code == 201
    with client("submitter") as platform:
        for n in range(4):
            item = {"text": KNOWN, "platform": "t", "external_id": f"x{n}"}
            assert platform.post("/api/v1/items", json=item).json()["case_id"] is not None
    with client("reviewer") as reviewer:
        for _ in range(4):
            case = reviewer.get("/api/v1/queues/default/next").json()
            decision = {"outcome": "remove", "reason_code": "incitement"}
            answer = reviewer.post(f"/api/v1/cases/{case['id']}/decision", json=decision)
            assert answer.status_code == 201


def test_sigkill_mid_delivery_then_restart_loses_no_decision(cli: Cli) -> None:
    arrived = threading.Event()
    with webhook_receiver(delay=1.0, arrived=arrived) as hook:
        env = cli.env | {
            "RAQIB_WEBHOOK_URL": hook.url,
            "RAQIB_WEBHOOK_SECRET": "synthetic-secret",
            "RAQIB_WEBHOOK_TIMEOUT_SECONDS": "1.5",
            "RAQIB_WEBHOOK_BACKOFF_SECONDS": "0.1",
        }
        keys = {role: _key(cli, role) for role in ("curator", "submitter", "reviewer")}
        port = free_port()
        with serve(cli, env, port) as first:
            _decide_four(f"http://127.0.0.1:{port}", keys)
            assert arrived.wait(20)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        with serve(cli, env, port):
            deadline = time.monotonic() + 40
            while len({h["idempotency-key"] for h, _ in hook.calls}) < 4:
                assert time.monotonic() < deadline, hook.calls
                time.sleep(0.1)
    delivered = {h["idempotency-key"] for h, _ in hook.calls}
    cases = {json.loads(body)["case_id"] for _, body in hook.calls}
    assert len(delivered) == 4 and len(cases) == 4
