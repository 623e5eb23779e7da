"""A real service on loopback: the app from create_app, served by uvicorn in a thread, with
keys made through raqib.auth (as `raqib key create` makes them)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, text

from raqib.api.app import create_app
from raqib.auth.keys import create_key
from raqib.config import Settings
from raqib.store.db import Database


@dataclass
class Service:
    base: str
    app: FastAPI
    settings: Settings
    database: Database
    keys: dict[str, str] = field(default_factory=dict)

    def client(
        self, role: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Client:
        sent = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        return httpx.Client(base_url=self.base, headers=sent | (headers or {}), timeout=30)

    def new_key(self, role: str, rate_limit: float | None = None) -> str:
        with self.database.session(write=True) as session:
            plaintext, _view = create_key(
                session,
                role,
                f"test-{role}",
                "system:test",
                rate_limit=rate_limit,
                partner="test-partner" if role == "partner" else None,
            )
        return plaintext


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def run_service(settings: Settings) -> Iterator[tuple[str, FastAPI]]:
    """Serve create_app(settings) on a free loopback port until the generator is closed."""
    port = free_port()
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test service did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@dataclass
class Receiver:
    """A webhook receiver on loopback that records every call (headers and body)."""

    url: str
    calls: list[tuple[dict[str, str], bytes]]
    server: ThreadingHTTPServer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def webhook_receiver(
    status: int = 200, delay: float = 0.0, arrived: threading.Event | None = None
) -> Iterator[Receiver]:
    """`delay`: seconds to wait before answering; `arrived` is set when a call comes in (and
    before the answer), so a test can act while a delivery is in flight."""
    calls: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if arrived is not None:
                arrived.set()
            time.sleep(delay)
            calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", calls, server)
    try:
        yield receiver
    finally:
        receiver.close()


@contextmanager
def own_database_url(tmp_path: Path, name: str) -> Iterator[str]:
    """A database of its own named NAME: a SQLite file in TMP_PATH, or a fresh PostgreSQL schema
    (dropped afterwards) when RAQIB_TEST_DATABASE is a PostgreSQL URL."""
    target = os.environ.get("RAQIB_TEST_DATABASE", "sqlite")
    if target == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(target, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in target else "?"
    try:
        yield f"{target}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def console_sign_in(
    base: str, name: str, password: str, next_path: str | None = None
) -> dict[str, str]:
    """Sign NAME in through the console's /ui/login form without a browser; the headers that
    carry the session. (A client does not send a Secure cookie back over plain http, so the
    cookies go by hand.)"""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/ui/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text)
        assert form.status_code == 200 and token is not None, form.text[:300]
        fields = {"username": name, "password": password, "login_token": token.group(1)}
        signed = client.post(
            "/ui/login",
            data=fields | ({"next": next_path} if next_path else {}),
            headers={"Cookie": f"raqib_login_csrf={form.cookies['raqib_login_csrf']}"},
        )
    assert signed.status_code == 303, signed.text[:500]
    return {"Cookie": f"raqib_session={signed.cookies['raqib_session']}"}
