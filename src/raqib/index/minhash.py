"""Near-duplicate text matching: a MinHash LSH index over `text_minhash` signatures.

The 128 MinHash positions are cut into 32 bands of 4 rows. An entry is a candidate for a query
when one whole band is equal; candidates are then verified by counting equal positions, so the
distance reported is the MinHash estimate itself (1 - estimated Jaccard).

Why 32 x 4: by the S-curve, P(candidate | Jaccard J) = 1 - (1 - J^4)^32, which is
1 - 5e-8 at J = 0.8 and 0.0032 at J = 0.1. More to the point, recall is exact with respect to
the estimate, not just probable: a signature within 31 mismatching positions of the query
leaves at least one of the 32 bands untouched (pigeonhole), so every entry at estimated
distance < 32/128 = 0.25 is a candidate. The default threshold 0.2 (25 mismatches) is inside
that bound; a query with a larger max_distance is answered by a full scan instead, so the
answer stays exact at any threshold.

Band keys are the 4 values of a band and its band number mixed into one uint64; they are kept
in one sorted numpy array (binary search per query band) plus a small dict of entries added
since the last rebuild. Removals leave tombstones; both are folded in by a rebuild when they
exceed a quarter of the index. The banding is written by hand (no dependency provides it).
Nothing is persisted: `open` builds the index from the bank entries in the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import floor
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from raqib.signals.text_minhash import NUM_PERMUTATIONS, decode_signature, decode_signatures
from raqib.store.changes import all_values

BANDS = 32
ROWS = NUM_PERMUTATIONS // BANDS
# Largest number of mismatching positions the band lookup is guaranteed to find.
BANDED_MISMATCHES = BANDS - 1
MIN_REBUILD = 1024
_MIX_LOW = np.uint64(0x9E3779B97F4A7C15)
_MIX_HIGH = np.uint64(0xC2B2AE3D27D4EB4F)
_BAND_SALT = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93)

Signatures = NDArray[np.uint32]
_Item = TypeVar("_Item", bound=np.generic)


def band_keys(signatures: Signatures) -> NDArray[np.uint64]:
    """(n, 128) signatures -> (n, 32) uint64 keys, one per band of 4 positions.

    Equal bands give equal keys, which is all the recall guarantee needs; a rare collision of
    unequal bands only adds a candidate that verification then drops.
    """
    # Little-endian uint32 pairs read as one uint64: (v0 | v1 << 32, v2 | v3 << 32) per band.
    pairs = np.ascontiguousarray(signatures, dtype="<u4").view("<u8").reshape(-1, BANDS, 2)
    keys = pairs[:, :, 0] * _MIX_LOW
    keys ^= pairs[:, :, 1] * _MIX_HIGH
    keys ^= _BAND_SALT
    return keys.astype(np.uint64, copy=False)


def _mismatch_limit(max_distance: float) -> int:
    if not 0 <= max_distance <= 1:
        raise ValueError(f"max_distance must be from 0 to 1, got {max_distance}")
    return floor(max_distance * NUM_PERMUTATIONS + 1e-9)


class MinHashIndex:
    """The `text_minhash` signatures of bank entries, by entry id."""

    def __init__(self) -> None:
        self._signatures: Signatures = np.zeros((0, NUM_PERMUTATIONS), dtype=np.uint32)
        self._row_ids: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._alive: NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._used = 0  # rows of the arrays in use (live, tombstoned or pending)
        self._row_of: dict[int, int] = {}  # live entry id -> row
        self._keys: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)  # sorted band keys
        self._key_rows: NDArray[np.int32] = np.zeros(0, dtype=np.int32)  # row of each key
        self._pending: dict[int, list[int]] = {}  # band key -> rows added since the rebuild
        self._pending_rows = 0
        self._dead = 0

    @classmethod
    def build(cls, items: Iterable[tuple[int, str]]) -> MinHashIndex:
        """An index of (entry_id, signal value) pairs; a repeated id keeps its last value."""
        latest = {int(entry_id): value for entry_id, value in items}
        index = cls()
        if latest:
            ids = np.fromiter(latest, dtype=np.int64, count=len(latest))
            index._signatures = _decode_all(latest)
            index._row_ids = ids
            index._alive = np.ones(ids.size, dtype=bool)
            index._used = ids.size
            index._row_of = {entry_id: row for row, entry_id in enumerate(latest)}
            index._index_rows()
        return index

    @classmethod
    def open(cls, session: Session, signal_type: str = "text_minhash") -> MinHashIndex:
        """The index of every bank entry of `signal_type` in the database."""
        ids, values = all_values(session, signal_type)
        return cls.build(zip(ids, values, strict=True))

    def __len__(self) -> int:
        return len(self._row_of)

    def add(self, entry_id: int, value: str) -> None:
        """Add an entry, replacing the entry's previous value if it was present."""
        signature = decode_signature(value)
        self.remove(entry_id)
        row = self._append(int(entry_id), signature)
        for key in band_keys(signature)[0].tolist():
            self._pending.setdefault(key, []).append(row)
        self._pending_rows += 1
        self._maybe_rebuild()

    def remove(self, entry_id: int) -> None:
        """Remove an entry; removing an absent entry does nothing."""
        row = self._row_of.pop(int(entry_id), None)
        if row is not None:
            self._alive[row] = False
            self._dead += 1
            self._maybe_rebuild()

    def query(self, value: str, max_distance: float) -> list[tuple[int, float]]:
        """Entries within `max_distance` of the signature `value`: (entry_id, distance),
        closest first, then by id. Raises ValueError for a malformed value or distance."""
        query = decode_signature(value)
        limit = _mismatch_limit(max_distance)
        if limit > BANDED_MISMATCHES:
            rows = np.flatnonzero(self._alive[: self._used])
        else:
            rows = self._candidates(query)
        if rows.size == 0:
            return []
        mismatches = NUM_PERMUTATIONS - np.count_nonzero(self._signatures[rows] == query, axis=1)
        keep = mismatches <= limit
        hits = zip(self._row_ids[rows[keep]].tolist(), mismatches[keep].tolist(), strict=True)
        found = [(entry_id, count / NUM_PERMUTATIONS) for entry_id, count in hits]
        return sorted(found, key=lambda hit: (hit[1], hit[0]))

    def _candidates(self, query: Signatures) -> NDArray[np.int64]:
        """Live rows sharing at least one whole band with the query."""
        keys = band_keys(query)[0]
        rows: set[int] = set()
        if self._keys.size:
            starts = np.searchsorted(self._keys, keys)
            at = np.minimum(starts, self._keys.size - 1)
            bands = np.flatnonzero(self._keys[at] == keys)  # the query bands present
            ends = np.searchsorted(self._keys, keys[bands], side="right")
            for start, end in zip(starts[bands].tolist(), ends.tolist(), strict=True):
                rows.update(self._key_rows[start:end].tolist())
        if self._pending:
            for key in keys.tolist():
                rows.update(self._pending.get(key, ()))
        found = np.fromiter(rows, dtype=np.int64, count=len(rows))
        return found[self._alive[found]]

    def _append(self, entry_id: int, signature: Signatures) -> int:
        if self._used == self._row_ids.size:
            capacity = max(16, 2 * self._used)
            self._signatures = _grown(self._signatures, capacity)
            self._row_ids = _grown(self._row_ids, capacity)
            self._alive = _grown(self._alive, capacity)
        row = self._used
        self._signatures[row] = signature
        self._row_ids[row] = entry_id
        self._alive[row] = True
        self._row_of[entry_id] = row
        self._used += 1
        return row

    def _maybe_rebuild(self) -> None:
        if self._pending_rows + self._dead > max(MIN_REBUILD, len(self) // 4):
            self._rebuild()

    def _rebuild(self) -> None:
        """Drop tombstones, renumber the live rows and re-sort every band key."""
        live = np.flatnonzero(self._alive[: self._used])
        self._signatures = self._signatures[live]
        self._row_ids = self._row_ids[live]
        self._alive = np.ones(live.size, dtype=bool)
        self._used = live.size
        self._row_of = {int(entry_id): row for row, entry_id in enumerate(self._row_ids)}
        self._index_rows()

    def _index_rows(self) -> None:
        keys = band_keys(self._signatures[: self._used]).ravel()
        rows = np.repeat(np.arange(self._used, dtype=np.int32), BANDS)
        order = np.argsort(keys)
        self._keys = keys[order]
        self._key_rows = rows[order]
        self._pending = {}
        self._pending_rows = 0
        self._dead = 0


def _decode_all(values_by_id: dict[int, str]) -> Signatures:
    try:
        return decode_signatures(list(values_by_id.values()))
    except ValueError:
        for entry_id, value in values_by_id.items():  # name the first bad entry
            try:
                decode_signature(value)
            except ValueError as exc:
                raise ValueError(f"entry {entry_id}: {exc}") from None
        raise


def _grown(array: NDArray[_Item], capacity: int) -> NDArray[_Item]:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown
