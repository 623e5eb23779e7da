"""The service matcher against the store: the same answers as `Matcher`, entries and bank
changes made in other sessions seen by the very next call, freshness, late commits below the
applied change number, a dropped connection, and concurrent callers."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from serving_data import flip, minhash_value, random_hash, signature, video, video_value
from sqlalchemy import text

from raqib.config import Settings
from raqib.errors import NotFoundError
from raqib.matching import Match, Matcher
from raqib.records import Labels, NewEntry
from raqib.serving.matcher import ServiceMatcher
from raqib.signals import Signal, SignalRegistry
from raqib.store.banks import BankRepository
from raqib.store.db import Database


@pytest.fixture
def service(
    database: Database, settings: Settings, registry: SignalRegistry
) -> Iterator[ServiceMatcher]:
    matcher = ServiceMatcher(database, settings, registry)
    yield matcher
    matcher.close()


def _add(database: Database, bank: str, *entries: NewEntry) -> list[int]:
    with database.session() as session:
        return list(BankRepository(session).add_entries(bank, list(entries)).added_ids)


def _create(database: Database, name: str, **flags: object) -> None:
    with database.session() as session:
        repo = BankRepository(session)
        repo.create(name, allow_list=bool(flags.pop("allow_list", False)))
        if flags:
            repo.update(name, **flags)


def _pdq(value: str, *variants: str) -> Signal:
    return Signal("pdq", value, variants=variants)


@dataclass
class Store:
    """What `mixed_store` put in the banks, to query with."""

    known: list[str]
    rotated: str
    clip: list[str]
    poor_clip: list[str]
    text: np.ndarray
    url: str
    md5: str


@pytest.fixture
def mixed_store(database: Database) -> Store:
    rng = random.Random(7)
    known = [random_hash(rng) for _ in range(40)]
    rotated, clip, poor_clip, base = random_hash(rng), video(rng), video(rng, 8), signature(11)
    url, md5 = "https://example.org/synthetic/17", "0123456789abcdef0123456789abcdef"
    _create(database, "known")
    _add(
        database,
        "known",
        *(NewEntry("pdq", v, Labels(entity="synthetic-group", tier=1)) for v in known),
        NewEntry("vpdq", video_value(clip, rng), Labels(tier=2)),
        NewEntry("vpdq", video_value(poor_clip, rng, poor=3)),
        NewEntry("text_minhash", minhash_value(base), Labels(tier=3, note="synthetic post")),
        NewEntry("url", url, Labels(source="test")),
        NewEntry("md5", md5, Labels(behaviours=("sample", "test"))),
    )
    _create(database, "strict", thresholds={"pdq": 10})
    _add(database, "strict", *(NewEntry("pdq", v) for v in known[:5]))
    _create(database, "news", allow_list=True)
    _add(database, "news", NewEntry("pdq", flip(known[0], 4, rng)))
    _create(database, "off", enabled=False)
    _add(database, "off", NewEntry("pdq", known[1]))
    _create(database, "norot", match_rotations=False)
    _add(database, "norot", NewEntry("pdq", rotated))
    return Store(known, rotated, clip, poor_clip, base, url, md5)


def _queries(store: Store) -> list[list[Signal]]:
    rng = random.Random(8)
    known, base = store.known, store.text
    return [
        [_pdq(flip(known[0], 5, rng))],  # known + strict + news (allow-list)
        [_pdq(known[1])],  # known, strict; the disabled bank is ignored
        [_pdq(flip(known[2], 15, rng))],  # beyond strict's 10 bits
        [_pdq(random_hash(rng), flip(known[3], 3, rng))],  # through a rotation
        [_pdq(random_hash(rng), flip(store.rotated, 2, rng))],  # norot refuses rotations
        [_pdq(flip(store.rotated, 31, rng)), _pdq(flip(store.rotated, 32, rng))],
        [Signal("url", store.url), Signal("md5", store.md5)],
        [Signal("text_minhash", minhash_value(base, 20, seed=3))],
        [Signal("vpdq", video_value(store.clip, rng, bits=6))],
        [Signal("vpdq", video_value(store.poor_clip[:5], rng, bits=3, poor=1))],  # 2 of its 5 good
        [Signal("vpdq", video_value(store.poor_clip[2:], rng, bits=3, poor=2))],  # 4 of 5: 80 %
        [_pdq(random_hash(rng)), Signal("url", "https://example.org/other")],
        [],
    ]


def _reference(
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
    items: list[list[Signal]],
    banks: list[str] | None = None,
) -> list[list[Match]]:
    with database.session() as session:
        matcher = Matcher(session, settings, registry, banks)
        return [matcher.match(signals) for signals in items]


def test_answers_as_the_session_matcher_for_a_mixed_set(
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
    service: ServiceMatcher,
    mixed_store: Store,
) -> None:
    items = _queries(mixed_store)
    want = _reference(database, settings, registry, items)
    service.warm()
    assert [service.match(signals) for signals in items] == want
    assert service.match_many(items) == want
    assert sum(1 for matches in want if matches) == 9  # the set exercises every path
    assert [bool(want[9]), bool(want[10])] == [False, True]  # poor frames do not count
    first = {m.bank: m for m in want[0]}
    assert first["known"].suppressed_by == "news" and "strict" in first
    assert want[3][0].via_variant and not want[4]
    assert {m.signal_type for ms in want for m in ms} >= {"pdq", "vpdq", "text_minhash", "url"}
    only = _reference(database, settings, registry, items, ["strict", "off"])
    assert service.match_many(items, banks=["strict", "off"]) == only
    assert any(m.bank == "off" for ms in only for m in ms)
    with pytest.raises(NotFoundError, match="no bank named 'nope'"):
        service.match(items[0], banks=["nope"])


def test_entries_added_and_removed_elsewhere_match_from_the_next_call(
    database: Database, service: ServiceMatcher, mixed_store: Store
) -> None:
    service.warm()
    rng = random.Random(9)
    late_pdq, late_clip, late_text = random_hash(rng), video(rng), signature(12)
    queries = {
        "pdq": [_pdq(flip(late_pdq, 3, rng))],
        "vpdq": [Signal("vpdq", video_value(late_clip, rng, bits=4))],
        "text_minhash": [Signal("text_minhash", minhash_value(late_text, 10, seed=4))],
        "sha256": [Signal("sha256", "ab" * 32)],
    }
    assert all(not service.match(q) for q in queries.values())
    ids = _add(
        database,
        "known",
        NewEntry("pdq", late_pdq),
        NewEntry("vpdq", video_value(late_clip, rng)),
        NewEntry("text_minhash", minhash_value(late_text)),
        NewEntry("sha256", "ab" * 32),
    )
    for signal_type, query in queries.items():
        (match,) = service.match(query)
        assert match.signal_type == signal_type and match.entry_id in ids
    with database.session() as session:
        repo = BankRepository(session)
        repo.remove_signal("known", "pdq", late_pdq)
        repo.remove_signal("known", "text_minhash", minhash_value(late_text))
    assert not service.match(queries["pdq"]) and not service.match(queries["text_minhash"])
    assert service.match(queries["vpdq"])
    with database.session() as session:
        BankRepository(session).delete("known")
    assert all(not service.match(q) for q in queries.values())
    assert not service.match([_pdq(mixed_store.known[10])])


def test_bank_changes_elsewhere_apply_to_the_next_call(
    database: Database, service: ServiceMatcher, mixed_store: Store
) -> None:
    rng = random.Random(10)
    near = _pdq(flip(mixed_store.known[20], 12, rng))
    assert [m.bank for m in service.match([near])] == ["known"]
    with database.session() as session:
        BankRepository(session).update("known", thresholds={"pdq": 8})
    assert not service.match([near])
    with database.session() as session:
        BankRepository(session).update("known", thresholds={"pdq": 31}, enabled=False)
    assert not service.match([near])
    with database.session() as session:
        BankRepository(session).update("known", enabled=True, allow_list=True)
    (match,) = service.match([near])
    assert match.allow_list
    _create(database, "fresh-bank")
    _add(database, "fresh-bank", NewEntry("pdq", mixed_store.known[20]))
    matches = service.match([near])
    assert {m.bank: m.suppressed_by for m in matches} == {"known": None, "fresh-bank": "known"}


def test_freshness_reports_stale_then_fresh(
    database: Database, settings: Settings, registry: SignalRegistry, mixed_store: Store
) -> None:
    service = ServiceMatcher(database, settings, registry)
    try:
        cold = service.freshness(refresh=False)
        assert not cold["pdq"]["loaded"] and not cold["pdq"]["fresh"]
        assert cold["url"] == {**cold["url"], "index": "exact", "fresh": True}
        service.warm()
        warm = service.freshness(refresh=False)
        assert all(entry["fresh"] for entry in warm.values()), warm
        assert warm["pdq"]["entries"] == 40 + 5 + 1 + 1 + 1
        assert warm["vpdq"]["entries"] == 2 and warm["text_minhash"]["entries"] == 1
        _add(database, "known", NewEntry("pdq", random_hash(random.Random(11))))
        stale = service.freshness(refresh=False)["pdq"]
        assert not stale["fresh"] and stale["index_seq"] < stale["database_seq"]
        assert service.freshness(refresh=False)["vpdq"]["fresh"]
        now = service.freshness()["pdq"]
        assert now["fresh"] and now["index_seq"] == now["database_seq"] == stale["database_seq"]
        assert now["entries"] == stale["entries"] + 1
    finally:
        service.close()


def test_a_change_committed_below_the_applied_number_is_still_applied(
    database: Database, service: ServiceMatcher, mixed_store: Store
) -> None:
    """A late commit (PostgreSQL numbers changes at insert, shows them at commit) is emulated
    on both databases by renumbering log rows, then done for real on PostgreSQL."""
    service.warm()
    rng = random.Random(12)
    first, late = random_hash(rng), random_hash(rng)
    with database.session() as session:
        head = int(session.scalar(text("SELECT max(seq) FROM index_changes")))
    (first_id,) = _add(database, "known", NewEntry("pdq", first))
    _renumber(database, first_id, head + 5)  # head+1..head+4 taken by an open transaction
    assert service.match([_pdq(first)])
    (late_id,) = _add(database, "known", NewEntry("pdq", late))
    _renumber(database, late_id, head + 3)  # ...which commits now
    assert [m.entry_id for m in service.match([_pdq(late)])] == [late_id]
    if database.engine.dialect.name == "postgresql":
        with database.session() as session:  # the sequence goes on above the renumbered rows
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('index_changes', 'seq'), :seq)"),
                {"seq": head + 5},
            )
        _interleaved_commits(database, service, rng)


def _renumber(database: Database, entry_id: int, seq: int) -> None:
    with database.session() as session:
        session.execute(
            text("UPDATE index_changes SET seq = :seq WHERE entry_id = :id"),
            {"seq": seq, "id": entry_id},
        )


def _interleaved_commits(database: Database, service: ServiceMatcher, rng: random.Random) -> None:
    slow_value, quick_value = random_hash(rng), random_hash(rng)
    with database.session() as slow:
        BankRepository(slow).add_entries("known", [NewEntry("pdq", slow_value)])
        slow.flush()  # numbered, not yet committed
        quick_ids = _add(database, "known", NewEntry("pdq", quick_value))
        assert [m.entry_id for m in service.match([_pdq(quick_value)])] == quick_ids
        assert not service.match([_pdq(slow_value)])
    assert [m.signal for m in service.match([_pdq(slow_value)])] == [slow_value]


def test_a_dropped_connection_is_reopened(
    database: Database, service: ServiceMatcher, mixed_store: Store
) -> None:
    service.warm()
    assert service.match([_pdq(mixed_store.known[5])])
    service._store._raw.driver_connection.close()  # the server went away
    rng = random.Random(13)
    value = random_hash(rng)
    _add(database, "known", NewEntry("pdq", value))
    assert [m.signal for m in service.match([_pdq(value)])] == [value]


def test_concurrent_callers_and_a_writer(
    database: Database, service: ServiceMatcher, mixed_store: Store
) -> None:
    service.warm()
    errors: list[BaseException] = []
    stop = threading.Event()

    def query(offset: int) -> None:
        try:
            while not stop.is_set():
                for value in mixed_store.known[offset : offset + 10]:
                    matches = service.match_many([[_pdq(value)], []])
                    assert any(m.signal == value for m in matches[0]) and not matches[1]
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=query, args=(i * 10,)) for i in range(3)]
    for thread in threads:
        thread.start()
    rng = random.Random(14)
    try:
        for _ in range(15):
            value = random_hash(rng)
            (entry_id,) = _add(database, "known", NewEntry("pdq", value))
            assert [m.entry_id for m in service.match([_pdq(value)])] == [entry_id]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors
