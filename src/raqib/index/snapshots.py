"""Persisted Hamming indexes kept current by replaying the store's change log.

A snapshot lives in `<index_dir>/<signal_type>/seq-<N>/`, N being the last change it holds, so
a crash mid-save leaves the previous snapshot whole. Opening loads the newest snapshot
(memory-mapped) and applies the changes after N incrementally: no full rebuild after an add.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from raqib.index.hamming import HammingIndex
from raqib.store.changes import REMOVE, Change, all_values, changes_since, last_seq, live_values

# Replaying more changes than this writes a new snapshot, so the next open is fast again.
SAVE_AFTER_CHANGES = 2000


def hex_rows(values: list[str]) -> np.ndarray:
    """64-hex strings as a uint8[n, 32] array."""
    if not values:
        return np.zeros((0, 32), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, 32)


def open_hamming_index(session: Session, directory: Path, signal_type: str) -> HammingIndex:
    """The current index of `signal_type`: newest snapshot plus the changes since it."""
    snapshot = _newest_snapshot(directory)
    if snapshot is None:
        return _build_and_save(session, directory, signal_type)
    seq, path = snapshot
    index = HammingIndex.load(path)
    pending = changes_since(session, signal_type, seq)
    apply_changes(session, index, pending)
    if len(pending) >= SAVE_AFTER_CHANGES:
        _save(index, directory, pending[-1].seq)
    return index


def apply_changes(session: Session, index: HammingIndex, changes: list[Change]) -> None:
    """Apply a stretch of the change log: the last operation on an id wins."""
    final_op: dict[int, str] = {}
    for change in changes:
        final_op[change.entry_id] = change.op
    touched = np.fromiter(final_op, dtype=np.int64, count=len(final_op))
    if touched.size:
        index.remove(touched)
    values = live_values(session, [i for i, op in final_op.items() if op != REMOVE])
    if values:
        ids = np.fromiter(values, dtype=np.int64, count=len(values))
        index.add(ids, hex_rows(list(values.values())))


def _build_and_save(session: Session, directory: Path, signal_type: str) -> HammingIndex:
    seq = last_seq(session, signal_type)
    ids, values = all_values(session, signal_type)
    index = HammingIndex.build(np.asarray(ids, dtype=np.int64), hex_rows(values))
    if len(ids) >= SAVE_AFTER_CHANGES:
        _save(index, directory, seq)
    return index


def _newest_snapshot(directory: Path) -> tuple[int, Path] | None:
    found: list[tuple[int, Path]] = []
    if directory.is_dir():
        for child in directory.iterdir():
            name = child.name
            if child.is_dir() and name.startswith("seq-") and name[4:].isdigit():
                found.append((int(name[4:]), child))
    return max(found) if found else None


def _save(index: HammingIndex, directory: Path, seq: int) -> None:
    """Write a snapshot and drop the older ones. A failed save only costs speed later."""
    target = directory / f"seq-{seq}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            index.save(target)
    except OSError:
        return
    for child in directory.iterdir():
        if child.name.startswith("seq-") and child != target:
            shutil.rmtree(child, ignore_errors=True)
