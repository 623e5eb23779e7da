"""The Hamming index against brute force: exact recall, updates, persistence, batches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raqib.index import hamming_layout
from raqib.index.hamming import (
    HammingIndex,
    bytes_to_hex,
    hamming_distance,
    hex_to_bytes,
)

Match = tuple[int, int]


def _random(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, 32), dtype=np.uint8)


def _flip(rng: np.random.Generator, h: np.ndarray, k: int) -> np.ndarray:
    """A copy of hash `h` with exactly `k` distinct bits flipped."""
    bits = np.unpackbits(h)
    at = rng.choice(256, size=k, replace=False)
    bits[at] ^= 1
    return np.packbits(bits)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int32)


def _distances(hashes: np.ndarray, q: np.ndarray) -> np.ndarray:
    return _POPCOUNT[hashes ^ q].sum(axis=1) if hashes.shape[0] else np.zeros(0, np.int32)


def _within(ids: np.ndarray, d: np.ndarray, t: int) -> list[Match]:
    hits = np.nonzero(d <= t)[0]
    return sorted(((int(ids[i]), int(d[i])) for i in hits), key=lambda m: (m[1], m[0]))


def _brute(ids: np.ndarray, hashes: np.ndarray, q: np.ndarray, t: int) -> list[Match]:
    return _within(ids, _distances(hashes, q), t)


def _check(
    index: HammingIndex,
    ids: np.ndarray,
    hashes: np.ndarray,
    queries: np.ndarray,
    thresholds: list[int],
) -> None:
    dists = [_distances(hashes, q) for q in queries]
    for t in thresholds:
        got = index.query_batch(queries, t)
        assert len(got) == queries.shape[0]
        for q, d, hits in zip(queries, dists, got, strict=True):
            assert hits == _within(ids, d, t)
            assert index.query(q, t) == hits


@pytest.fixture(scope="module")
def bank() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """50k random hashes (big enough for tables), ids shuffled, plus planted queries."""
    rng = np.random.default_rng(1)
    hashes = _random(rng, 50_000)
    ids = rng.permutation(50_000).astype(np.int64) * 7919 - 10**8
    picks = rng.integers(0, hashes.shape[0], size=66)
    queries = np.stack([_flip(rng, hashes[p], k) for k, p in enumerate(picks)])
    return ids, hashes, queries


@contextmanager
def _forced_tables() -> Iterator[None]:
    """Give even tiny segments tables and always probe them instead of scanning."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hamming_layout, "MIN_TABLE_ROWS", 1)
        mp.setattr(hamming_layout, "OFFSET_BYTES_PER_ROW", 10**9)
        mp.setattr(hamming_layout, "SCAN_COST", 10.0**9)
        yield


def test_hex_helpers() -> None:
    h = "f" * 2 + "0" * 62
    b = hex_to_bytes(h)
    assert b.dtype == np.uint8 and b.shape == (32,) and b[0] == 0xFF
    assert bytes_to_hex(b) == h and bytes_to_hex(b.tobytes()) == h
    assert hamming_distance(h, "0" * 64) == 8
    assert hamming_distance(h.upper(), h) == 0
    for bad in ("abc", "g" * 64):
        with pytest.raises(ValueError):
            hex_to_bytes(bad)


def test_bit_order_matches_threatexchange() -> None:
    """Bit 0 of pdqhash's bit vector is the most significant bit of the first hex digit."""
    bits = np.zeros(256, dtype=np.uint8)
    bits[0] = 1
    assert bytes_to_hex(np.packbits(bits)) == "8" + "0" * 63


