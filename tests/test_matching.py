"""Matching through the store: exact recall at every threshold, per-bank settings, allow-lists,
and an index that takes adds and removals without a rebuild."""

from __future__ import annotations

import random

import pytest

from raqib.config import Settings
from raqib.matching import Matcher
from raqib.records import Labels, NewEntry
from raqib.signals import Signal, SignalRegistry
from raqib.store.banks import BankRepository
from raqib.store.db import Database


def _flip(value: str, bits: int, rng: random.Random) -> str:
    number = int(value, 16)
    for bit in rng.sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"


def _random_hash(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _bank(database: Database, name: str, values: list[str], **flags: object) -> None:
    with database.session() as session:
        repo = BankRepository(session)
        repo.create(name, allow_list=bool(flags.pop("allow_list", False)))
        repo.add_entries(name, [NewEntry("pdq", v, Labels(tier=2)) for v in values])
        if flags:
            repo.update(name, **flags)


def _match(database: Database, settings: Settings, registry: SignalRegistry, *signals: Signal):  # type: ignore[no-untyped-def]
    with database.session() as session:
        return Matcher(session, settings, registry).match(signals)


@pytest.mark.parametrize("size", [0, 1, 2, 50])
def test_exact_recall_at_every_threshold(
    database: Database, settings: Settings, registry: SignalRegistry, size: int
) -> None:
    rng = random.Random(size)
    stored = [_random_hash(rng) for _ in range(size)]
    _bank(database, "k", stored)
    base = stored[0] if stored else _random_hash(rng)
    for threshold in (0, 1, 15, 31, 32, 64):
        with database.session() as session:
            BankRepository(session).update("k", thresholds={"pdq": threshold})
        for bits in sorted({0, max(threshold - 1, 0), threshold, threshold + 1}):
            query = _flip(base, bits, rng)
            got = {m.signal for m in _match(database, settings, registry, Signal("pdq", query))}
            want = {v for v in stored if (int(v, 16) ^ int(query, 16)).bit_count() <= threshold}
            assert got == want, (size, threshold, bits)


def test_a_single_hash_bank_matches_a_near_duplicate(
    database: Database, settings: Settings, registry: SignalRegistry
) -> None:
    rng = random.Random(1)
    stored = _random_hash(rng)
    _bank(database, "solo", [stored])
    (match,) = _match(database, settings, registry, Signal("pdq", _flip(stored, 31, rng)))
    assert (match.bank, match.distance, match.labels.tier) == ("solo", 31, 2)
    assert not _match(database, settings, registry, Signal("pdq", _flip(stored, 32, rng)))


def test_rotations_are_tried_unless_the_bank_turns_them_off(
    database: Database, settings: Settings, registry: SignalRegistry
) -> None:
    rng = random.Random(2)
    stored = _random_hash(rng)
    query = Signal("pdq", _random_hash(rng), variants=(_flip(stored, 3, rng),))
    _bank(database, "k", [stored])
    (match,) = _match(database, settings, registry, query)
    assert match.via_variant and match.distance == 3
    with database.session() as session:
        BankRepository(session).update("k", match_rotations=False)
    assert not _match(database, settings, registry, query)


def test_allow_list_suppresses_other_banks_and_disabled_banks_are_ignored(
    database: Database, settings: Settings, registry: SignalRegistry
) -> None:
    rng = random.Random(3)
    stored = _random_hash(rng)
    _bank(database, "known", [stored])
    _bank(database, "news-photos", [_flip(stored, 2, rng)], allow_list=True)
    matches = _match(database, settings, registry, Signal("pdq", stored))
    by_bank = {m.bank: m for m in matches}
    assert by_bank["known"].suppressed_by == "news-photos"
    assert by_bank["news-photos"].allow_list and by_bank["news-photos"].suppressed_by is None
    with database.session() as session:
        BankRepository(session).update("news-photos", enabled=False)
    (only,) = _match(database, settings, registry, Signal("pdq", stored))
    assert only.bank == "known" and only.suppressed_by is None


def test_adds_and_removes_reach_a_persisted_index_without_rebuild(
    database: Database, settings: Settings, registry: SignalRegistry
) -> None:
    rng = random.Random(4)
    stored = [_random_hash(rng) for _ in range(2500)]  # enough to write a snapshot
    _bank(database, "k", stored)
    assert _match(database, settings, registry, Signal("pdq", stored[7]))
    snapshots = list((settings.index_dir / "pdq").iterdir())
    assert len(snapshots) == 1 and snapshots[0].name.startswith("seq-")
    late = _random_hash(rng)
    with database.session() as session:
        repo = BankRepository(session)
        repo.add_entries("k", [NewEntry("pdq", late)])
        repo.remove_signal("k", "pdq", stored[7])
    assert [m.signal for m in _match(database, settings, registry, Signal("pdq", late))] == [late]
    assert not _match(database, settings, registry, Signal("pdq", stored[7]))
    assert list((settings.index_dir / "pdq").iterdir()) == snapshots  # replayed, not rebuilt


def test_exact_signals_match_by_value(
    database: Database, settings: Settings, registry: SignalRegistry
) -> None:
    with database.session() as session:
        repo = BankRepository(session)
        repo.create("urls")
        repo.add_entries("urls", [NewEntry("url", "https://example.org/a")])
    query = registry.parse("url HTTPS://EXAMPLE.org:443/a?utm_source=x#top")
    (match,) = _match(database, settings, registry, query)
    assert (match.bank, match.distance) == ("urls", 0)
