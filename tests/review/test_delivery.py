"""Webhook delivery against a real HTTP receiver on loopback that checks every signature and
records every Idempotency-Key: signing and headers, an outage, giving up and retrying, a
SIGKILLed `raqib deliver`, and two workers at once."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import pytest

from conftest import RAQIB_BIN, Cli
from raqib.config import Settings
from raqib.review import audit, outbox, webhooks
from raqib.review.delivery import Deliverer, DeliveryRound, backoff_seconds
from raqib.store.db import Database

SECRET = "synthetic-test-secret"


@dataclass(frozen=True)
class Received:
    key: str
    attempt: int
    timestamp: str
    signature: str
    content_type: str
    body: bytes
    verified: bool
    status: int


class Receiver:
    """A webhook endpoint: verifies each request's signature (401 when it fails), answers
    `status` after `delay` seconds, and records what came and when two requests for one key
    were in flight at once."""

    def __init__(self, status: int = 200, delay: float = 0.0, port: int = 0) -> None:
        self.status = status
        self.delay = delay
        self.received: list[Received] = []
        self.overlaps = 0
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/raqib"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def acknowledged(self) -> Counter[str]:
        """How many 2xx answers each key got."""
        with self._lock:
            return Counter(r.key for r in self.received if 200 <= r.status < 300)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", "0")))
        timestamp = request.headers.get(webhooks.HEADER_TIMESTAMP, "")
        signature = request.headers.get(webhooks.HEADER_SIGNATURE, "")
        verified = webhooks.verify(SECRET, timestamp, signature, body)
        key = request.headers.get(webhooks.HEADER_IDEMPOTENCY_KEY, "")
        with self._lock:
            status = self.status if verified else 401
            self.overlaps += key in self._in_flight
            self._in_flight.add(key)
            self.received.append(
                Received(
                    key,
                    int(request.headers.get(webhooks.HEADER_ATTEMPT, "0")),
                    timestamp,
                    signature,
                    request.headers.get("Content-Type", ""),
                    body,
                    verified,
                    status,
                )
            )
        self.arrived.set()
        time.sleep(self.delay)
        with self._lock:
            self._in_flight.discard(key)
        try:
            request.send_response(status)
            request.send_header("Content-Length", "2")
            request.end_headers()
            request.wfile.write(b"ok")
        except OSError:
            pass  # the sender went away (the SIGKILL test)


def _fast(settings: Settings, **changes: object) -> Settings:
    values: dict[str, object] = {
        "webhook_secret": SECRET,
        "webhook_backoff_seconds": 0.05,
        "webhook_backoff_cap_seconds": 0.2,
        "webhook_timeout_seconds": 2.0,
        "webhook_max_attempts": 50,
    }
    return settings.with_changes(**(values | changes))


def _payload(n: int) -> dict[str, object]:
    return {
        "event": "decision",
        "decision_id": n,
        "case_id": n,
        "outcome": "remove",
        "reason_code": "incitement",
        "tco_category": "2(7)(a)",
        "note": f"synthetic test decision {n}",
        "on_appeal": False,
        "platform": "example",
        "external_id": f"post-{n}",
        "url": f"https://example.invalid/post/{n}",
        "author_id": f"author-{n}",
        "decided_at": "2025-01-01T00:00:00+00:00",
        "reviewer": "user:alice",
    }


def _enqueue(database: Database, url: str, count: int) -> list[str]:
    keys = [f"decision-{n}" for n in range(1, count + 1)]
    with database.session(write=True) as session:
        for n, key in enumerate(keys, start=1):
            outbox.enqueue(session, None, url, _payload(n), key)
    return keys


def _wait_until_settled(database: Database, seconds: float, step: object = None) -> None:
    """Until no row is pending; `step` (a Deliverer) is run between looks when given."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if isinstance(step, Deliverer):
            step.run_once()
        with database.session() as session:
            if outbox.counts(session)["pending"] == 0:
                return
        time.sleep(0.02)
    raise AssertionError(f"rows still pending after {seconds} s")


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not so after {seconds} s"
        time.sleep(0.02)


def _rows(database: Database) -> list[outbox.DeliveryView]:
    with database.session() as session:
        return outbox.list_deliveries(session)


# --- 1. signing and headers ----------------------------------------------------------------------