def test_tables_are_used(bank: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, hashes, _ = bank
    index = HammingIndex.build(ids, hashes)
    tables = index._main.tables
    assert tables is not None
    assert hamming_layout.probe_cost(tables.layout, 31, len(index)) < hamming_layout.scan_cost(
        len(index)
    )


def test_planted_all_thresholds(bank: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, hashes, queries = bank
    index = HammingIndex.build(ids, hashes)
    _check(index, ids, hashes, queries, list(range(65)))


def test_exactly_at_threshold(bank: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, hashes, _ = bank
    index = HammingIndex.build(ids, hashes)
    rng = np.random.default_rng(2)
    for k in (0, 1, 11, 12, 13, 23, 24, 25, 31, 32, 47, 64):
        q = _flip(rng, hashes[k], k)
        assert (int(ids[k]), k) in index.query(q, k)
        assert (int(ids[k]), k) not in index.query(q, k - 1) if k else True
        assert (int(ids[k]), k) in index.query(q, k + 1)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_banks(n: int) -> None:
    rng = np.random.default_rng(n)
    hashes = _random(rng, n)
    ids = np.arange(n, dtype=np.int64) * 7
    index = HammingIndex.build(ids, hashes)
    assert len(index) == n
    queries = np.concatenate([hashes, _random(rng, 2)])
    _check(index, ids, hashes, queries, [0, 1, 31, 128, 256])


def test_empty_index_and_inputs() -> None:
    index = HammingIndex()
    assert len(index) == 0
    assert index.query("0" * 64, 31) == []
    assert index.query(bytes(32), 31) == []
    assert index.query_batch(np.zeros((0, 32), np.uint8), 31) == []
    index.remove(np.array([1, 2, 3]))
    with pytest.raises(ValueError):
        index.query("0" * 64, -1)
    with pytest.raises(ValueError):
        index.add(np.array([1]), np.zeros((1, 31), np.uint8))


def test_duplicates_and_clusters() -> None:
    rng = np.random.default_rng(3)
    seeds = _random(rng, 30)
    variants = [_flip(rng, s, int(k)) for s in seeds for k in rng.integers(0, 40, size=700)]
    hashes = np.concatenate([np.stack(variants), seeds, seeds])  # every seed three times
    ids = rng.permutation(hashes.shape[0]).astype(np.int64)
    queries = np.stack([_flip(rng, s, k) for k, s in enumerate(seeds)])
    _check(HammingIndex.build(ids, hashes), ids, hashes, queries, [0, 5, 16, 31, 32, 48])
    with _forced_tables():
        index = HammingIndex.build(ids, hashes)
        assert index._main.tables is not None
        _check(index, ids, hashes, queries, [0, 5, 16, 24, 31, 32, 48])


def test_uint64_hashes_and_input_forms(bank: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, hashes, _ = bank
    index = HammingIndex.build(ids[:100], hashes[:100].view(np.uint64))
    want = [(int(ids[5]), 0)]
    assert index.query(hashes[5], 0) == want
    assert index.query(hashes[5].tobytes(), 0) == want
    assert index.query(bytes_to_hex(hashes[5]), 0) == want
    assert index.query(hashes[5].view(np.uint64), 0) == want


def test_add_remove_readd(bank: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, hashes, queries = bank
    index = HammingIndex.build(ids[:30_000], hashes[:30_000])
    index.add(ids[30_000:30_100], hashes[30_000:30_100])  # into the delta
    live = np.ones(ids.shape[0], dtype=bool)
    live[30_100:] = False
    gone = np.concatenate([ids[:50], ids[30_000:30_050], np.array([123456789012])])
    index.remove(gone)
    live[np.isin(ids, gone)] = False
    assert len(index) == int(live.sum())
    _check(index, ids[live], hashes[live], queries, [0, 31, 40])
    index.add(ids[:10], hashes[:10])  # re-added after removal
    index.add(ids[30_000:30_005], hashes[30_000:30_005])
    live[:10] = live[30_000:30_005] = True
    assert len(index) == int(live.sum())
    _check(index, ids[live], hashes[live], queries, [0, 31])
    _check(index, ids[live], hashes[live], hashes[:12], [0])


def test_add_replaces_hash_of_live_id() -> None:
    rng = np.random.default_rng(4)
    a, b = _random(rng, 2)
    index = HammingIndex.build(np.array([7]), a[None])
    index.add(np.array([7, 7]), np.stack([a, b]))
    assert len(index) == 1
    assert index.query(a, 0) == []
    assert index.query(b, 0) == [(7, 0)]


def test_delta_merges_into_main(bank: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, hashes, queries = bank
    index = HammingIndex()
    for start in range(0, 50_000, 5_000):
        index.add(ids[start : start + 5_000], hashes[start : start + 5_000])
        assert index.query(hashes[start], 0) == [(int(ids[start]), 0)]
    assert len(index._main) > 0 and len(index) == 50_000
    _check(index, ids, hashes, queries, [31])
    index.remove(ids[:20_000])  # mostly dead: compacted
    assert len(index._main) < 50_000
    _check(index, ids[20_000:], hashes[20_000:], queries, [31])


def test_save_load_round_trip(
    tmp_path: Path, bank: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    ids, hashes, queries = bank
    index = HammingIndex.build(ids[:40_000], hashes[:40_000])
    index.add(ids[40_000:], hashes[40_000:])
    index.remove(ids[:100])
    index.remove(ids[-5:])
    before = index.query_batch(queries, 31)
    index.save(tmp_path / "idx")
    index.save(tmp_path / "idx")  # replacing an existing save
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]
    for mmap in (True, False):
        loaded = HammingIndex.load(tmp_path / "idx", mmap=mmap)
        assert len(loaded) == len(index)
        assert loaded.query_batch(queries, 31) == before
        loaded.remove(ids[200:300])
        loaded.add(ids[:3], hashes[:3])
        assert loaded.query(hashes[0], 0) == [(int(ids[0]), 0)]
        assert loaded.query(hashes[250], 0) == []
    assert HammingIndex.load(tmp_path / "idx").query_batch(queries, 31) == before


def test_load_rejects_other_directories(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError):
        HammingIndex.load(tmp_path)


def test_batch_equals_single_large_thresholds(
    bank: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    ids, hashes, queries = bank
    index = HammingIndex.build(ids[:20_000], hashes[:20_000])
    for t in (80, 100):
        got = index.query_batch(queries[:8], t)
        assert got == [index.query(q, t) for q in queries[:8]]
        assert got[0] == _brute(ids[:20_000], hashes[:20_000], queries[0], t)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 40),
    flips=st.lists(st.integers(0, 64), min_size=1, max_size=4),
    threshold=st.integers(0, 64),
    tables=st.booleans(),
)
def test_property_query_equals_brute_force(
    seed: int, n: int, flips: list[int], threshold: int, tables: bool
) -> None:
    rng = np.random.default_rng(seed)
    hashes = _random(rng, n)
    if n:
        hashes[rng.integers(0, n, size=n // 3)] = hashes[0]  # duplicate hashes
    ids = rng.integers(-(2**62), 2**62, size=n, dtype=np.int64)
    ids = np.unique(ids)
    hashes = hashes[: ids.shape[0]]
    base = hashes[0] if ids.shape[0] else _random(rng, 1)[0]
    queries = np.stack([_flip(rng, base, k) for k in flips])
    with _forced_tables() if tables else nullcontext():
        index = HammingIndex.build(ids, hashes)
        assert (index._main.tables is not None) == (tables and ids.shape[0] > 0)
        _check(index, ids, hashes, queries, [threshold])


def test_property_on_tables() -> None:
    """The same property where the main segment has tables, over many random thresholds."""
    rng = np.random.default_rng(5)
    seeds = _random(rng, 20)
    hashes = np.stack(
        [_flip(rng, seeds[i % 20], int(k)) for i, k in enumerate(rng.integers(0, 30, size=20_000))]
    )
    ids = np.arange(hashes.shape[0], dtype=np.int64)
    queries = np.stack([_flip(rng, seeds[i], int(rng.integers(0, 32))) for i in range(20)])
    with _forced_tables():
        index = HammingIndex.build(ids, hashes)
        assert index._main.tables is not None
        _check(index, ids, hashes, queries, [int(t) for t in rng.integers(0, 65, size=6)])


@pytest.mark.parametrize("forced", [False, True])
def test_many_hits_per_query(forced: bool) -> None:
    """More hits than the kernels' first guess of room: the overflow paths."""
    rng = np.random.default_rng(6)
    seed = _random(rng, 1)[0]
    hashes = np.stack([_flip(rng, seed, int(k)) for k in rng.integers(0, 6, size=3_000)])
    hashes = np.concatenate([hashes, _random(rng, 17_000)])
    ids = rng.permutation(hashes.shape[0]).astype(np.int64)
    queries = np.stack([_flip(rng, seed, k) for k in (0, 1, 2, 3)] + [hashes[-1]])
    with pytest.MonkeyPatch.context() as mp, _forced_tables() if forced else nullcontext():
        if not forced:
            mp.setattr(hamming_layout, "MIN_TABLE_ROWS", 10**9)
        index = HammingIndex.build(ids, hashes)
        assert (index._main.tables is not None) == forced
        _check(index, ids, hashes, queries, [3, 31])
