"""Exact-recall Hamming index over 256-bit hashes (PDQ), keyed by int64 ids.

A main segment (rows sorted by id, multi-index hash tables, tombstones) plus a small delta
segment of recent adds that is scanned and merged into main once it outgrows a fraction of it.
Queries probe the tables or scan, whichever the cost model says is cheaper; both are exact.
Saved as `.npy` files plus `manifest.json`, never pickled; loaded memory-mapped.

Ids are keys: adding an id that is already live replaces its hash (last write wins).
A `uint64[n, 4]` hash array is the native-endian view of the same `uint8[n, 32]` bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from raqib.index import hamming_kernels as kernels
from raqib.index.hamming_layout import Layout, choose_layout, query_plan

HASH_BYTES = 32
HASH_BITS = 256
FORMAT = "raqib-hamming"
FORMAT_VERSION = 1
# The delta segment is merged into main when it holds more than main/DELTA_FRACTION rows,
# clamped so scanning it stays cheap (~0.3 ms) and small indexes do not merge on every add.
DELTA_FRACTION = 16
DELTA_MIN = 4_096
DELTA_MAX = 131_072
# Main is rebuilt without its tombstones once more than this fraction of it is dead.
DEAD_FRACTION = 0.25

Match = tuple[int, int]
HashLike = np.ndarray | bytes | str
_Found = tuple[np.ndarray, np.ndarray, np.ndarray]  # query number, id, distance


def hex_to_bytes(value: str) -> np.ndarray:
    """The 32 bytes (uint8[32]) of a 64-hex-digit hash; first byte = first two digits."""
    if len(value) != 2 * HASH_BYTES:
        raise ValueError(f"a 256-bit hash is 64 hex digits, got {len(value)} characters")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ValueError("a 256-bit hash must be hexadecimal digits only") from None
    return np.frombuffer(raw, dtype=np.uint8).copy()


def bytes_to_hex(value: bytes | np.ndarray) -> str:
    """64 lower-case hex digits of a 32-byte hash (bytes, uint8[32] or uint64[4])."""
    raw = value if isinstance(value, bytes) else np.ascontiguousarray(value).tobytes()
    if len(raw) != HASH_BYTES:
        raise ValueError(f"a 256-bit hash is 32 bytes, got {len(raw)}")
    return raw.hex()


def hamming_distance(a_hex: str, b_hex: str) -> int:
    """Bits that differ between two 64-hex-digit hashes."""
    a = int.from_bytes(hex_to_bytes(a_hex).tobytes(), "big")
    b = int.from_bytes(hex_to_bytes(b_hex).tobytes(), "big")
    return (a ^ b).bit_count()


def _as_words(hashes: np.ndarray) -> np.ndarray:
    """uint8[n, 32] or uint64[n, 4] as a C-contiguous uint64[n, 4] array."""
    arr = np.asarray(hashes)
    if arr.ndim == 2 and arr.dtype == np.uint8 and arr.shape[1] == HASH_BYTES:
        return np.ascontiguousarray(arr).view(np.uint64)
    if arr.ndim == 2 and arr.dtype == np.uint64 and arr.shape[1] == HASH_BYTES // 8:
        return np.ascontiguousarray(arr)
    if arr.ndim == 2 and arr.shape[0] == 0:
        return np.empty((0, 4), dtype=np.uint64)
    raise ValueError(f"hashes must be uint8[n, 32] or uint64[n, 4], got {arr.dtype}{arr.shape}")


def _query_words(value: HashLike) -> np.ndarray:
    """One hash (64-hex str, 32 bytes, uint8[32] or uint64[4]) as uint64[1, 4]."""
    if isinstance(value, str):
        arr = hex_to_bytes(value)
    elif isinstance(value, bytes):
        if len(value) != HASH_BYTES:
            raise ValueError(f"a 256-bit hash is 32 bytes, got {len(value)}")
        arr = np.frombuffer(value, dtype=np.uint8)
    else:
        arr = np.asarray(value)
    return _as_words(arr.reshape(1, -1)).copy()


def _as_ids(ids: np.ndarray, count: int) -> np.ndarray:
    out = np.asarray(ids)
    if out.ndim != 1 or out.shape[0] != count or not np.issubdtype(out.dtype, np.integer):
        raise ValueError(f"ids must be int64[{count}], got {out.dtype}{out.shape}")
    return out.astype(np.int64, copy=False)


def _check_threshold(threshold: int) -> int:
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    return min(int(threshold), HASH_BITS)


def _last_per_id(ids: np.ndarray) -> np.ndarray:
    """Row numbers that keep the last occurrence of each id, ordered by id."""
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    last = np.ones(ordered.shape[0], dtype=bool)
    last[:-1] = ordered[1:] != ordered[:-1]
    return order[last]


def _readonly(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.flags.writeable = False
    return view


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="hamming")


@dataclass
class _Tables:
    """Multi-index tables: per table, row numbers counting-sorted by their bit field."""

    layout: Layout
    offsets: np.ndarray  # uint32, every table's 2**width + 1 offsets, concatenated
    positions: np.ndarray  # uint32[m * n]: table j's row numbers at [j*n, (j+1)*n)

    @classmethod
    def build(cls, layout: Layout, words: np.ndarray) -> _Tables:
        n = words.shape[0]
        offsets = np.zeros(layout.offsets_len, dtype=np.uint32)
        positions = np.empty(layout.m * n, dtype=np.uint32)

        def one(j: int) -> None:
            start, width, base = (int(v) for v in layout.fields[j])
            table = offsets[base : base + (1 << width) + 1]
            kernels.build_table(words, start, width, table, positions[j * n : (j + 1) * n])

        list(_pool().map(one, range(layout.m)))
        return cls(layout, _readonly(offsets), _readonly(positions))


@dataclass
class _Segment:
    """Rows of hashes with ids and a live flag; main segments are sorted by id."""

    ids: np.ndarray  # int64[n]
    words: np.ndarray  # uint64[n, 4], read-only
    alive: np.ndarray  # uint8[n], 0 = removed
    tables: _Tables | None = None

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def search(self, queries: np.ndarray, threshold: int) -> _Found:
        """(query number, id, distance) for live rows within `threshold`."""
        n = len(self)
        if n == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty.astype(np.int32), empty, empty.astype(np.int32)
        tables = self.tables
        plan = None if tables is None else query_plan(tables.layout.m, threshold, n)
        if tables is not None and plan is not None and plan.use_tables:
            lay = tables.layout
            args: tuple[object, ...] = (threshold, plan.radii, plan.max_probes, self.words)
            args += (self.alive, lay.fields, tables.offsets, tables.positions)
            q, rows, d = _collect(kernels.mih_chunk, queries, args, resumable=True)
        else:
            args = (threshold, self.words, self.alive)
            q, rows, d = _collect(kernels.scan_chunk, queries, args, resumable=False)
        return q, self.ids[rows], d


def _collect(
    kernel: Callable[..., int], queries: np.ndarray, args: tuple[object, ...], resumable: bool
) -> _Found:
    """Run a kernel with room for the usual number of hits; if that was too little, run it
    again with more: from the first incomplete query when hits come in query order
    (`resumable`), else from the start."""
    parts: list[_Found] = []
    first, room = 0, 64 * queries.shape[0] + 1024
    while True:
        out = (np.empty(room, np.int32), np.empty(room, np.int64), np.empty(room, np.int32))
        count = kernel(queries[first:], *args, *out)
        if count <= room:
            parts.append((out[0][:count] + first, out[1][:count], out[2][:count]))
            break
        if resumable:
            done = int(np.searchsorted(out[0], out[0][-1]))  # hits of complete queries
            parts.append((out[0][:done] + first, out[1][:done], out[2][:done]))
            first += int(out[0][-1])
            count -= done
        room = max(count, 2 * room)
    if len(parts) == 1:
        return parts[0]
    q, rows, d = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return q, rows, d


def _main_segment(ids: np.ndarray, words: np.ndarray) -> _Segment:
    """A main segment of unique ids (last occurrence wins), sorted by id, with tables."""
    keep = _last_per_id(ids)
    if keep.shape[0] == ids.shape[0] and np.all(keep == np.arange(keep.shape[0])):
        sorted_ids, sorted_words = ids.copy(), words.copy()
    else:
        sorted_ids, sorted_words = ids[keep], words[keep]
    layout = choose_layout(sorted_ids.shape[0])
    tables = None if layout is None else _Tables.build(layout, sorted_words)
    alive = np.ones(sorted_ids.shape[0], dtype=np.uint8)
    return _Segment(_readonly(sorted_ids), _readonly(sorted_words), alive, tables)


class HammingIndex:
    """Exact-recall Hamming index over 256-bit hashes, keyed by int64 ids."""

    def __init__(self) -> None:
        self._main = _main_segment(np.empty(0, np.int64), np.empty((0, 4), np.uint64))
        self._main_live = 0
        self._delta_ids = np.empty(DELTA_MIN, dtype=np.int64)
        self._delta_words = np.empty((DELTA_MIN, 4), dtype=np.uint64)
        self._delta_alive = np.empty(DELTA_MIN, dtype=np.uint8)
        self._delta_count = 0
        self._delta_live = 0

    @classmethod
    def build(cls, ids: np.ndarray, hashes: np.ndarray) -> HammingIndex:
        """Index `hashes` (uint8[n, 32] or uint64[n, 4]) under `ids` in one go."""
        words = _as_words(hashes)
        index = cls()
        index._set_main(_main_segment(_as_ids(ids, words.shape[0]), words))
        return index

    def __len__(self) -> int:
        return self._main_live + self._delta_live

    # -- updates ---------------------------------------------------------------------------

    def add(self, ids: np.ndarray, hashes: np.ndarray) -> None:
        """Add or replace entries; they match from the next query on."""
        words = _as_words(hashes)
        ids = _as_ids(ids, words.shape[0])
        if ids.shape[0] == 0:
            return
        keep = np.sort(_last_per_id(ids))
        ids, words = ids[keep], words[keep]
        self.remove(ids)
        self._append_delta(ids, words)
        if self._delta_count > self._delta_limit():
            self._merge()

    def remove(self, ids: np.ndarray) -> None:
        """Remove entries by id; unknown ids are ignored."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.shape[0] == 0:
            return
        main = self._main
        if len(main):
            at = np.minimum(np.searchsorted(main.ids, ids), len(main) - 1)
            rows = at[(main.ids[at] == ids) & (main.alive[at] != 0)]
            rows = np.unique(rows)
            main.alive[rows] = 0
            self._main_live -= int(rows.shape[0])
        if self._delta_live:
            count = self._delta_count
            hit = np.isin(self._delta_ids[:count], ids) & (self._delta_alive[:count] != 0)
            self._delta_alive[:count][hit] = 0
            self._delta_live -= int(hit.sum())
        if len(main) - self._main_live > DEAD_FRACTION * max(len(main), DELTA_MIN):
            self._merge()

    def _delta_limit(self) -> int:
        return min(max(len(self._main) // DELTA_FRACTION, DELTA_MIN), DELTA_MAX)

    def _append_delta(self, ids: np.ndarray, words: np.ndarray) -> None:
        start, end = self._delta_count, self._delta_count + ids.shape[0]
        if end > self._delta_ids.shape[0]:
            size = max(end, 2 * self._delta_ids.shape[0])
            self._delta_ids = np.resize(self._delta_ids, size)
            self._delta_words = np.resize(self._delta_words, (size, 4))
            self._delta_alive = np.resize(self._delta_alive, size)
        self._delta_ids[start:end] = ids
        self._delta_words[start:end] = words
        self._delta_alive[start:end] = 1
        self._delta_count = end
        self._delta_live += int(ids.shape[0])

    def _merge(self) -> None:
        """Rebuild main from its live rows plus the live delta rows; empty the delta."""
        main, count = self._main, self._delta_count
        live_main = main.alive != 0
        live_delta = self._delta_alive[:count] != 0
        ids = np.concatenate((main.ids[live_main], self._delta_ids[:count][live_delta]))
        words = np.concatenate((main.words[live_main], self._delta_words[:count][live_delta]))
        self._set_main(_main_segment(ids, words))
        self._delta_count = 0
        self._delta_live = 0

    def _set_main(self, main: _Segment) -> None:
        self._main = main
        self._main_live = int(np.count_nonzero(main.alive))

    def _delta(self) -> _Segment:
        count = self._delta_count
        words = _readonly(self._delta_words[:count])
        return _Segment(self._delta_ids[:count], words, self._delta_alive[:count])

    # -- queries ---------------------------------------------------------------------------

    def query(self, hash: HashLike, threshold: int) -> list[Match]:
        """(id, distance) of every live entry within `threshold` bits, by distance then id."""
        return self._search(_query_words(hash), _check_threshold(threshold))[0]

    def query_batch(self, hashes: np.ndarray, threshold: int) -> list[list[Match]]:
        """`query` for each row of `hashes` (uint8[q, 32]), spread over all CPU cores."""
        queries = _as_words(hashes).copy()
        threshold = _check_threshold(threshold)
        workers = os.cpu_count() or 1
        chunk = max(1, -(-queries.shape[0] // (4 * workers)))
        starts = list(range(0, queries.shape[0], chunk))
        if len(starts) <= 1:
            return self._search(queries, threshold)

        def run(start: int) -> list[list[Match]]:
            return self._search(queries[start : start + chunk], threshold)

        return [hits for part in _pool().map(run, starts) for hits in part]

    def _search(self, queries: np.ndarray, threshold: int) -> list[list[Match]]:
        found = [seg.search(queries, threshold) for seg in (self._main, self._delta())]
        qs, ids, ds = (np.concatenate(parts) for parts in zip(*found, strict=True))
        order = np.lexsort((ids, ds, qs))
        qs, ids, ds = qs[order], ids[order], ds[order]
        bounds = np.searchsorted(qs, np.arange(queries.shape[0] + 1)).tolist()
        id_list, d_list = ids.tolist(), ds.tolist()
        return [
            list(zip(id_list[lo:hi], d_list[lo:hi], strict=True)) for lo, hi in pairwise(bounds)
        ]

    # -- persistence -----------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write `.npy` files and `manifest.json` to a temporary sibling, then swap it in."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            self._write(tmp)
            _swap_in(tmp, directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _write(self, tmp: Path) -> None:
        main, delta = self._main, self._delta()
        arrays: dict[str, np.ndarray] = {
            "main_ids": main.ids,
            "main_hashes": main.words.view(np.uint8),
            "main_alive": main.alive,
            "delta_ids": delta.ids,
            "delta_hashes": delta.words.view(np.uint8),
            "delta_alive": delta.alive,
        }
        if main.tables is not None:
            arrays["table_offsets"] = main.tables.offsets
            arrays["table_positions"] = main.tables.positions
        for name, arr in arrays.items():
            _write_npy(tmp / f"{name}.npy", arr)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "byteorder": sys.byteorder,
            "main_rows": len(main),
            "delta_rows": len(delta),
            "tables": None if main.tables is None else main.tables.layout.m,
        }
        _write_file(tmp / "manifest.json", lambda f: f.write(json.dumps(manifest).encode()))

    @classmethod
    def load(cls, directory: Path, mmap: bool = True) -> HammingIndex:
        """Open a saved index; large arrays are memory-mapped unless `mmap` is False."""
        directory = Path(directory)
        manifest = json.loads((directory / "manifest.json").read_text())
        if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
            raise ValueError(f"{directory}: not a {FORMAT} v{FORMAT_VERSION} index")
        mode: Literal["r"] | None = "r" if mmap else None

        def arr(name: str) -> np.ndarray:
            return np.asarray(np.load(directory / f"{name}.npy", mmap_mode=mode))

        main = _Segment(arr("main_ids"), _as_words(arr("main_hashes")), arr("main_alive").copy())
        _check_rows(directory, main, int(manifest["main_rows"]))
        m = manifest["tables"]
        if m is not None and manifest["byteorder"] == sys.byteorder:
            offsets, positions = arr("table_offsets"), arr("table_positions")
            main.tables = _Tables(Layout(int(m)), offsets, positions)
            _check_tables(directory, main.tables, len(main))
        elif m is not None:
            main.tables = _Tables.build(Layout(int(m)), main.words)
        index = cls()
        index._set_main(_Segment(main.ids, _readonly(main.words), main.alive, main.tables))
        delta_ids, delta_alive = arr("delta_ids"), arr("delta_alive")
        index._append_delta(delta_ids, _as_words(arr("delta_hashes")))
        index._delta_alive[: delta_ids.shape[0]] = delta_alive
        index._delta_live = int(np.count_nonzero(delta_alive))
        return index


def _check_tables(directory: Path, tables: _Tables, rows: int) -> None:
    """Cheap consistency checks, so that the kernels never read out of bounds."""
    lay = tables.layout
    ends = lay.fields[:, 2] + (1 << lay.fields[:, 1])
    ok = (
        tables.offsets.dtype == np.uint32
        and tables.positions.dtype == np.uint32
        and tables.offsets.shape == (lay.offsets_len,)
        and tables.positions.shape == (lay.m * rows,)
        and bool(np.all(tables.offsets[lay.fields[:, 2]] == 0))
        and bool(np.all(tables.offsets[ends] == rows))
    )
    if not ok:
        raise ValueError(f"{directory}: table arrays disagree with the manifest")


def _check_rows(directory: Path, main: _Segment, rows: int) -> None:
    arrays = (main.ids, main.words, main.alive)
    if not (main.ids.shape[0] == main.words.shape[0] == main.alive.shape[0] == rows) or [
        a.dtype for a in arrays
    ] != [np.dtype(np.int64), np.dtype(np.uint64), np.dtype(np.uint8)]:
        raise ValueError(f"{directory}: main arrays disagree with the manifest")


def _write_file(path: Path, write: Callable[[BinaryIO], object]) -> None:
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def _write_npy(path: Path, arr: np.ndarray) -> None:
    _write_file(path, lambda f: np.save(f, np.ascontiguousarray(arr), allow_pickle=False))


def _swap_in(tmp: Path, directory: Path) -> None:
    """Replace `directory` with `tmp`: rename the old one aside, rename, then delete it."""
    if not directory.exists():
        tmp.rename(directory)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old.", dir=directory.parent))
    old.rmdir()
    directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
