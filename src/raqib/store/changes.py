"""The index change log: every entry added or removed, in order, per signal type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from raqib.store.models import Entry, IndexChange

ADD = "add"
REMOVE = "remove"
CHUNK = 5000


@dataclass(frozen=True)
class Change:
    seq: int
    entry_id: int
    op: str


def log_changes(session: Session, signal_type: str, entry_ids: Sequence[int], op: str) -> None:
    for start in range(0, len(entry_ids), CHUNK):
        rows = [
            {"signal_type": signal_type, "entry_id": entry_id, "op": op}
            for entry_id in entry_ids[start : start + CHUNK]
        ]
        session.execute(insert(IndexChange), rows)


def last_seq(session: Session, signal_type: str) -> int:
    query = select(func.max(IndexChange.seq)).where(IndexChange.signal_type == signal_type)
    return int(session.scalar(query) or 0)


def changes_since(session: Session, signal_type: str, seq: int) -> list[Change]:
    query = (
        select(IndexChange.seq, IndexChange.entry_id, IndexChange.op)
        .where(IndexChange.signal_type == signal_type, IndexChange.seq > seq)
        .order_by(IndexChange.seq)
    )
    return [Change(int(s), int(e), str(o)) for s, e, o in session.execute(query)]


def changes_at(session: Session, signal_type: str, seqs: Sequence[int]) -> list[Change]:
    """The changes of `signal_type` with these sequence numbers (those that exist now)."""
    found: list[Change] = []
    for start in range(0, len(seqs), CHUNK):
        query = select(IndexChange.seq, IndexChange.entry_id, IndexChange.op).where(
            IndexChange.signal_type == signal_type,
            IndexChange.seq.in_(list(seqs[start : start + CHUNK])),
        )
        found.extend(Change(int(s), int(e), str(o)) for s, e, o in session.execute(query))
    return found


def missing_seqs(session: Session, below: int, window: int) -> list[int]:
    """Sequence numbers in (below - window, below] with no change (of any type): on PostgreSQL,
    changes of transactions still open (they may commit later) or rolled back."""
    low = max(1, below - window + 1)
    query = select(IndexChange.seq).where(IndexChange.seq.between(low, below))
    present = {int(seq) for seq in session.scalars(query)}
    return [seq for seq in range(low, below + 1) if seq not in present]


def live_values(session: Session, entry_ids: Sequence[int]) -> dict[int, str]:
    """Current values of the entries that still exist, by id."""
    values: dict[int, str] = {}
    for start in range(0, len(entry_ids), CHUNK):
        chunk = list(entry_ids[start : start + CHUNK])
        query = select(Entry.id, Entry.value).where(Entry.id.in_(chunk))
        values.update({int(i): str(v) for i, v in session.execute(query)})
    return values


def all_values(session: Session, signal_type: str) -> tuple[list[int], list[str]]:
    """Every live entry of a signal type: ids and values, for a full index build."""
    query = select(Entry.id, Entry.value).where(Entry.signal_type == signal_type).order_by(Entry.id)
    ids: list[int] = []
    values: list[str] = []
    for entry_id, value in session.execute(query.execution_options(yield_per=CHUNK)):
        ids.append(int(entry_id))
        values.append(str(value))
    return ids, values
