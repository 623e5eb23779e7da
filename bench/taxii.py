"""Benchmark Raqib's TAXII 2.1 server and `raqib sync` on a collection of N indicators (default
1,000,000 PDQ hashes), each way, with memory sampled while paging.

    python bench/taxii.py [--entries 1000000] [--page-size 1000] [--home DIR]
                          [--medallion-sizes 2000,10000] [--skip-pull]

1. Loads N random PDQ hashes into a bank (bulk SQL, as bench/serve.py) and shares it with a
   partner; starts `raqib serve`.
2. Serve: one client pages through the whole collection (GET objects, `limit` = page size,
   following `next`), as a partner's TAXII client would: objects/s, and the server's RSS sampled
   every 50 pages (flat memory = RSS at the end close to RSS after the first pages).
   Baselines in the same run: reading the same rows with plain SQL (the floor), and the same
   pages built in-process without HTTP (what HTTP and JSON encoding cost).
3. Pull: a second, empty Raqib home runs `raqib sync` against the first: objects/s, the sync
   process's peak RSS, and whether the pulled bank holds all N entries.
4. For reference, the OASIS reference TAXII server (medallion, memory backend) serving the same
   kind of indicators at small sizes, when it is installed (`pip install medallion`): its
   objects/s at each size show how it scales.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import raqib  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(HERE.parent / "src"))

from serve import BANK, Server, Store, free_port, open_store, raqib_bin, start_server  # noqa: E402

PARTNER = "bench-peer"
MEDIA_TAXII = "application/taxii+json;version=2.1"
SAMPLE_EVERY = 50  # pages between memory samples
GIB = 1024**3


@dataclass
class Paging:
    """What paging through a collection measured."""

    objects: int = 0
    pages: int = 0
    seconds: float = 0.0
    rss: list[int] = field(default_factory=list)  # server RSS samples, bytes
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.objects / self.seconds if self.seconds else 0.0


def cli(store_env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [raqib_bin(), *args], env=store_env, input=stdin, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"raqib {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def share(store: Store) -> str:
    """Add the bench partner (once) and share the bank with it; returns the partner's key."""
    key_file = store.home / "bench-partner-key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = cli(store.env, "partner", "add", PARTNER).strip().splitlines()[-1].strip()
    cli(store.env, "bank", "share", BANK, PARTNER)
    key_file.write_text(key)
    return key


def collection_url(base: str, key: str) -> str:
    session = _session(key)
    found = session.get(f"{base}/taxii2/api/collections/", timeout=60).json()
    collection = next(c for c in found["collections"] if c["title"] == BANK)
    return f"{base}/taxii2/api/collections/{collection['id']}/objects/"


def _session(key: str, user: str = "bench") -> requests.Session:
    session = requests.Session()
    session.auth = (user, key)
    session.headers["Accept"] = MEDIA_TAXII
    return session


def page_through(
    url: str, session: requests.Session, page_size: int, server: Server | None, timeout: float
) -> Paging:
    """GET every page of a collection's objects, following `next`."""
    paging = Paging()
    cursor: str | None = None
    start = time.perf_counter()
    while True:
        params: dict[str, Any] = {"limit": page_size}
        if cursor:
            params["next"] = cursor
        try:
            response = session.get(url, params=params, timeout=timeout)
        except requests.Timeout:
            paging.error = f"a page took longer than {timeout:.0f} s"
            break
        if response.status_code != 200:
            paging.error = f"HTTP {response.status_code}: {response.text[:200]}"
            break
        body = response.json()
        paging.objects += len(body.get("objects") or [])
        paging.pages += 1
        if server is not None and paging.pages % SAMPLE_EVERY == 1:
            paging.rss.append(server.memory()[0])
        cursor = body.get("next")
        if not body.get("more") or not cursor:
            break
    paging.seconds = time.perf_counter() - start
    if server is not None:
        paging.rss.append(server.memory()[0])
    return paging


