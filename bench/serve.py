"""Benchmark `raqib serve`: POST /api/v1/match with N PDQ hashes loaded (default 10,000,000),
driven from a load generator in another process on the same machine.

    python bench/serve.py [--hashes 10000000] [--workers 2] [--seconds 20] [--soak-seconds 600]
                          [--quick] [--home DIR] [--database-url URL]

Loads N random PDQ hashes into a bench bank with bulk SQL (entries sorted by value key, so
every B-tree is appended to) and saves the index snapshot `raqib serve` opens, creates API keys
with `raqib key create`, starts `raqib serve`, then measures, each against a baseline taken in
the same run: the generator alone (a trivial asyncio HTTP server), GET /healthz (the framework
and auth-free path), single-hash /match (closed loop: capacity; open loop at the target rate:
latency without coordinated omission), batches of 100 and 1,000 signals (lookups/s), an entry
added through the API and matched by the very next request, POST /items with texts, server
memory, and a soak at the target rate (RSS growth, errors). 10% of match queries are planted
near-duplicates (1-31 bits from a bank hash) whose matches are checked.

`--home DIR` keeps the loaded store: a second run with the same N skips the load.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bench/match.py: the hash generators
try:
    import raqib  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(HERE.parent / "src"))

from match import plant, uniform  # noqa: E402

BANK = "bench"
HIT_SHARE = 0.10  # share of single-hash queries planted near a bank hash
TARGETS = {
    "single": ">= 2,000 requests/s, p99 <= 25 ms",
    "batch": ">= 4,000 lookups/s",
    "items": ">= 300 items/s",
    "fresh": "matchable by the next request",
}
CHUNK = 500_000

# ===========================================================================================
# Load generator (runs in its own process: `python bench/serve.py _drive < spec.json`)
# ===========================================================================================


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request in flight at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = _content_length(head)
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        waiter, self.waiter = self.waiter, None
        waiter.set_result((int(head[9:12]), body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))
        self.transport = None

    def request(self, payload: bytes) -> asyncio.Future[tuple[int, bytes]]:
        self.waiter = self.loop.create_future()
        if self.transport is None:
            self.waiter.set_exception(ConnectionError("connection closed"))
        else:
            self.transport.write(payload)
        return self.waiter


def _content_length(head: bytes) -> int:
    """The Content-Length of a lower-cased header block (0 if absent)."""
    at = head.find(b"content-length:")
    if at < 0:
        return 0
    stop = head.find(b"\r\n", at)
    return int(head[at + 15 : stop if stop >= 0 else len(head)])


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    checked: int = 0
    check_failures: int = 0
    samples: list[str] = field(default_factory=list)


def _payload(spec: dict[str, Any], body: bytes | None) -> bytes:
    lines = [f"{spec['method']} {spec['path']} HTTP/1.1", f"Host: 127.0.0.1:{spec['port']}"]
    lines += [f"{k}: {v}" for k, v in spec.get("headers", {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def _check(tally: _Tally, status: int, body: bytes, expect: int) -> None:
    """Planted queries must match (`expect` is how many results should have matches)."""
    tally.checked += 1
    try:
        results = json.loads(body)["results"]
        found = sum(1 for r in results if r["matches"])
    except (ValueError, KeyError, TypeError):
        found = -1
    if status != 200 or found < expect:
        tally.check_failures += 1
        if len(tally.samples) < 3:
            tally.samples.append(body[:300].decode(errors="replace"))


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    bodies = [base64.b64decode(b) if b else None for b in spec["bodies"]]
    expects = spec.get("expect") or [0] * len(bodies)
    check = bool(spec.get("check"))
    payloads = [_payload(spec, body) for body in bodies]
    conns: list[_Connection] = []
    for _ in range(spec["connections"]):
        _, conn = await loop.create_connection(lambda: _Connection(loop), "127.0.0.1", spec["port"])
        conns.append(conn)
    tally = _Tally()
    warm_until = time.perf_counter() + spec.get("warmup", 1.0)
    deadline = warm_until + spec["seconds"]
    counter = iter(range(10**12))

    async def one(conn: _Connection, scheduled: float) -> None:
        n = next(counter)
        index = n % len(payloads)
        try:
            status, body = await conn.request(payloads[index])
        except ConnectionError:
            tally.errors += 1
            return
        done = time.perf_counter()
        if scheduled < warm_until:
            return
        tally.latencies.append(done - scheduled)
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        if status >= 400:
            tally.errors += 1
        if check and (expects[index] or n % 97 == 0):
            _check(tally, status, body, expects[index])

    usage = resource.getrusage(resource.RUSAGE_SELF)
    dropped = [0]
    if spec["mode"] == "closed":

        async def loop_on(conn: _Connection) -> None:
            while (now := time.perf_counter()) < deadline:
                await one(conn, now)

        started = time.perf_counter()
        await asyncio.gather(*(loop_on(c) for c in conns))
    else:
        started = await _open_loop(spec, conns, one, deadline, dropped)
    ended = time.perf_counter()
    used = resource.getrusage(resource.RUSAGE_SELF)
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    measured = ended - max(started, warm_until)
    lat = np.asarray(tally.latencies) * 1e3
    cpu = (used.ru_utime - usage.ru_utime) + (used.ru_stime - usage.ru_stime)
    return {
        "requests": int(lat.size),
        "seconds": measured,
        "rps": lat.size / measured if measured > 0 else 0.0,
        "p50_ms": float(np.percentile(lat, 50)) if lat.size else float("nan"),
        "p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
        "p999_ms": float(np.percentile(lat, 99.9)) if lat.size else float("nan"),
        "max_ms": float(lat.max()) if lat.size else float("nan"),
        "errors": tally.errors + dropped[0],
        "dropped": dropped[0],
        "statuses": {str(k): v for k, v in tally.statuses.items()},
        "checked": tally.checked,
        "check_failures": tally.check_failures,
        "samples": tally.samples,
        "generator_cpu": cpu / (ended - started),
    }


async def _open_loop(
    spec: dict[str, Any],
    conns: list[_Connection],
    one: Callable[[_Connection, float], Any],
    deadline: float,
    dropped: list[int],
) -> float:
    """Send at a fixed rate whatever the answers do; latency counts from the scheduled time,
    so a request that waited for a free connection is charged for the wait."""
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for conn in conns:
        idle.put_nowait(conn)
    interval = 1.0 / spec["rate"]
    tasks: set[asyncio.Task[None]] = set()
    backlog = int(spec["rate"] * 10)  # beyond 10 s of queued requests, count them as dropped

    async def send(scheduled: float) -> None:
        conn = await idle.get()
        try:
            await one(conn, scheduled)
        finally:
            idle.put_nowait(conn)

    started = time.perf_counter()
    sent = 0
    while True:
        now = time.perf_counter()
        if now >= deadline:
            break
        due = int((now - started) / interval) + 1
        while sent < due:
            if len(tasks) < backlog:
                task = asyncio.ensure_future(send(started + sent * interval))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            else:
                dropped[0] += 1
            sent += 1
        await asyncio.sleep(max(0.001, started + sent * interval - time.perf_counter()))
    if tasks:
        await asyncio.gather(*tasks)
    return started


def _drive_main() -> int:
    spec = json.loads(sys.stdin.read())
    _fast_loop()
    print(json.dumps(asyncio.run(_drive(spec))))
    return 0


def _fast_loop() -> None:
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass


# ===========================================================================================
# The baseline server: the least an HTTP server can do (`python bench/serve.py _trivial PORT`)
# ===========================================================================================


class _Trivial(asyncio.Protocol):
    ANSWER = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
        b'{"status":"ok"}'
    )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = _content_length(bytes(self.buffer[:end]).lower())
            if len(self.buffer) < end + 4 + length:
                return
            del self.buffer[: end + 4 + length]
            self.transport.write(self.ANSWER)


def _trivial_main(port: int) -> int:
    _fast_loop()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Trivial, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())
    return 0


# ===========================================================================================
# The store: N random PDQ hashes in a bench bank, and the index snapshot `raqib serve` opens
# ===========================================================================================


@dataclass
class Store:
    home: Path
    url: str | None
    n: int
    planted: np.ndarray  # uint8[q, 32]: near-duplicates of bank hashes (1-31 bits)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
        env["RAQIB_HOME"] = str(self.home)
        if self.url:
            env["RAQIB_DATABASE_URL"] = self.url
        env["RAQIB_RATE_LIMIT"] = "1000000"  # the bench measures the service, not the limiter
        return env


@contextmanager
def timed(into: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into[key] = time.perf_counter() - start


def open_store(home: Path, url: str | None, n: int, seed: int) -> Store:
    """The bench store under `home`, loaded now unless a previous run left one of size `n`."""
    marker = home / "bench-store.json"
    planted_file = home / "bench-planted.npy"
    if marker.exists() and json.loads(marker.read_text()) == {"n": n, "url": url}:
        print(f"reusing the store loaded earlier in {home} ({n:,} hashes)")
        return Store(home, url, n, np.load(planted_file))
    home.mkdir(parents=True, exist_ok=True)
    store = Store(home, url, n, np.zeros((0, 32), np.uint8))
    rng = np.random.default_rng(seed)
    with timed(store.seconds, "generate"):
        hashes = uniform(rng, n)
        keys = _value_keys(hashes)
        order = np.lexsort(keys.view(">u8").reshape(-1, 4).T[::-1])  # by value key
        hashes, keys = hashes[order], keys[order]
    store.planted = plant(rng, hashes, 2_000)
    np.save(planted_file, store.planted)
    with timed(store.seconds, "insert"):
        last_seq = _insert(store, hashes, keys)
    del keys
    gc.collect()
    with timed(store.seconds, "index"):
        _save_snapshot(store, hashes, last_seq)
    marker.write_text(json.dumps({"n": n, "url": url}))
    return store


def _value_keys(hashes: np.ndarray) -> np.ndarray:
    """sha256 of each hash's hex form (the store's value_key), as uint8[n, 32]."""
    out = np.empty_like(hashes)
    for lo in range(0, hashes.shape[0], CHUNK):
        digests = b"".join(
            hashlib.sha256(v.encode()).digest() for v in _hexes(hashes[lo : lo + CHUNK])
        )
        out[lo : lo + CHUNK] = np.frombuffer(digests, np.uint8).reshape(-1, 32)
    return out


def _hexes(rows: np.ndarray) -> list[str]:
    text = rows.tobytes().hex()
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def _database(store: Store) -> Any:
    from raqib.config import Settings
    from raqib.store.db import Database
    from raqib.store.migrate import upgrade

    database = Database.from_settings(Settings(home=store.home, database_url=store.url))
    upgrade(database)
    return database


def _insert(store: Store, hashes: np.ndarray, keys: np.ndarray) -> int:
    """Bulk-insert the entries and their change-log rows; returns the last change number.
    Rows go in value-key order with ascending ids, so every index is appended to."""
    from raqib.store.banks import BankRepository

    database = _database(store)
    with database.session() as session:
        repo = BankRepository(session)
        repo.create(BANK, description="bench: random PDQ hashes", tlp="clear")
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT id FROM banks WHERE name = 'bench'")
        bank_id = int(cursor.fetchone()[0])
        cursor.execute("SELECT coalesce(max(id), 0) FROM entries")
        first_id = int(cursor.fetchone()[0]) + 1
        cursor.execute("SELECT coalesce(max(seq), 0) FROM index_changes")
        first_seq = int(cursor.fetchone()[0]) + 1
        cursor.close()
        insert = _insert_sqlite if store.url is None else _insert_postgres
        insert(raw.driver_connection, bank_id, first_id, first_seq, hashes, keys)
        raw.commit()
    finally:
        raw.close()
        database.dispose()
    return first_seq + int(hashes.shape[0]) - 1


def _rows(
    bank_id: int, first_id: int, hashes: np.ndarray, keys: np.ndarray, lo: int
) -> list[tuple[Any, ...]]:
    from raqib.stixids import indicator_id

    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    values, digests = _hexes(hashes[lo : lo + CHUNK]), _hexes(keys[lo : lo + CHUNK])
    return [
        (first_id + lo + i, bank_id, "pdq", v, k, "", "", None, "bench", "", now, sid)
        for i, (v, k, sid) in enumerate(
            zip(values, digests, (indicator_id(BANK, "pdq", v) for v in values), strict=True)
        )
    ]


ENTRY_COLUMNS = (
    "id, bank_id, signal_type, value, value_key, entity, behaviours, tier, source, note, added_at, "
    "stix_id"
)


CHANGES_SQL = (
    "INSERT INTO index_changes (seq, signal_type, entry_id, op) VALUES (?, 'pdq', ?, 'add')"
)


def _insert_sqlite(
    conn: Any, bank_id: int, first_id: int, first_seq: int, hashes: np.ndarray, keys: np.ndarray
) -> None:
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("BEGIN")
    marks = ",".join("?" * 12)
    n = hashes.shape[0]
    for lo in range(0, n, CHUNK):
        rows = _rows(bank_id, first_id, hashes, keys, lo)
        conn.executemany(f"INSERT INTO entries ({ENTRY_COLUMNS}) VALUES ({marks})", rows)
        changes = ((first_seq + lo + i, first_id + lo + i) for i in range(len(rows)))
        conn.executemany(CHANGES_SQL, changes)


def _insert_postgres(
    conn: Any, bank_id: int, first_id: int, first_seq: int, hashes: np.ndarray, keys: np.ndarray
) -> None:
    n = hashes.shape[0]
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY entries ({ENTRY_COLUMNS}) FROM STDIN") as copy:
            for lo in range(0, n, CHUNK):
                for row in _rows(bank_id, first_id, hashes, keys, lo):
                    copy.write_row(row)
        with cursor.copy("COPY index_changes (seq, signal_type, entry_id, op) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row((first_seq + i, "pdq", first_id + i, "add"))
        for table, column, last in (
            ("entries", "id", first_id + n - 1),
            ("index_changes", "seq", first_seq + n - 1),
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), %s)", (last,)
            )
        cursor.execute("ANALYZE entries")
        cursor.execute("ANALYZE index_changes")


def _save_snapshot(store: Store, hashes: np.ndarray, last_seq: int) -> None:
    """The snapshot `raqib serve` loads (memory-mapped) at start-up: index/pdq/seq-<N>/."""
    from raqib.index.hamming import HammingIndex

    directory = store.home / "index" / "pdq"
    shutil.rmtree(directory, ignore_errors=True)
    first_id = last_seq - hashes.shape[0] + 1  # the bench writes ids and numbers in step
    ids = np.arange(first_id, first_id + hashes.shape[0], dtype=np.int64)
    HammingIndex.build(ids, hashes).save(directory / f"seq-{last_seq}")


def poll_cost(store: Store, rounds: int = 5_000) -> float:
    """Microseconds one per-request freshness poll costs (change-log head + bank rows)."""
    from raqib.serving.store import StoreReader

    database = _database(store)
    reader = StoreReader(database)
    try:
        reader.poll()
        start = time.perf_counter()
        for _ in range(rounds):
            reader.poll()
        return (time.perf_counter() - start) / rounds * 1e6
    finally:
        reader.close()
        database.dispose()


# ===========================================================================================
# The server under test, and plain HTTP calls from this process
# ===========================================================================================


def raqib_bin() -> str:
    found = Path(sys.executable).with_name("raqib")
    return str(found) if found.exists() else "raqib"


def create_key(store: Store, role: str) -> str:
    done = subprocess.run(
        [raqib_bin(), "key", "create", "--role", role, "--name", f"bench-{role}"],
        env=store.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"raqib key create failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1].strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    started_in: float

    def processes(self) -> list[Any]:
        import psutil

        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def memory(self) -> tuple[int, int, int]:
        """(RSS, PSS, USS) summed over the server's processes, in bytes. USS (memory no other
        process shares) shows leaks; RSS also counts the memory-mapped index pages touched."""
        rss = pss = uss = 0
        for proc in self.processes():
            try:
                info = proc.memory_full_info()
            except Exception:  # a process that just ended
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            uss += getattr(info, "uss", info.rss)
        return rss, pss, uss

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
            except Exception:  # a process that just ended
                continue
            total += times.user + times.system
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(store: Store, workers: int) -> Server:
    port = free_port()
    log = open(store.home / "serve.log", "ab")  # noqa: SIM115 - the server keeps it
    command = [raqib_bin(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=store.env, stdout=log, stderr=log)
    server = Server(process, port, 0.0)
    deadline = time.time() + 900
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"raqib serve exited ({process.returncode}); see {store.home / 'serve.log'}"
            )
        try:
            status, _ = call(port, "GET", "/readyz")
            if status == 200 and workers_ready(server, workers):
                server.started_in = time.perf_counter() - start
                return server
        except OSError:
            pass
        time.sleep(0.25)
    server.stop()
    raise SystemExit("raqib serve did not become ready in 15 minutes")


def workers_ready(server: Server, workers: int) -> bool:
    """Every worker answered /readyz (a new connection may reach any of them)."""
    for _ in range(4 * workers):
        status, _ = call(server.port, "GET", "/readyz")
        if status != 200:
            return False
    return True


def call(
    port: int, method: str, path: str, key: str | None = None, body: Any = None
) -> tuple[int, Any]:
    """One request on a new connection; (status, parsed JSON or raw text)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode(errors="replace")


