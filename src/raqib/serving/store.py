"""The service matcher's own database connection: polling the change log and the banks on
every request, and reading entry rows for hits, with plain SQL in autocommit mode.

Why not sessions: a session costs ~0.1 ms on SQLite and ~0.4-0.7 ms on PostgreSQL (the pool's
pre-ping, the rollback on return) per use; the poll every request makes costs ~5 us and ~50 us
on one held connection. Statements are few and fixed; rows are mapped to records here.
One connection, used by one thread at a time (a lock); reopened once if it fails.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from raqib.errors import RaqibError
from raqib.records import BankInfo, EntryRecord, Labels
from raqib.store.db import Database

BankRow = tuple[Any, ...]  # id, name, description, tlp, enabled, allow_list, rotations, ...
EntryRow = tuple[EntryRecord, int]  # the entry and its bank id
IN_CHUNK = 500
_T = TypeVar("_T")

_POLL = (
    "SELECT m.seq, b.id, b.name, b.description, b.tlp, b.enabled, b.allow_list,"
    " b.match_rotations, CAST(b.thresholds AS TEXT), b.created_at"
    " FROM (SELECT max(seq) AS seq FROM index_changes) m LEFT JOIN banks b ON 1 = 1"
    " ORDER BY b.name"
)
_IN_GAPS = "SELECT count(*) FROM index_changes WHERE {ranges}"
_CHANGES_AFTER = (
    "SELECT seq, signal_type, entry_id, op FROM index_changes WHERE seq > ? ORDER BY seq LIMIT ?"
)
_CHANGES_IN = "SELECT seq, signal_type, entry_id, op FROM index_changes WHERE {ranges} ORDER BY seq"
_TYPE_SEQ = "SELECT max(seq) FROM index_changes WHERE signal_type = ?"
_VALUES = "SELECT id, value FROM entries WHERE id IN ({marks})"
_ENTRY_COLUMNS = (
    "SELECT e.id, b.name, e.signal_type, e.value, e.entity, e.behaviours, e.tier, e.source,"
    " e.note, e.added_at, e.bank_id FROM entries e JOIN banks b ON b.id = e.bank_id"
)
_ENTRIES = _ENTRY_COLUMNS + " WHERE e.id IN ({marks})"
_EXACT = _ENTRY_COLUMNS + " WHERE e.signal_type = ? AND e.value_key = ?"


@dataclass(frozen=True)
class LoggedChange:
    """One row of the change log: entry `entry_id` of `signal_type` was added or removed."""

    seq: int
    signal_type: str
    entry_id: int
    op: str


@dataclass(frozen=True)
class Poll:
    """The newest change number, the bank rows, and how many changes sit in watched gaps."""

    seq: int
    banks: tuple[BankRow, ...]
    in_gaps: int = 0


class StoreReader:
    """Plain-SQL reads on one held connection (autocommit: every read sees the latest commit).
    Thread-safe: one caller at a time."""

    def __init__(self, database: Database) -> None:
        self._database = database
        dialect = database.engine.dialect
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._errors: type[Exception] = dialect.loaded_dbapi.Error
        self._lock = threading.Lock()
        self._raw: Any = None

    # -- queries ---------------------------------------------------------------------------

    def poll(self, gaps: Sequence[tuple[int, int]] = ()) -> Poll:
        """What every request checks: the change log's head and the banks."""

        def run(cursor: Any) -> Poll:
            cursor.execute(self._sql(_POLL))
            rows = cursor.fetchall()
            seq = int(rows[0][0] or 0) if rows else 0
            banks = tuple(tuple(row[1:]) for row in rows if row[1] is not None)
            in_gaps = 0
            if gaps:
                ranges, params = self._ranges(gaps)
                cursor.execute(self._sql(_IN_GAPS.format(ranges=ranges)), params)
                in_gaps = int(cursor.fetchone()[0])
            return Poll(seq, banks, in_gaps)

        return self._run(run)

    def changes_after(self, seq: int, limit: int) -> list[LoggedChange]:
        """Up to `limit` changes after `seq`, in order."""
        return self._run(lambda cursor: self._changes(cursor, _CHANGES_AFTER, [seq, limit]))

    def changes_in(self, gaps: Sequence[tuple[int, int]]) -> list[LoggedChange]:
        """The changes whose numbers fall in `gaps` (inclusive ranges), in order."""
        if not gaps:
            return []
        ranges, params = self._ranges(gaps)
        return self._run(
            lambda cursor: self._changes(cursor, _CHANGES_IN.format(ranges=ranges), params)
        )

    def type_seq(self, signal_type: str) -> int:
        """The newest change number of one signal type (0: none)."""

        def run(cursor: Any) -> int:
            cursor.execute(self._sql(_TYPE_SEQ), (signal_type,))
            return int(cursor.fetchone()[0] or 0)

        return self._run(run)

    def values(self, ids: Sequence[int]) -> dict[int, str]:
        """Values of the entries of `ids` that still exist."""

        def run(cursor: Any, chunk: Sequence[int]) -> dict[int, str]:
            cursor.execute(self._sql(_VALUES.format(marks=self._marks(chunk))), list(chunk))
            return {int(i): str(v) for i, v in cursor.fetchall()}

        return self._chunked(ids, run)

    def entries(self, ids: Sequence[int]) -> dict[int, EntryRow]:
        """The entries of `ids` that still exist, with their bank ids."""

        def run(cursor: Any, chunk: Sequence[int]) -> dict[int, EntryRow]:
            cursor.execute(self._sql(_ENTRIES.format(marks=self._marks(chunk))), list(chunk))
            return {int(row[0]): (_entry(row), int(row[10])) for row in cursor.fetchall()}

        return self._chunked(ids, run)

    def exact(self, signal_type: str, value_key: str) -> list[EntryRow]:
        """Entries of a signal type whose value has the sha256 `value_key`."""

        def run(cursor: Any) -> list[EntryRow]:
            cursor.execute(self._sql(_EXACT), (signal_type, value_key))
            return [(_entry(row), int(row[10])) for row in cursor.fetchall()]

        return self._run(run)

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- plumbing --------------------------------------------------------------------------

    def _changes(self, cursor: Any, sql: str, params: list[int]) -> list[LoggedChange]:
        cursor.execute(self._sql(sql), params)
        return [LoggedChange(int(s), str(t), int(e), str(o)) for s, t, e, o in cursor.fetchall()]

    def _sql(self, sql: str) -> str:
        return sql if self._mark == "?" else sql.replace("?", self._mark)

    def _marks(self, values: Sequence[object]) -> str:
        return ",".join("?" * len(values))

    def _ranges(self, gaps: Sequence[tuple[int, int]]) -> tuple[str, list[int]]:
        text = " OR ".join("seq BETWEEN ? AND ?" for _ in gaps)
        return text, [bound for gap in gaps for bound in gap]

    def _chunked(
        self, ids: Sequence[int], run: Callable[[Any, Sequence[int]], dict[int, _T]]
    ) -> dict[int, _T]:
        found: dict[int, _T] = {}
        for start in range(0, len(ids), IN_CHUNK):
            chunk = [int(i) for i in ids[start : start + IN_CHUNK]]
            found.update(self._run(lambda cursor, chunk=chunk: run(cursor, chunk)))  # type: ignore[misc]
        return found

    def _run(self, work: Callable[[Any], _T]) -> _T:
        """`work(cursor)` on the held connection; on a database error the connection is
        dropped and the work retried once on a new one (the server may have restarted)."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    cursor = self._connection().cursor()
                    try:
                        return work(cursor)
                    finally:
                        cursor.close()
                except self._errors as exc:
                    self._drop()
                    if attempt == 2:
                        raise RaqibError(f"database error: {str(exc).strip()[:200]}") from exc
        raise AssertionError("unreachable")

    def _connection(self) -> Any:
        if self._raw is None:
            raw = self._database.engine.raw_connection()
            driver: Any = raw.driver_connection
            if self._mark == "?":
                driver.isolation_level = None  # sqlite3: no implicit transactions
            else:
                driver.autocommit = True
            self._raw = raw
        return self._raw.driver_connection

    def _drop(self) -> None:
        """Close the connection for good (not back to the pool: it is in autocommit mode)."""
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.invalidate()


def bank_info(row: BankRow) -> BankInfo:
    """A bank row of `StoreReader.poll` as a BankInfo (entry count not read: 0)."""
    bank_id, name, description, tlp, enabled, allow_list, rotations, thresholds, created = row
    raw = json.loads(thresholds) if thresholds else {}
    return BankInfo(
        id=int(bank_id),
        name=str(name),
        description=str(description or ""),
        tlp=str(tlp),
        enabled=bool(enabled),
        allow_list=bool(allow_list),
        match_rotations=bool(rotations),
        thresholds={str(k): float(v) for k, v in (raw or {}).items()},
        created_at=_utc(created),
    )


def _entry(row: tuple[Any, ...]) -> EntryRecord:
    entry_id, bank, signal_type, value, entity, behaviours, tier, source, note, added = row[:10]
    labels = Labels(
        entity=str(entity or ""),
        behaviours=tuple(b for b in str(behaviours or "").split(",") if b),
        tier=None if tier is None else int(tier),
        source=str(source or ""),
        note=str(note or ""),
    )
    return EntryRecord(int(entry_id), str(bank), str(signal_type), str(value), labels, _utc(added))


def _utc(value: Any) -> datetime:
    """A timestamp column as an aware UTC datetime (SQLite gives naive text)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
