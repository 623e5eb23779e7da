"""The flood quarantine in the library: the sliding window and its pruning, counting turned
off, text that asks for review by itself, allow-lists, concurrent intakes quarantining once,
and `raqib quarantine list|release` at the command line."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import Cli
from raqib import banking
from raqib.config import Settings
from raqib.pipeline import Hashed, build_finding, empty_text_assessment
from raqib.records import Labels, NewEntry
from raqib.review import quarantine
from raqib.review.quarantine import FloodLimits, take_in
from raqib.serving.matcher import ServiceMatcher
from raqib.signals import Signal, SignalRegistry
from raqib.store.db import Database
from raqib.store.models_service import Case, EntryMatchCount, SignalQuarantine

SIGNAL = Signal("text_sha256", "5e" * 32)  # a generated value, as a bad partner hash would be
LIMITS = FloodLimits(matches=3, window_minutes=5)
T0 = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def matcher(database: Database, settings: Settings, registry: SignalRegistry) -> Iterator[Any]:
    matcher = ServiceMatcher(database, settings, registry)
    yield matcher
    matcher.close()


def _bank(database: Database, name: str, signal: Signal = SIGNAL, allow: bool = False) -> int:
    with database.session(write=True) as session:
        banking.create_bank(session, "test", name, "", "amber", allow)
        entry = NewEntry(signal.signal_type, signal.value, Labels(entity="Synthetic", tier=2))
        return int(banking.add_to_bank(session, "test", name, [entry]).added_ids[0])


def _finding(matcher: Any, text: dict[str, Any] | None = None) -> dict[str, Any]:
    """The finding of a text item whose one signal is SIGNAL, matched for real."""
    matcher.note_changed()
    assessment = {**empty_text_assessment(), **(text or {})}
    hashed = Hashed(path="item", kind="text", source="api", signals=[SIGNAL], text=assessment)
    return build_finding("item:test", hashed, matcher.match([SIGNAL]))


def _take(database: Database, finding: dict[str, Any], now: datetime) -> quarantine.Intake:
    with database.session(write=True) as session:
        return take_in(session, finding, {"text": "placeholder"}, "key:1", LIMITS, now=now)


def _rows(database: Database, entry_id: int) -> list[tuple[datetime, int]]:
    with database.session() as session:
        query = select(EntryMatchCount.minute, EntryMatchCount.matches).where(
            EntryMatchCount.entry_id == entry_id
        )
        return [(minute, matches) for minute, matches in session.execute(query)]


def test_matches_older_than_the_window_do_not_count_and_are_pruned(
    database: Database, matcher: Any
) -> None:
    entry_id = _bank(database, "flood")
    finding = _finding(matcher)
    for step in range(LIMITS.matches):  # three matches, a minute apart: at the limit
        assert not _take(database, finding, T0 + timedelta(minutes=step)).held
    late = T0 + timedelta(minutes=LIMITS.window_minutes)  # the first match is out of it
    intake = _take(database, finding, late)
    assert not intake.held and intake.quarantine_ids == ()  # 2 in the window + 1: at the limit
    minutes = sorted(minute.replace(tzinfo=UTC) for minute, _ in _rows(database, entry_id))
    start = T0.replace(second=0)
    assert minutes == [start + timedelta(minutes=m) for m in (1, 2, LIMITS.window_minutes)]
    intake = _take(database, finding, late)  # 4 > 3
    assert intake.held and len(intake.quarantine_ids) == 1
    assert max(_rows(database, entry_id))[1] == 2  # this minute's row, counted up


def test_counting_off_writes_nothing(database: Database, matcher: Any) -> None:
    entry_id = _bank(database, "flood")
    with database.session(write=True) as session:
        for _ in range(10):
            intake = take_in(session, _finding(matcher), {}, "key:1", FloodLimits(matches=0))
            assert not intake.held
    assert _rows(database, entry_id) == []


def test_text_that_asks_for_review_by_itself_is_not_held(database: Database, matcher: Any) -> None:
    _bank(database, "flood")
    for step in range(LIMITS.matches + 1):
        _take(database, _finding(matcher), T0 + timedelta(seconds=step))
    flagged = _finding(matcher, {"context": "terrorist_content_candidate"})
    intake = _take(database, flagged, T0)
    assert not intake.held and intake.finding["matches"][0]["quarantined"] is True
    assert intake.finding["verdict"]["recommended"] == "review"
    plain = _take(database, _finding(matcher), T0)
    assert plain.held and plain.finding["verdict"]["reasons"][0] == quarantine.HELD_REASON


def test_an_allow_listed_match_neither_counts_nor_is_marked(
    database: Database, matcher: Any
) -> None:
    _bank(database, "benign", allow=True)
    for step in range(LIMITS.matches + 3):
        intake = _take(database, _finding(matcher), T0 + timedelta(seconds=step))
        assert intake.quarantine_ids == () and intake.finding["verdict"]["recommended"] == "none"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(EntryMatchCount)) == 0


def test_concurrent_intakes_quarantine_an_entry_once(database: Database, matcher: Any) -> None:
    _bank(database, "flood")
    finding = _finding(matcher)
    errors: list[BaseException] = []

    def submit_many() -> None:
        try:
            for _ in range(8):
                _take(database, finding, datetime.now(UTC))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=submit_many) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with database.session() as session:
        rows = session.scalars(select(SignalQuarantine)).all()
        cases = session.scalars(select(Case).where(Case.origin == "quarantine")).all()
    assert len(rows) == 1 and len(cases) == 1
    assert rows[0].matches == 3 * 8 - LIMITS.matches  # every item after the limit was held


def test_release_refuses_what_it_cannot_do(database: Database, matcher: Any) -> None:
    _bank(database, "flood")
    for step in range(LIMITS.matches + 1):
        intake = _take(database, _finding(matcher), T0 + timedelta(seconds=step))
    (quarantine_id,) = intake.quarantine_ids
    with database.session(write=True) as session, pytest.raises(Exception) as bad:
        quarantine.release(session, quarantine_id, "burn", "", "user:lead")
    assert "use one of: release, revoke" in str(bad.value)
    with database.session(write=True) as session, pytest.raises(Exception) as missing:
        quarantine.release(session, 424242, "release", "", "user:lead")
    assert "no quarantine 424242" in str(missing.value)
    with database.session(write=True) as session:
        quarantine.release(session, quarantine_id, "release", "", "user:lead")
    with database.session() as session:
        (view,) = quarantine.list_quarantines(session)
    assert view.state == "released" and view.note == "" and view.released_by == "user:lead"


def test_cli_lists_and_releases(cli: Cli, database: Database, matcher: Any) -> None:
    _bank(database, "flood")
    for step in range(LIMITS.matches + 2):
        intake = _take(database, _finding(matcher), T0 + timedelta(seconds=step))
    (quarantine_id,) = intake.quarantine_ids

    listed = cli("quarantine", "list", "--json")
    assert listed.code == 0, listed.stderr
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["id"] == quarantine_id and row["state"] == "open" and row["held_items"] == 2
    table = cli("quarantine", "list")
    assert table.code == 0 and "flood" in table.stdout

    revoked = cli("quarantine", "release", str(quarantine_id), "--revoke", "--note", "blank")
    assert revoked.code == 0, revoked.stderr
    assert "removed 1 entry from bank flood" in revoked.stderr
    again = cli("quarantine", "release", str(quarantine_id))
    assert again.code == 2 and "already revoked" in again.stderr
    final = json.loads(cli("quarantine", "list", "--json", "--state", "revoked").stdout)
    assert final["state"] == "revoked" and final["note"] == "blank"