def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load generator in its own process and return its figures."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_drive"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"load generator failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


# ===========================================================================================
# Request bodies
# ===========================================================================================


def match_bodies(
    rng: random.Random, planted: np.ndarray, count: int, batch: int
) -> tuple[list[str], list[int]]:
    """`count` bodies of `batch` PDQ signals, 10% planted near a bank hash; and how many of
    each body's signals must match."""
    bodies, expect = [], []
    planted_hex = _hexes(planted)
    for _ in range(count):
        lines, hits = [], 0
        for _ in range(batch):
            if rng.random() < HIT_SHARE:
                lines.append("pdq " + rng.choice(planted_hex))
                hits += 1
            else:
                lines.append(f"pdq {rng.getrandbits(256):064x}")
        bodies.append(_b64({"signals": lines}))
        expect.append(hits)
    return bodies, expect


TEXTS = (
    "synthetic test post {n}: the weather in the city is mild today and the market is busy",
    "منشور تجريبي اصطناعي رقم {n} عن الطقس المعتدل في المدينة اليوم وازدحام السوق",
    "synthetic test post {n}: a recipe for lentil soup with lemon and cumin",
    "منشور تجريبي رقم {n}: مباراة كرة القدم انتهت بالتعادل في الملعب البلدي",
)


def item_bodies(count: int) -> list[str]:
    return [
        _b64(
            {"text": TEXTS[n % len(TEXTS)].format(n=n), "platform": "bench", "external_id": str(n)}
        )
        for n in range(count)
    ]


