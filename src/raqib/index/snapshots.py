"""Persisted Hamming indexes kept current by replaying the store's change log.

A snapshot lives in `<index_dir>/<signal_type>/seq-<N>/`, N being the last change it holds, so
a crash mid-save leaves the previous snapshot whole. Opening loads the newest snapshot
(memory-mapped) and applies the changes after N incrementally: no full rebuild after an add.

On PostgreSQL a change can be numbered below N yet commit after the snapshot was written (its
transaction took the number earlier). So a snapshot also lists, in `late-<N>.json` beside it,
the numbers below N that had no change when it was saved; opening applies the changes that
have since appeared under those numbers too. (Applying changes is idempotent: the last
operation on an id wins.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from raqib.index.hamming import HammingIndex
from raqib.store.changes import (
    REMOVE,
    Change,
    all_values,
    changes_at,
    changes_since,
    last_seq,
    live_values,
    missing_seqs,
)

# Replaying more changes than this writes a new snapshot, so the next open is fast again.
SAVE_AFTER_CHANGES = 2000
# How far below a snapshot's number missing changes are remembered (a transaction that stays
# open while more than this many other changes commit is not caught).
LATE_WINDOW = 100_000


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
    late = changes_at(session, signal_type, _late_seqs(path))
    apply_changes(session, index, sorted(late + pending, key=lambda change: change.seq))
    if len(pending) >= SAVE_AFTER_CHANGES or late:
        _save(session, index, directory, pending[-1].seq if pending else seq)
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
        _save(session, index, directory, seq)
    return index


def _newest_snapshot(directory: Path) -> tuple[int, Path] | None:
    found: list[tuple[int, Path]] = []
    if directory.is_dir():
        for child in directory.iterdir():
            name = child.name
            if child.is_dir() and name.startswith("seq-") and name[4:].isdigit():
                found.append((int(name[4:]), child))
    return max(found) if found else None


def _late_file(directory: Path, seq: int) -> Path:
    return directory / f"late-{seq}.json"


def _late_seqs(path: Path) -> list[int]:
    """The numbers a snapshot listed as missing when it was saved."""
    try:
        late = _late_file(path.parent, int(path.name[4:])).read_text()
        return [int(seq) for seq in json.loads(late)]
    except (OSError, ValueError, TypeError):
        return []  # a snapshot saved before these lists existed


def _save(session: Session, index: HammingIndex, directory: Path, seq: int) -> None:
    """Write a snapshot (with the numbers below `seq` that have no change yet) and drop the
    older ones. A failed save only costs speed later."""
    target = directory / f"seq-{seq}"
    late = _late_file(directory, seq)
    missing = missing_seqs(session, seq, LATE_WINDOW)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if missing:  # written before the index, so a snapshot never lacks its list
            late.write_text(json.dumps(missing))
        index.save(target)  # replaces a snapshot of the same number whole
    except OSError:
        return
    for child in directory.iterdir():
        if child.name.startswith("seq-") and child != target:
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith("late-") and (child != late or not missing):
            child.unlink(missing_ok=True)