def plain_read(store: Store) -> tuple[int, float]:
    """The floor: every entry's columns read with plain SQL, in TAXII's order."""
    database = store.home / "raqib.db"
    start = time.perf_counter()
    with sqlite3.connect(database) as conn:
        rows = 0
        query = "SELECT * FROM entries ORDER BY bank_id, added_at, id"
        for _row in conn.execute(query):
            rows += 1
    return rows, time.perf_counter() - start


def in_process(store: Store, page_size: int, pages: int) -> tuple[int, float]:
    """The same pages built in this process (no HTTP, no JSON): objects and seconds."""
    from raqib.auth.principal import Principal
    from raqib.config import Settings
    from raqib.exchange import taxii
    from raqib.exchange.partners import collections_for
    from raqib.store.db import Database

    database = Database.from_settings(Settings(home=store.home, database_url=store.url))
    caller = Principal("key", 0, "bench", "partner", partner=PARTNER)
    objects = 0
    start = time.perf_counter()
    with database.session() as session:
        collection = next(c for c in collections_for(session, caller) if c.bank.name == BANK)
        wanted = taxii.object_filter(None, page_size, None)
        for _ in range(pages):
            page = taxii.objects_page(session, collection, wanted)
            objects += len(page.items)
            if not page.more or page.next is None:
                break
            wanted = taxii.object_filter(None, page_size, page.next)
    seconds = time.perf_counter() - start
    database.dispose()
    return objects, seconds


def pull(store: Store, base: str, key: str, page_size: int) -> dict[str, Any]:
    """`raqib sync` from an empty home: objects/s and the sync process's peak RSS."""
    import psutil

    home = Path(tempfile.mkdtemp(prefix="raqib-bench-pull-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
    env["RAQIB_HOME"] = str(home)
    cli(
        env,
        "partner",
        "add",
        "origin",
        "--taxii",
        f"{base}/taxii2/",
        "--remote-key-stdin",
        stdin=key + "\n",
    )
    command = [raqib_bin(), "sync", "origin", "--page-size", str(page_size), "--json"]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watched = psutil.Process(process.pid)
    samples: list[int] = []
    while process.poll() is None:
        try:
            samples.append(watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.5)
    _out, err = process.communicate()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"raqib sync failed ({process.returncode}): {err.decode()[-500:]}")
    with sqlite3.connect(home / "raqib.db") as conn:
        pulled = int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
    return {"seconds": seconds, "rss": samples, "entries": pulled, "home": home}


# ---------------------------------------------------------------------------------------------
# medallion, the OASIS reference server, for reference at small sizes
# ---------------------------------------------------------------------------------------------


def medallion_available() -> bool:
    try:
        import medallion  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def medallion_data(objects: list[dict[str, Any]]) -> dict[str, Any]:
    added = "2026-01-01T00:00:00.000000Z"
    return {
        "/discovery": {"title": "bench", "default": "", "api_roots": []},
        "api1": {
            "information": {"title": "bench", "versions": [MEDIA_TAXII], "max_content_length": 1},
            "status": [],
            "collections": [
                {
                    "id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
                    "title": BANK,
                    "can_read": True,
                    "can_write": False,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [o | {"_date_added": added} for o in objects],
                    "manifest": [
                        {
                            "id": o["id"],
                            "date_added": added,
                            "version": o["modified"],
                            "media_type": "application/stix+json;version=2.1",
                        }
                        for o in objects
                    ],
                }
            ],
        },
    }


def medallion_run(size: int, page_size: int, timeout: float) -> Paging:
    """Serve `size` indicators from medallion's memory backend and page through them."""
    from raqib.exchange import stix
    from raqib.records import BankInfo, EntryRecord, Labels

    rng = random.Random(size)
    bank = BankInfo(0, BANK, "", "clear", True, False, True, {}, stix.EPOCH)
    entries = (
        EntryRecord(i, BANK, "pdq", f"{rng.getrandbits(256):064x}", Labels(), stix.EPOCH)
        for i in range(size)
    )
    objects = list(stix.bank_objects(bank, entries, common=False))
    work = Path(tempfile.mkdtemp(prefix="raqib-bench-medallion-"))
    (work / "data.json").write_text(json.dumps(medallion_data(objects)))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(work / "data.json"),
        },
        "users": {"bench": "secret"},
        "taxii": {"max_page_size": page_size},
    }
    (work / "config.json").write_text(json.dumps(config))
    port = free_port()
    log = open(work / "medallion.log", "ab")  # noqa: SIM115 - the server keeps it
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medallion.scripts.run",
            "--port",
            str(port),
            str(work / "config.json"),
        ],
        stdout=log,
        stderr=log,
    )
    try:
        url = f"http://127.0.0.1:{port}/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/"
        session = _session("secret")
        for _ in range(240):
            try:
                if session.get(url, params={"limit": 1}, timeout=60).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        return page_through(url, session, page_size, None, timeout)
    finally:
        process.terminate()
        process.wait(timeout=30)


