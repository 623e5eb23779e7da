"""The MinHash LSH index against brute force: exact recall relative to the MinHash estimate,
updates, the band boundary, the database, and query cost that does not grow with the index."""

from __future__ import annotations

import time

import numpy as np
import pytest

from raqib.index.minhash import BANDS, ROWS, MinHashIndex
from raqib.records import Labels, NewEntry
from raqib.signals.base import Signal
from raqib.signals.text_minhash import (
    NUM_PERMUTATIONS,
    encode_signature,
    minhash_of_text,
)
from raqib.store.banks import BankRepository
from raqib.store.db import Database

Hit = tuple[int, float]


def _random(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**32, size=(n, NUM_PERMUTATIONS), dtype=np.uint64).astype(np.uint32)


def _changed(rng: np.random.Generator, signature: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """A copy of `signature` whose values differ at exactly `positions`."""
    copy = signature.copy()
    copy[positions] = signature[positions] ^ rng.integers(1, 2**32, size=positions.size).astype(
        np.uint32
    )
    return copy


def _near(rng: np.random.Generator, signature: np.ndarray, mismatches: int) -> np.ndarray:
    return _changed(rng, signature, rng.choice(NUM_PERMUTATIONS, mismatches, replace=False))


def _brute(ids: list[int], signatures: np.ndarray, query: np.ndarray, limit: float) -> list[Hit]:
    mismatches = NUM_PERMUTATIONS - (signatures == query).sum(axis=1)
    distances = mismatches / NUM_PERMUTATIONS
    hits = [(ids[i], float(distances[i])) for i in np.flatnonzero(distances <= limit)]
    return sorted(hits, key=lambda hit: (hit[1], hit[0]))


def _corpus(seed: int) -> tuple[list[int], np.ndarray, list[np.ndarray]]:
    """2,000 random entries, then for each of 50 query signatures a copy and 6 near-duplicates
    planted at 0 to 40 mismatching positions; returns ids, signatures and the queries."""
    rng = np.random.default_rng(seed)
    signatures = [_random(rng, 2000)]
    queries = list(_random(rng, 50))
    for query in queries:
        planted = [query] + [_near(rng, query, int(k)) for k in rng.integers(0, 41, size=6)]
        signatures.append(np.stack(planted))
    stacked = np.concatenate(signatures)
    ids = [int(i) for i in rng.permutation(10 * len(stacked))[: len(stacked)]]
    return ids, stacked, queries


@pytest.mark.parametrize("limit", [0.0, 0.1, 0.2, 31 / 128, 0.25, 0.3])
def test_results_equal_brute_force(limit: float) -> None:
    ids, signatures, queries = _corpus(seed=11)
    index = MinHashIndex.build(zip(ids, (encode_signature(s) for s in signatures), strict=True))
    assert len(index) == len(ids)
    found = 0
    for query in queries:
        expected = _brute(ids, signatures, query, limit)
        assert index.query(encode_signature(query), limit) == expected
        found += len(expected)
    assert found >= len(queries)  # at least every planted copy: the answers are not all empty


def test_one_intact_band_is_enough_and_a_full_scan_covers_wider_thresholds() -> None:
    """31 mismatches, one in each of 31 bands, leave one band whole: still found by the bands.
    32 mismatches, one per band, leave none: found by the full scan a wider threshold uses."""
    rng = np.random.default_rng(5)
    query = _random(rng, 1)[0]
    one_per_band = np.arange(BANDS) * ROWS + rng.integers(0, ROWS, size=BANDS)
    entries = {
        1: _changed(rng, query, one_per_band[:31]),
        2: _changed(rng, query, one_per_band),
        3: _random(rng, 1)[0],
    }
    index = MinHashIndex.build((i, encode_signature(s)) for i, s in entries.items())
    value = encode_signature(query)
    assert index.query(value, 31 / 128) == [(1, 31 / 128)]
    assert index.query(value, 32 / 128) == [(1, 31 / 128), (2, 32 / 128)]
    assert index.query(value, 1.0)[-1][0] == 3  # everything is within distance 1


def test_updates_match_a_rebuilt_index_through_several_compactions() -> None:
    rng = np.random.default_rng(23)
    live: dict[int, np.ndarray] = {}
    index = MinHashIndex()
    base = _random(rng, 40)
    for step in range(6000):
        entry_id = int(rng.integers(0, 3000))
        if rng.random() < 0.3:
            index.remove(entry_id)
            live.pop(entry_id, None)
        else:  # a new entry or a changed value for an existing one
            signature = _near(rng, base[entry_id % 40], int(rng.integers(0, 30)))
            index.add(entry_id, encode_signature(signature))
            live[entry_id] = signature
        if step % 1000 == 999:
            _assert_same_answers(index, live, base)
    assert len(index) == len(live)
    index.remove(10**9)  # absent: nothing happens
    assert len(index) == len(live)


def _assert_same_answers(
    index: MinHashIndex, live: dict[int, np.ndarray], base: np.ndarray
) -> None:
    ids = sorted(live)
    signatures = np.stack([live[i] for i in ids])
    for query in base[:10]:
        assert index.query(encode_signature(query), 0.2) == _brute(ids, signatures, query, 0.2)


def test_empty_index_and_bad_queries() -> None:
    index = MinHashIndex.build([])
    value = encode_signature(np.zeros(NUM_PERMUTATIONS, dtype=np.uint32))
    assert len(index) == 0
    assert index.query(value, 0.2) == []
    assert index.query(value, 0.9) == []
    with pytest.raises(ValueError, match="max_distance"):
        index.query(value, 1.5)
    with pytest.raises(ValueError, match="text_minhash"):
        index.query("v1:not-a-signature", 0.2)
    with pytest.raises(ValueError, match=r"entry 7: .*characters"):
        MinHashIndex.build([(6, value), (7, value[:-2])])


NEWS = (
    "The regional weather office expects light rain along the northern coast on Tuesday, with "
    "temperatures falling to twelve degrees overnight. Ferry timetables are unchanged and the "
    "port authority says the morning crossings will run as planned. In the markets, the main "
    "share index opened flat while wheat prices rose slightly after the harvest report."
)
EDITED = NEWS.replace("Tuesday", "Wednesday").replace("slightly", "a little")
OTHER = (
    "The city council approved a new budget for school buses and road repairs on Monday. The "
    "football league announced its schedule for the autumn season, and the national airline "
    "said two evening flights to the capital would leave an hour later because of runway works."
)


def _text_signal(text: str) -> str:
    signal = minhash_of_text(text)
    assert isinstance(signal, Signal)
    return signal.value


def test_open_builds_from_the_bank_entries(database: Database) -> None:
    with database.session() as session:
        repo = BankRepository(session)
        repo.create("texts")
        labels = Labels(source="synthetic")
        repo.add_entries(
            "texts",
            [NewEntry("text_minhash", _text_signal(t), labels) for t in (NEWS, OTHER)]
            + [NewEntry("text_sha256", "ab" * 32, labels)],
        )
    with database.session() as session:
        index = MinHashIndex.open(session)
        assert len(index) == 2
        ((entry_id, distance),) = index.query(_text_signal(EDITED), 0.2)
        entries = BankRepository(session).by_ids([entry_id])
        assert entries[entry_id][0].value == _text_signal(NEWS)
        assert 0 < distance <= 0.2


def _queries_per_second(index: MinHashIndex, queries: list[str]) -> float:
    start = time.perf_counter()
    for value in queries:
        index.query(value, 0.2)
    return len(queries) / (time.perf_counter() - start)


def test_query_cost_does_not_grow_with_the_index() -> None:
    """Ten times the entries must not cost anywhere near ten times per query."""
    rng = np.random.default_rng(3)
    signatures = _random(rng, 40_000)
    values = [encode_signature(s) for s in signatures]
    small_index = MinHashIndex.build(enumerate(values[:4_000]))
    large_index = MinHashIndex.build(enumerate(values))
    queries = [encode_signature(_near(rng, signatures[i], 20)) for i in range(0, 4_000, 8)]
    assert all(large_index.query(q, 0.2) for q in queries[:20])  # the planted entries are found
    small = max(_queries_per_second(small_index, queries) for _ in range(3))
    large = max(_queries_per_second(large_index, queries) for _ in range(3))
    assert large > small / 3