def _b64(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def spec_for(
    server: Server, key: str | None, path: str, bodies: list[str], **extra: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    method = "POST" if bodies and bodies[0] else "GET"
    return {
        "port": server.port,
        "method": method,
        "path": path,
        "headers": headers,
        "bodies": bodies,
        **extra,
    }


# ===========================================================================================
# Phases
# ===========================================================================================


@dataclass
class Row:
    name: str
    figures: dict[str, Any]
    lookups: int = 1  # signals per request
    target: str = ""


def phase(
    server: Server, name: str, spec: dict[str, Any], lookups: int = 1, target: str = ""
) -> Row:
    cpu, busy, start = server.cpu_seconds(), machine_busy(), time.perf_counter()
    figures = drive(spec)
    used = server.cpu_seconds() - cpu
    wall = time.perf_counter() - start
    figures["server_cpu_ms"] = used / max(1, figures["requests"]) * 1e3
    figures["server_cores"] = used / figures["seconds"] if figures["seconds"] else 0.0
    others = machine_busy() - busy - used - figures["generator_cpu"] * figures["seconds"]
    figures["other_cores"] = max(0.0, others / wall)
    row = Row(name, figures, lookups, target)
    print_row(row)
    return row


def machine_busy() -> float:
    """CPU seconds all processes of the machine have used (from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def print_row(row: Row) -> None:
    f = row.figures
    rate = f"{f['rps']:,.0f} req/s" + (
        f" = {f['rps'] * row.lookups:,.0f} lookups/s" if row.lookups > 1 else ""
    )
    checks = (
        f", planted checks {f['checked'] - f['check_failures']}/{f['checked']}"
        if f["checked"]
        else ""
    )
    print(
        f"  {row.name:<34} {rate:<32} p50 {f['p50_ms']:7.2f} ms  p99 {f['p99_ms']:7.2f} ms  "
        f"errors {f['errors']}{checks}  [server {f['server_cores']:.2f} cores, "
        f"{f['server_cpu_ms']:.2f} ms CPU/req; generator {f['generator_cpu']:.2f}; "
        f"other processes {f['other_cores']:.2f}]"
    )
    for sample in f.get("samples", [])[:1]:
        print(f"    first failed check: {sample}")


def fresh_probe(
    server: Server, curator: str, submitter: str, rng: random.Random
) -> tuple[bool, float]:
    """Add an entry through the API, then match it with the very next request (on a new
    connection, so on any worker): (matched, seconds from add to answer)."""
    value = f"{rng.getrandbits(256):064x}"
    start = time.perf_counter()
    status, body = call(
        server.port,
        "POST",
        f"/api/v1/banks/{BANK}/entries",
        curator,
        {"entries": [{"signal": f"pdq {value}", "source": "bench-probe"}]},
    )
    if status != 201:
        print(f"    add failed: {status} {str(body)[:200]}")
        return False, 0.0
    status, body = call(
        server.port, "POST", "/api/v1/match", submitter, {"signals": [f"pdq {value}"]}
    )
    took = time.perf_counter() - start
    ok = status == 200 and any(m["signal"] == value for m in body["results"][0]["matches"])
    return ok, took


def soak(
    server: Server, spec: dict[str, Any], curator: str, submitter: str, rng: random.Random
) -> dict[str, Any]:
    """Open-loop load at the target rate for spec['seconds'], sampling server memory and
    probing freshness from this process meanwhile."""
    import threading

    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(drive(spec)))
    samples = [(0.0, *server.memory())]
    busy, cpu = machine_busy(), server.cpu_seconds()
    probes: list[bool] = []
    start = time.perf_counter()
    worker.start()
    next_probe = start + 10
    while worker.is_alive():
        worker.join(timeout=5)
        now = time.perf_counter()
        samples.append((now - start, *server.memory()))
        if now >= next_probe and worker.is_alive():
            probes.append(fresh_probe(server, curator, submitter, rng)[0])
            next_probe = now + 10
    # growth: the median of the soak's last tenth against that of its first tenth
    tenth = max(1, len(samples) // 10)
    for column, name in ((1, "rss"), (3, "uss")):
        first = float(np.median([s[column] for s in samples[:tenth]]))
        last = float(np.median([s[column] for s in samples[-tenth:]]))
        result[f"{name}_start"], result[f"{name}_end"] = first, last
        result[f"{name}_growth_pct"] = (last - first) / first * 100 if first else 0.0
    result["rss_peak"] = max(s[1] for s in samples)
    result["probes"] = probes
    wall = time.perf_counter() - start
    used = server.cpu_seconds() - cpu
    result["server_cores"] = used / wall
    result["server_cpu_ms"] = used / max(1, result["requests"]) * 1e3
    others = machine_busy() - busy - used - result["generator_cpu"] * wall
    result["other_cores"] = max(0.0, others / wall)
    return result


# ===========================================================================================
# Main
# ===========================================================================================


def gib(value: float) -> str:
    return f"{value / 2**30:,.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=10_000_000, help="PDQ hashes in the bank")
    parser.add_argument("--workers", type=int, default=2, help="raqib serve --workers")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=2_000.0, help="target single-hash req/s")
    parser.add_argument("--connections", type=int, default=32, help="closed-loop connections")
    parser.add_argument(
        "--quick", action="store_true", help="200,000 hashes, 5 s phases, 30 s soak"
    )
    parser.add_argument("--home", type=Path, help="keep the store here (reused by the next run)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in the home)")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)
    if args.quick:
        args.hashes, args.seconds, args.soak_seconds = 200_000, 5.0, 30.0
    home = args.home or Path(tempfile.mkdtemp(prefix="raqib-serve-bench-"))
    rng = random.Random(args.seed)
    print(
        f"cores: {os.cpu_count()}  hashes: {args.hashes:,}  workers: {args.workers}  "
        f"database: {'PostgreSQL' if args.database_url else 'SQLite'}  home: {home}"
    )
    print(f"load average at start: {os.getloadavg()}")
    try:
        return run(args, home, rng)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


def run(args: argparse.Namespace, home: Path, rng: random.Random) -> int:
    store = open_store(home, args.database_url, args.hashes, args.seed)
    for key, value in store.seconds.items():
        print(f"  load: {key} {value:,.1f} s")
    print(f"  freshness poll (every request): {poll_cost(store):,.1f} us")
    submitter, curator = create_key(store, "submitter"), create_key(store, "curator")
    rows: list[Row] = []
    port = free_port()
    trivial = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "_trivial", str(port)]
    )
    try:
        time.sleep(1.0)
        print("\nbaseline: the load generator against a trivial asyncio HTTP server")
        base = Server(trivial, port, 0.0)
        rows.append(
            phase(
                base,
                "generator ceiling (trivial server)",
                spec_for(
                    base,
                    None,
                    "/",
                    [""],
                    connections=args.connections,
                    seconds=args.seconds / 2,
                    mode="closed",
                ),
            )
        )
    finally:
        trivial.terminate()
        trivial.wait()
    server = start_server(store, args.workers)
    try:
        rss, pss, uss = server.memory()
        print(
            f"\nraqib serve --workers {args.workers}: ready in {server.started_in:.1f} s; "
            f"RSS {gib(rss)} (PSS {gib(pss)}, USS {gib(uss)}) over "
            f"{len(server.processes())} processes"
        )
        measure(args, store, server, rows, rng, submitter, curator)
    finally:
        server.stop()
    summary(args, rows)
    print(f"\nload average at end: {os.getloadavg()} (other processes share the 2 cores)")
    return 0


def measure(
    args: argparse.Namespace,
    store: Store,
    server: Server,
    rows: list[Row],
    rng: random.Random,
    submitter: str,
    curator: str,
) -> None:
    seconds, conns = args.seconds, args.connections
    print("\nbaseline: GET /healthz (framework, no auth, no matching)")
    rows.append(
        phase(
            server,
            "GET /healthz",
            spec_for(
                server, None, "/healthz", [""], connections=conns, seconds=seconds, mode="closed"
            ),
        )
    )
    print("\nPOST /api/v1/match, one signal a request")
    bodies, expect = match_bodies(rng, store.planted, 4_000, 1)
    single = spec_for(server, submitter, "/api/v1/match", bodies, expect=expect, check=True)
    rows.append(
        phase(
            server,
            "single, closed loop (capacity)",
            {**single, "connections": conns, "seconds": seconds, "mode": "closed"},
            target=TARGETS["single"],
        )
    )
    rows.append(
        phase(
            server,
            f"single, open loop at {args.rate:,.0f}/s",
            {**single, "connections": 64, "seconds": seconds, "mode": "open", "rate": args.rate},
            target=TARGETS["single"],
        )
    )
    print("\nPOST /api/v1/match, batches")
    for batch in (100, 1_000):
        bodies, expect = match_bodies(rng, store.planted, 40, batch)
        spec = spec_for(
            server,
            submitter,
            "/api/v1/match",
            bodies,
            expect=expect,
            check=True,
            connections=4,
            seconds=seconds,
            mode="closed",
        )
        rows.append(
            phase(server, f"batches of {batch:,}", spec, lookups=batch, target=TARGETS["batch"])
        )
    print("\nan entry added through the API, matched by the next request (a new connection)")
    probes = [fresh_probe(server, curator, submitter, rng) for _ in range(20)]
    ok = sum(1 for hit, _ in probes if hit)
    took = float(np.median([t for _, t in probes])) * 1e3
    print(f"  {ok}/{len(probes)} matched at once; add + match: median {took:.1f} ms")
    rows.append(
        Row("added, then matched at once", {"ok": ok, "of": len(probes)}, target=TARGETS["fresh"])
    )
    print("\nPOST /api/v1/items, texts")
    spec = spec_for(
        server,
        submitter,
        "/api/v1/items",
        item_bodies(2_000),
        connections=8,
        seconds=seconds,
        mode="closed",
    )
    rows.append(phase(server, "items (text), closed loop", spec, target=TARGETS["items"]))
    rss, pss, uss = server.memory()
    print(f"\nserver memory after the phases: RSS {gib(rss)}, PSS {gib(pss)}, USS {gib(uss)}")
    print(f"\nsoak: single-hash open loop at {args.rate:,.0f}/s for {args.soak_seconds:,.0f} s")
    bodies, expect = match_bodies(rng, store.planted, 4_000, 1)
    spec = spec_for(
        server,
        submitter,
        "/api/v1/match",
        bodies,
        expect=expect,
        check=True,
        connections=64,
        seconds=args.soak_seconds,
        mode="open",
        rate=args.rate,
    )
    result = soak(server, spec, curator, submitter, rng)
    probes_ok = sum(result["probes"])
    print(
        f"  {result['rps']:,.0f} req/s, p50 {result['p50_ms']:.2f} ms, "
        f"p99 {result['p99_ms']:.2f} ms, p99.9 {result['p999_ms']:.2f} ms, "
        f"errors {result['errors']} (dropped {result['dropped']}), planted checks "
        f"{result['checked'] - result['check_failures']}/{result['checked']}"
    )
    print(
        f"  RSS {gib(result['rss_start'])} -> {gib(result['rss_end'])} "
        f"({result['rss_growth_pct']:+.1f} %), peak {gib(result['rss_peak'])}; private (USS) "
        f"{gib(result['uss_start'])} -> {gib(result['uss_end'])} "
        f"({result['uss_growth_pct']:+.1f} %); adds matched at once: "
        f"{probes_ok}/{len(result['probes'])}"
    )
    print(
        f"  [server {result['server_cores']:.2f} cores, {result['server_cpu_ms']:.2f} ms CPU/req; "
        f"generator {result['generator_cpu']:.2f}; other processes {result['other_cores']:.2f}]"
    )
    rows.append(Row("soak", result, target=TARGETS["single"]))


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def summary(args: argparse.Namespace, rows: list[Row]) -> None:
    """The figures against the targets, with ratios to the baselines of this run."""
    by = {r.name: r.figures for r in rows}
    print("\n== summary ==")
    g = by.get("generator ceiling (trivial server)", {}).get("rps", float("nan"))
    h = by.get("GET /healthz", {}).get("rps", float("nan"))
    c = by.get("single, closed loop (capacity)", {}).get("rps", float("nan"))
    print(f"  generator ceiling {g:,.0f} req/s; GET /healthz {h:,.0f} req/s ({h / g:.2f}x it)")
    print(
        f"  single-hash capacity {c:,.0f} req/s: {c / h:.2f}x /healthz, {c / args.rate:.2f}x target"
    )
    closed = by.get("single, closed loop (capacity)")
    if closed:
        spare = (os.cpu_count() or 1) - closed["generator_cpu"]
        print(
            f"  server CPU per single-hash request {closed['server_cpu_ms']:.2f} ms while other "
            f"processes took {closed['other_cores']:.2f} cores (contention raises it): at that "
            f"cost the cores the generator leaves give {spare / closed['server_cpu_ms'] * 1e3:,.0f}"
            " req/s at most"
        )
    opened = next((r.figures for r in rows if r.name.startswith("single, open loop")), None)
    if opened:
        ok = opened["rps"] >= 0.98 * args.rate and opened["p99_ms"] <= 25 and not opened["errors"]
        print(
            f"  single-hash at {args.rate:,.0f}/s: {opened['rps']:,.0f} req/s, "
            f"p99 {opened['p99_ms']:.2f} ms, errors {opened['errors']}: {met(ok)} "
            f"({TARGETS['single']})"
        )
    for batch in (100, 1_000):
        if (row := by.get(f"batches of {batch:,}")) is not None:
            lookups = row["rps"] * batch
            print(f"  batches of {batch:,}: {lookups:,.0f} lookups/s: {met(lookups >= 4000)}")
    if (fresh := by.get("added, then matched at once")) is not None:
        print(f"  added via the API, matched by the next request: {fresh['ok']}/{fresh['of']}")
    if (items := by.get("items (text), closed loop")) is not None:
        print(f"  POST /items (text): {items['rps']:,.0f} items/s: {met(items['rps'] >= 300)}")
    if (soaked := by.get("soak")) is not None:
        # the soak target: the rate held for the whole soak, no errors, RSS growth < 5 %
        held = soaked["rps"] >= 0.98 * args.rate
        ok = held and not soaked["errors"] and soaked["rss_growth_pct"] < 5
        print(
            f"  soak {args.soak_seconds:,.0f} s at {args.rate:,.0f}/s: {soaked['rps']:,.0f} req/s, "
            f"errors {soaked['errors']}, RSS growth {soaked['rss_growth_pct']:+.1f} % (USS "
            f"{soaked['uss_growth_pct']:+.1f} %): {met(ok)}; its p99 {soaked['p99_ms']:.2f} ms "
            f"({'within' if soaked['p99_ms'] <= 25 else 'above'} the 25 ms of the rate phase)"
        )


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "_drive":
    raise SystemExit(_drive_main())
if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "_trivial":
    raise SystemExit(_trivial_main(int(sys.argv[2])))
if __name__ == "__main__":
    raise SystemExit(main())
