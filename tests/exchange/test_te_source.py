"""python-threatexchange exchanges as a Raqib source: the local file exchange through the CLI
(two runs, a removed line revoked), and the real Tech Against Terrorism and StopNCII clients of
python-threatexchange against loopback HTTP servers speaking their APIs (paging, checkpoints,
deletions, tags). Every hash and text here is synthetic."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from threatexchange.exchanges.clients.techagainstterrorism.api import TATHashListAPI
from threatexchange.exchanges.fetch_state import SignalOpinionCategory
from threatexchange.exchanges.impl.fb_threatexchange_api import (
    FBThreatExchangeIndicatorRecord,
    FBThreatExchangeOpinion,
)

from raqib.config import Settings
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.exchange import te_kinds, te_source
from raqib.exchange.te_source import FetchRequest, FetchResult, fetch_into_bank
from raqib.signals import SignalRegistry
from raqib.store.banks import BankRepository
from raqib.store.db import Database
from raqib.store.models import EntryRevocation

RNG = random.Random(6)
Route = Callable[[str, str, dict[str, list[str]]], tuple[int, Any]]


def _pdq() -> str:
    return f"{RNG.getrandbits(256):064x}"


def _md5() -> str:
    return f"{RNG.getrandbits(128):032x}"


def _signals(database: Database, bank: str) -> set[tuple[str, str]]:
    with database.session() as session:
        return {(e.signal_type, e.value) for e in BankRepository(session).entries(bank)}


@pytest.fixture
def loopback() -> Iterator[Callable[[Route], str]]:
    """Starts HTTP servers on 127.0.0.1 answering JSON from a route function; yields a
    function returning a server's base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(route: Route) -> str:
        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                parts = urlsplit(self.path)
                status, body = route(self.command, parts.path, parse_qs(parts.query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# --- the local file exchange, through the CLI -------------------------------------------------


def test_file_exchange_fetch_twice_then_a_removed_line_is_revoked(
    cli: Any, settings: Settings, database: Database
) -> None:
    pdqs = [_pdq() for _ in range(4)]
    md5a, md5b = _md5(), _md5()
    text = "placeholder notice: the harbour ferry timetable changes on the first of next month"
    lines = [f"pdq {p}" for p in pdqs] + [
        f"video_md5 {md5a}",  # python-threatexchange's name
        f"md5 {md5b}",  # Raqib's name, as `bank export --format te` writes it
        "url HTTPS://Example.ORG/item?utm_source=x",
        f"raw_text {text}",
        "trend_query {}",  # a type Raqib has no counterpart for
        "pdq not-a-hash",
    ]
    listing = cli.cwd / "partner-list.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")

    first = cli("exchange", "fetch", "file", "--file", listing, "--bank", "from-file", "--json")
    assert first.code == 0, first.stderr
    result = json.loads(first.stdout)
    assert (result["added"], result["revoked"], result["skipped"]) == (9, 0, 2)
    assert result["complete"] is True
    signals = _signals(database, "from-file")
    assert {("md5", md5a), ("md5", md5b), ("url", "https://example.org/item")} <= signals
    assert {t for t, _ in signals} == {"pdq", "md5", "url", "text_sha256", "text_minhash"}
    checkpoint = settings.home / "exchanges" / "file-partner-list.json"
    assert json.loads(checkpoint.read_text())["bank"] == "from-file"

    second = cli("exchange", "fetch", "file", "--file", listing, "--bank", "from-file", "--json")
    assert json.loads(second.stdout)["added"] == 0
    assert json.loads(second.stdout)["already_present"] == 9

    listing.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")  # the list drops a line
    third = cli("exchange", "fetch", "file", "--file", listing, "--bank", "from-file")
    assert third.code == 0, third.stderr
    assert "revoked 1" in third.stderr
    assert ("pdq", pdqs[0]) not in _signals(database, "from-file")
    with database.session() as session:
        gone = session.scalars(select(EntryRevocation.value)).all()
    assert gone == [pdqs[0]]


def test_cli_error_names_the_missing_credential(cli: Any) -> None:
    missing = cli("exchange", "fetch", "tat", "--bank", "b")
    assert missing.code == 2
    assert "PYTX_TAT_CREDENTIALS" in missing.stderr and "--credentials FILE" in missing.stderr


def test_errors_say_what_to_do(tmp_path: Path) -> None:
    tat = te_kinds.exchange_kind("tat")
    bad = tmp_path / "creds.txt"
    bad.write_text("no-colon-here\n", encoding="utf-8")
    with pytest.raises(InputError, match="username:password"):
        te_kinds.load_credentials(tat, bad, environ={})
    with pytest.raises(InputError, match="TX_STOPNCII_KEYS"):
        te_kinds.load_credentials(te_kinds.exchange_kind("stop_ncii"), None, environ={})
    good = te_kinds.load_credentials(tat, None, {"PYTX_TAT_CREDENTIALS": "user-x:pass-y"})
    assert good is not None and good._are_valid()
    with pytest.raises(InputError, match="no such file"):
        te_kinds.collab_config(te_kinds.exchange_kind("file"), None, tmp_path / "absent.txt")
    with pytest.raises(NotFoundError, match="known: file, tat"):
        te_kinds.exchange_kind("gifct")
    with pytest.raises(InputError, match="PRIVACY_GROUP_ID"):
        te_kinds.collab_config(te_kinds.exchange_kind("threatexchange"), "x", None)
    with pytest.raises(InputError, match="test_Industry"):
        te_kinds.collab_config(te_kinds.exchange_kind("ncmec"), "nowhere", None)


def test_exchange_list_shows_where_credentials_come_from(cli: Any) -> None:
    cli.env["PYTX_TAT_CREDENTIALS"] = "placeholder-user:placeholder-pass"
    listed = cli("exchange", "list", "--json")
    assert listed.code == 0, listed.stderr
    rows = {row["name"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert set(rows) == {"file", "tat", "ncmec", "stopncii", "threatexchange"}
    assert rows["file"]["configured"] == "not needed"
    assert rows["tat"]["configured"] == "environment PYTX_TAT_CREDENTIALS"
    assert rows["stopncii"]["environment"] == "TX_STOPNCII_KEYS"


# --- Tech Against Terrorism over loopback -------------------------------------------------------


class TatList:
    """A TAT hash-list API: records after a checkpoint `updated_on,id`, two per page."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.clock = 1_700_000_000.0

    def add(self, algorithm: str, digest: str, file_type: str, deleted: bool = False) -> None:
        self.clock += 10
        self.records.append(
            {
                "hash_digest": digest,
                "algorithm": algorithm,
                "ideology": "all",
                "file_type": file_type,
                "deleted": deleted,
                "updated_on": self.clock,
                "created_on": "2026-01-02T03:04:05Z",
                "id": len(self.records) + 1,
            }
        )

    def route(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if method == "POST" and path.endswith("/token-auth/tcap/"):
            return 200, {"token": "placeholder-token"}
        after = (query.get("after") or [""])[0]
        offset = int((query.get("offset") or ["0"])[0])
        start = tuple(float(x) for x in after.split(",")) if after else (0.0, 0.0)
        pool = [r for r in self.records if (r["updated_on"], r["id"]) > start]
        page = pool[offset : offset + 2]
        more = offset + 2 < len(pool)
        checkpoint = f"{page[-1]['updated_on']},{page[-1]['id']}" if page else after
        return 200, {
            "count": len(pool),
            "next": f"offset={offset + 2}" if more else None,
            "previous": None,
            "checkpoint": checkpoint,
            "results": page,
        }


def test_tat_fetch_pages_resumes_and_revokes_deleted_hashes(
    loopback: Callable[[Route], str],
    monkeypatch: pytest.MonkeyPatch,
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
    tmp_path: Path,
) -> None:
    tat = TatList()
    pdqs, video = [_pdq() for _ in range(3)], _md5()
    for pdq in pdqs:
        tat.add("PDQ", pdq, "jpg")
    tat.add("MD5", video, "mp4")
    tat.add("MD5", _md5(), "jpg")  # python-threatexchange keeps MD5 of videos only
    # The real python-threatexchange client, pointed at the loopback server.
    monkeypatch.setattr(TATHashListAPI, "BASE_URL", loopback(tat.route) + "/")
    credentials = tmp_path / "tat-credentials"
    credentials.write_text("placeholder-user:placeholder-pass\n", encoding="utf-8")
    request = FetchRequest("tat", "tat-list", credentials=credentials)
    seen: list[int] = []

    def fetch(max_batches: int | None = None) -> FetchResult:
        return fetch_into_bank(
            database, settings, registry, request, lambda r: seen.append(r.batches), max_batches
        )

    first = fetch(max_batches=1)
    assert (first.batches, first.added, first.complete) == (1, 2, False)
    second = fetch()  # resumes after the first page's checkpoint
    assert second.complete and second.added == 2 and seen == [1, 1, 2]
    assert _signals(database, "tat-list") == {("pdq", p) for p in pdqs} | {("md5", video)}
    with database.session() as session:
        sources = {e.labels.source for e in BankRepository(session).entries("tat-list")}
    assert sources == {"tat:tat"}

    tat.add("PDQ", pdqs[0], "jpg", deleted=True)
    fresh = _pdq()
    tat.add("PDQ", fresh, "png")
    third = fetch()
    assert (third.added, third.revoked) == (1, 1)
    assert ("pdq", pdqs[0]) not in _signals(database, "tat-list")
    assert ("pdq", fresh) in _signals(database, "tat-list")
    fourth = fetch()
    assert (fourth.updates, fourth.added, fourth.revoked, fourth.complete) == (0, 0, 0, True)

    with pytest.raises(ConflictError, match="--bank tat-list"):
        fetch_into_bank(
            database, settings, registry, FetchRequest("tat", "other", None, None, credentials)
        )


# --- StopNCII over loopback -----------------------------------------------------------------


def test_stopncii_tags_become_behaviours_and_text_becomes_text_signals(
    loopback: Callable[[Route], str],
    monkeypatch: pytest.MonkeyPatch,
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
) -> None:
    pdq = _pdq()
    text = "placeholder text: the museum opens a new wing for regional pottery next spring"

    def record(kind: str, value: str, feedbacks: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "lastModtimestamp": 1_700_000_100,
            "signalType": kind,
            "hashValue": value,
            "hashStatus": "Active",
            "caseNumbers": {},
            "CSPFeedbacks": feedbacks,
        }

    def route(method: str, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        assert path == "/v1/FetchHashes"
        blocked = {"feedbackValue": "Blocked", "tags": ["tag-b", "tag, a"], "source": "csp-1"}
        records = [
            record("ImagePDQ", pdq, [blocked]),
            record("Text", text, []),
            record("URL", "https://example.net/x?fbclid=placeholder", []),
            record("VideoTMK", "placeholder-tmk", []),
        ]
        page = {"count": 4, "nextPageToken": None, "nextSetTimestamp": 1_700_000_200}
        return 200, {**page, "hasMoreRecords": False, "hashRecords": records}

    base = loopback(route)
    monkeypatch.setenv("TX_STOPNCII_KEYS", f"placeholder-fkey,placeholder-skey,{base}/v1")
    result = fetch_into_bank(database, settings, registry, FetchRequest("stopncii", "ncii"))
    assert result.complete and result.progress_time == 1_700_000_200
    with database.session() as session:
        entries = {e.signal_type: e for e in BankRepository(session).entries("ncii")}
    assert set(entries) == {"pdq", "url", "text_sha256", "text_minhash"}
    assert entries["pdq"].labels.behaviours == ("tag a", "tag-b")
    assert entries["url"].value == "https://example.net/x"
    assert entries["text_sha256"].labels.source == "stopncii:stopncii"


def test_stopncii_refusal_is_an_actionable_error(
    loopback: Callable[[Route], str],
    monkeypatch: pytest.MonkeyPatch,
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
) -> None:
    base = loopback(lambda method, path, query: (401, {"error": "bad key"}))
    monkeypatch.setenv("TX_STOPNCII_KEYS", f"wrong-fkey,wrong-skey,{base}/v1")
    with pytest.raises(InputError, match=r"401.*check its credentials"):
        fetch_into_bank(database, settings, registry, FetchRequest("stopncii", "ncii"))


# --- ThreatExchange records through python-threatexchange's own conversion ---------------------


def test_threatexchange_records_map_and_negative_opinions_are_dropped(
    registry: SignalRegistry,
) -> None:
    kind = te_kinds.EXCHANGES["threatexchange"]
    collab = te_kinds.collab_config(kind, "1234", None)
    mapper = te_source.SignalMapper(registry, kind, collab, kind.api)
    pdq = _pdq()

    def opinions(category: SignalOpinionCategory) -> FBThreatExchangeIndicatorRecord:
        return FBThreatExchangeIndicatorRecord(
            [FBThreatExchangeOpinion(False, category, {"placeholder_tag"}, 7, 99)]
        )

    positive, deleted = mapper.entries(
        ("HASH_PDQ", pdq), opinions(SignalOpinionCategory.POSITIVE_CLASS)
    )
    assert [(e.signal_type, e.value, e.labels.behaviours) for e in positive] == [
        ("pdq", pdq, ("placeholder_tag",))
    ]
    assert deleted is False
    negative, _ = mapper.entries(("HASH_PDQ", pdq), opinions(SignalOpinionCategory.NEGATIVE_CLASS))
    assert negative == []
    assert mapper.entries(("HASH_PDQ", pdq), None) == ([], True)