# ---------------------------------------------------------------------------------------------


def gib(value: float) -> str:
    return f"{value / GIB:.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--home", type=Path, help="keep the loaded store here (reused)")
    parser.add_argument("--medallion-sizes", default="2000,10000")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a page may take")
    parser.add_argument("--skip-pull", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} (figures need an idle machine)")
    home = args.home or Path(tempfile.mkdtemp(prefix="raqib-bench-taxii-"))
    store = open_store(home, None, args.entries, seed=7)
    for step, seconds in store.seconds.items():
        print(f"  {step}: {seconds:.1f} s")
    key = share(store)
    rows, floor_seconds = plain_read(store)
    print(f"baseline, plain SQL read of the entries: {rows / floor_seconds:,.0f} rows/s")
    pages = max(1, 200_000 // args.page_size)
    made, made_seconds = in_process(store, args.page_size, pages)
    print(f"baseline, pages built in-process (no HTTP): {made / made_seconds:,.0f} objects/s")
    server = start_server(store, workers=1)
    base = f"http://127.0.0.1:{server.port}"
    try:
        report_serve(store, server, base, key, args, made / made_seconds)
        if not args.skip_pull:
            report_pull(store, base, key, args)
    finally:
        server.stop()
    report_medallion(args)
    return 0


def report_serve(
    store: Store, server: Server, base: str, key: str, args: argparse.Namespace, inproc: float
) -> None:
    url = collection_url(base, key)
    served = page_through(url, _session(key), args.page_size, server, args.timeout)
    first, peak, last = served.rss[0], max(served.rss), served.rss[-1]
    print(
        f"serve: {served.objects:,} objects in {served.pages:,} pages, {served.seconds:.1f} s = "
        f"{served.rate:,.0f} objects/s ({served.rate / inproc:.2f}x in-process)"
    )
    print(
        f"  server RSS after the first page {gib(first)}, peak {gib(peak)}, at the end "
        f"{gib(last)} ({(last - first) / first * 100:+.1f}%)"
        + (f"; {served.error}" if served.error else "")
    )


def report_pull(store: Store, base: str, key: str, args: argparse.Namespace) -> None:
    pulled = pull(store, base, key, args.page_size)
    objects = pulled["entries"]
    rss = pulled["rss"] or [0]
    tenth = rss[len(rss) // 10] if len(rss) >= 10 else rss[0]
    print(
        f"pull (raqib sync, empty home): {objects:,} entries in {pulled['seconds']:.1f} s = "
        f"{objects / pulled['seconds']:,.0f} objects/s; complete: {objects == store.n}"
    )
    print(
        f"  sync RSS at 10% of the run {gib(tenth)}, peak {gib(max(rss))}, at the end "
        f"{gib(rss[-1])}"
    )


def report_medallion(args: argparse.Namespace) -> None:
    if not medallion_available():
        print("medallion (the OASIS reference TAXII server) is not installed: reference skipped")
        return
    for size in (int(s) for s in args.medallion_sizes.split(",") if s.strip()):
        done = medallion_run(size, args.page_size, args.timeout)
        note = f"; stopped: {done.error}" if done.error else ""
        print(
            f"medallion (memory backend), {size:,} indicators: {done.objects:,} objects in "
            f"{done.seconds:.1f} s = {done.rate:,.0f} objects/s{note}"
        )


if __name__ == "__main__":
    sys.exit(main())