def test_delivery_is_signed_with_the_documented_headers(
    database: Database, settings: Settings
) -> None:
    with Receiver() as receiver, Deliverer(database, _fast(settings)) as deliverer:
        (key,) = _enqueue(database, receiver.url, 1)
        done = deliverer.run_once()
    assert done == DeliveryRound(delivered=1, retried=0, failed=0)
    (got,) = receiver.received
    assert got.verified and got.status == 200
    assert (got.key, got.attempt, got.content_type) == (key, 1, "application/json")
    assert abs(int(got.timestamp) - time.time()) < 30
    assert got.signature == webhooks.sign(SECRET, int(got.timestamp), got.body)
    assert got.signature.startswith("v1=") and json.loads(got.body) == _payload(1)
    (row,) = _rows(database)
    assert (row.state, row.attempts, row.last_error) == ("delivered", 1, "")
    assert row.delivered_at is not None and row.leased_until is None
    now = int(got.timestamp)
    tampered = got.body.replace(b"remove", b"keep")
    assert webhooks.verify(SECRET, got.timestamp, got.signature, got.body, now=now + 299)
    assert not webhooks.verify(SECRET, got.timestamp, got.signature, tampered, now=now)
    assert not webhooks.verify(SECRET, got.timestamp, got.signature, got.body, now=now + 301)
    assert not webhooks.verify(SECRET, got.timestamp, got.signature, got.body, now=now - 301)
    assert not webhooks.verify("another secret", got.timestamp, got.signature, got.body, now=now)
    assert not webhooks.verify(SECRET, str(now + 1), got.signature, got.body, now=now)


def test_verify_refuses_malformed_headers_and_accepts_one_of_several() -> None:
    body = b'{"event":"decision"}'
    good = webhooks.sign(SECRET, 1_700_000_000, body)
    assert webhooks.verify(SECRET, "1700000000", f"v1=00, {good}", body, now=1_700_000_010)
    assert not webhooks.verify(SECRET, "soon", good, body, now=1_700_000_000)
    assert not webhooks.verify(SECRET, "1700000000", "", body, now=1_700_000_000)
    assert not webhooks.verify("", "1700000000", webhooks.sign("", 1_700_000_000, body), body)


def test_backoff_doubles_with_jitter_and_is_capped(settings: Settings) -> None:
    tuned = settings.with_changes(webhook_backoff_seconds=2.0, webhook_backoff_cap_seconds=60.0)
    low = [backoff_seconds(a, tuned, rand=lambda: 0.0) for a in (1, 2, 3, 4)]
    high = [backoff_seconds(a, tuned, rand=lambda: 0.999999) for a in (1, 2, 3, 4)]
    assert low == [1.0, 2.0, 4.0, 8.0]
    assert [round(h) for h in high] == [2, 4, 8, 16]
    assert backoff_seconds(10_000, tuned, rand=lambda: 0.999999) == pytest.approx(60.0)


# --- 2. an outage ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("outage", ["503", "not listening"])
def test_outage_then_every_action_is_delivered_once(
    database: Database, settings: Settings, outage: str
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hooks/raqib"
    keys = _enqueue(database, url, 5)
    stop, rounds = threading.Event(), list[DeliveryRound]()
    receiver = Receiver(status=503, port=port) if outage == "503" else None
    with Deliverer(database, _fast(settings)) as deliverer:
        worker = threading.Thread(target=deliverer.run, args=(stop, 0.02, rounds.append))
        try:
            if receiver is not None:
                receiver.__enter__()
            worker.start()
            _wait_for(lambda: all(row.attempts >= 2 for row in _rows(database)), 10)
            errors = {row.last_error.split(":")[0] for row in _rows(database)}
            assert errors == ({"HTTP 503"} if receiver else {"ConnectError"})
            if receiver is None:
                receiver = Receiver(port=port).__enter__()
            receiver.status = 200
            _wait_until_settled(database, 10)
        finally:
            stop.set()
            worker.join(10)
            if receiver is not None:
                receiver.__exit__(None, None, None)
    assert receiver is not None and not worker.is_alive()
    assert receiver.acknowledged() == Counter(dict.fromkeys(keys, 1))
    assert all(r.verified for r in receiver.received)
    rows = _rows(database)
    assert {row.state for row in rows} == {"delivered"}
    assert all(row.attempts >= 2 for row in rows)
    assert sum(r.delivered for r in rounds) == 5 and sum(r.retried for r in rounds) >= 5


# --- 3. giving up, and retrying ----------------------------------------------------------------


def test_failed_delivery_is_listed_and_retry_delivers_it(
    database: Database, settings: Settings
) -> None:
    tuned = _fast(settings, webhook_max_attempts=3)
    with Receiver(status=500) as receiver, Deliverer(database, tuned) as deliverer:
        (key,) = _enqueue(database, receiver.url, 1)
        _wait_until_settled(database, 10, step=deliverer)
        with database.session() as session:
            (failed,) = outbox.list_deliveries(session, state="failed")
            assert outbox.counts(session) == {"pending": 0, "delivered": 0, "failed": 1}
        assert (failed.idempotency_key, failed.attempts) == (key, 3)
        assert failed.last_error.startswith("HTTP 500") and failed.leased_until is None
        assert [r.attempt for r in receiver.received] == [1, 2, 3]
        assert deliverer.run_once() == DeliveryRound()  # a failed row is not sent again
        receiver.status = 200
        with database.session(write=True) as session:
            retried = outbox.retry(session, failed.id, "user:alice")
        assert (retried.state, retried.attempts) == ("pending", 3)
        assert deliverer.run_once() == DeliveryRound(delivered=1)
    assert receiver.received[-1].attempt == 4 and receiver.acknowledged() == Counter({key: 1})
    with database.session() as session:
        assert outbox.get_delivery(session, failed.id).state == "delivered"
        (event,) = audit.events(session, verb="delivery.retry")
        assert audit.verify(session).ok
    assert (event.actor, event.object_type, event.object_id) == (
        "user:alice",
        "delivery",
        str(failed.id),
    )
    assert event.details == {"idempotency_key": key, "attempts": 3}


# --- 4. a SIGKILLed worker ---------------------------------------------------------------------


def _deliver_process(cli: Cli) -> subprocess.Popen[str]:
    env = cli.env | {
        "RAQIB_WEBHOOK_SECRET": SECRET,
        "RAQIB_WEBHOOK_TIMEOUT_SECONDS": "1",  # a lease is two timeouts: 2 s
        "RAQIB_WEBHOOK_BACKOFF_SECONDS": "0.05",
        "RAQIB_WEBHOOK_BACKOFF_CAP_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [str(RAQIB_BIN), "deliver"],
        env=env,
        cwd=cli.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    if process.poll() is None:
        process.kill()
    return process.communicate(timeout=10)


def test_sigkill_mid_request_loses_nothing(database: Database, cli: Cli) -> None:
    with Receiver(delay=0.5) as receiver:
        keys = _enqueue(database, receiver.url, 6)
        first = _deliver_process(cli)
        try:
            assert receiver.arrived.wait(15), "raqib deliver sent nothing"
            first.send_signal(signal.SIGKILL)  # the first request is in flight (0.5 s)
            first.wait(10)
        finally:
            _finish(first)
        assert first.returncode == -signal.SIGKILL
        in_flight = receiver.received[0].key
        with database.session() as session:
            (held,) = [d for d in outbox.list_deliveries(session) if d.idempotency_key == in_flight]
        assert (held.state, held.attempts) == ("pending", 1) and held.leased_until is not None
        second = _deliver_process(cli)
        try:
            _wait_until_settled(database, 15)
            second.send_signal(signal.SIGTERM)
            out, err = second.communicate(timeout=10)
        finally:
            _finish(second)
    assert second.returncode == 0, err
    assert "delivered=" in out
    acknowledged = receiver.acknowledged()
    assert set(acknowledged) == set(keys)
    assert acknowledged[in_flight] == 2  # re-sent once its lease ran out
    assert all(acknowledged[k] == 1 for k in keys if k != in_flight)
    assert [r.attempt for r in receiver.received if r.key == in_flight] == [1, 2]
    assert {row.state for row in _rows(database)} == {"delivered"}


def test_deliver_once_sends_what_is_due_and_exits(database: Database, cli: Cli) -> None:
    with Receiver() as receiver:
        (key,) = _enqueue(database, receiver.url, 1)
        done = Cli(cli.env | {"RAQIB_WEBHOOK_SECRET": SECRET}, cli.cwd)("deliver", "--once")
        unsigned = cli("deliver", "--once")
    assert done.code == 0 and "delivered=1 retried=0 failed=0" in done.stdout
    assert "warning" not in done.stderr and "RAQIB_WEBHOOK_SECRET" in unsigned.stderr
    assert unsigned.code == 0 and "delivered=0 retried=0 failed=0" in unsigned.stdout
    assert receiver.acknowledged() == Counter({key: 1})


# --- 5. two workers at once --------------------------------------------------------------------


def test_two_deliverers_never_send_one_row_at_once(database: Database, settings: Settings) -> None:
    with Receiver(delay=0.05) as receiver:
        keys = _enqueue(database, receiver.url, 12)
        start = threading.Barrier(2)
        delivered: list[int] = []

        def work() -> None:
            count = 0
            with Deliverer(database, _fast(settings)) as deliverer:
                start.wait(10)
                while (done := deliverer.run_once(limit=1)).total:
                    count += done.delivered
            delivered.append(count)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
    assert receiver.overlaps == 0
    assert receiver.acknowledged() == Counter(dict.fromkeys(keys, 1))
    assert len(delivered) == 2 and sum(delivered) == 12
    assert min(delivered) >= 1, f"one worker did everything: {delivered}"
    assert {row.state for row in _rows(database)} == {"delivered"}
