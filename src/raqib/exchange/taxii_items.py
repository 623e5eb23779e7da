"""What a TAXII collection holds, in one time order: the bank's common objects (identity,
extension definition, TLP marking) at the bank's creation, each live entry at its `added_at`, and
each removed entry's revocation (an `entry_revocations` row) at its `revoked_at`.

Each is an Item at a Position (time, kind, row id); items are read from the database in bounded
chunks per stream and merged, so memory stays flat however large the bank. Positions are total:
two items never share one, so a cursor naming a position resumes exactly."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from raqib.exchange import stix
from raqib.records import BankInfo, EntryRecord, Labels
from raqib.store.banks import entry_record
from raqib.store.models import Entry, EntryRevocation
from raqib.store.models import as_utc as _utc

COMMON, ENTRY, REVOCATION = 0, 1, 2  # kinds, in the order they sort at one instant
KINDS = (COMMON, ENTRY, REVOCATION)
MAX_CHUNK = 1001  # rows read per query from one stream: a page of 1000 and one to see more
FIRST_REVOCATIONS = 32  # revocations are few: read a small chunk first, then grow


class Position(NamedTuple):
    """Where an item sits in a collection's time order (compared as a tuple)."""

    at: datetime
    kind: int
    row: int


@dataclass(frozen=True)
class Item:
    """One thing a collection holds: its common objects (entry None), a live entry, or a removed
    entry rebuilt from its revocation (labels empty; `revoked_at` set)."""

    position: Position
    entry: EntryRecord | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Scope:
    """Which items to read: from `start` on (inclusive), added after `added_after`, only the
    indicators with one of `stix_ids` (None = all), with or without the common objects."""

    start: Position | None = None
    added_after: datetime | None = None
    stix_ids: frozenset[str] | None = None
    common: bool = True
    chunk: int = 500


def items(session: Session, bank: BankInfo, scope: Scope) -> Iterator[Item]:
    """The collection's items in Position order."""
    streams: list[Iterator[Item]] = []
    if scope.stix_ids is None or scope.stix_ids:
        streams += [_entries(session, bank, scope), _revocations(session, bank, scope)]
    if scope.common:
        streams.append(_common(bank, scope))
    return heapq.merge(*streams, key=lambda item: item.position)


def objects_of(bank: BankInfo, item: Item) -> list[list[dict[str, Any]]]:
    """The STIX objects of an item, each as its list of versions, oldest first: a live entry's
    indicator (+ threat-actor and relationship for an entity label) has one version; a removed
    entry's indicator has two, the original and the revoked one."""
    if item.entry is None:
        return [[obj] for obj in stix.common_objects(bank)]
    if item.revoked_at is None:
        return [[obj] for obj in stix.bank_objects(bank, [item.entry], common=False)]
    original = stix.indicator_for(bank, item.entry)
    return [[original, revoked_version(original, item.revoked_at)]]


def revoked_version(indicator: dict[str, Any], revoked_at: datetime) -> dict[str, Any]:
    """The revoked version of an indicator: same id, pattern, extension and marking, `modified` =
    the revocation time (kept later than `created` at STIX's millisecond precision)."""
    created = indicator["created"]
    modified = stix.stix_time(revoked_at)
    if modified <= created:  # removed within the millisecond it was added
        modified = stix.stix_time(_parse_stix(created) + timedelta(milliseconds=1))
    return indicator | {"modified": modified, "revoked": True}


def _parse_stix(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _common(bank: BankInfo, scope: Scope) -> Iterator[Item]:
    position = Position(_utc(bank.created_at), COMMON, 0)
    if scope.start is not None and position < scope.start:
        return
    if scope.added_after is not None and position.at <= scope.added_after:
        return
    yield Item(position)


def _entries(session: Session, bank: BankInfo, scope: Scope) -> Iterator[Item]:
    """Live entries in (added_at, id) order, a chunk per query."""
    start = scope.start
    while True:
        query = select(Entry).where(Entry.bank_id == bank.id)
        query = query.where(*_conditions(Entry.added_at, Entry.id, ENTRY, scope, start))
        if scope.stix_ids is not None:
            query = query.where(Entry.stix_id.in_(sorted(scope.stix_ids)))
        rows = list(session.scalars(query.order_by(Entry.added_at, Entry.id).limit(scope.chunk)))
        records = [entry_record(row, bank.name) for row in rows]
        for row in rows:  # keep the session's identity map small while paging
            session.expunge(row)
        for record in records:
            yield Item(Position(_utc(record.added_at), ENTRY, record.id), record)
        if len(rows) < scope.chunk:
            return
        start = Position(_utc(records[-1].added_at), ENTRY, records[-1].id + 1)


def _revocations(session: Session, bank: BankInfo, scope: Scope) -> Iterator[Item]:
    """Removed entries in (revoked_at, id) order, a chunk per query; the chunks grow from
    FIRST_REVOCATIONS to scope.chunk, so a page of entries reads few revocations it won't use."""
    table = EntryRevocation
    start = scope.start
    chunk = min(FIRST_REVOCATIONS, scope.chunk)
    while True:
        query = select(table).where(table.bank_id == bank.id)
        query = query.where(*_conditions(table.revoked_at, table.id, REVOCATION, scope, start))
        if scope.stix_ids is not None:
            query = query.where(table.stix_id.in_(sorted(scope.stix_ids)))
        rows = list(session.scalars(query.order_by(table.revoked_at, table.id).limit(chunk)))
        found = [_revocation_item(row, bank.name) for row in rows]
        for row in rows:
            session.expunge(row)
        yield from found
        if len(rows) < chunk:
            return
        last = found[-1].position
        start = Position(last.at, REVOCATION, last.row + 1)
        chunk = min(chunk * 4, scope.chunk)


def _revocation_item(row: EntryRevocation, bank_name: str) -> Item:
    record = EntryRecord(
        row.id, bank_name, row.signal_type, row.value, Labels(), _utc(row.added_at), row.stix_id
    )
    revoked_at = _utc(row.revoked_at)
    return Item(Position(revoked_at, REVOCATION, row.id), record, revoked_at)


def _conditions(
    at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[int],
    kind: int,
    scope: Scope,
    start: Position | None,
) -> list[ColumnElement[bool]]:
    """SQL conditions for a stream of `kind`: positioned at or after `start`, added after
    `scope.added_after`."""
    found: list[ColumnElement[bool]] = []
    if scope.added_after is not None:
        found.append(at > scope.added_after)
    if start is None:
        return found
    if start.kind < kind:  # this stream's items at start.at come after the start
        found.append(at >= start.at)
    elif start.kind > kind:  # ... or before it
        found.append(at > start.at)
    else:
        # a row-value comparison: one index seek, where `at > x OR (at = x AND id >= y)` made
        # SQLite scan every row sharing the timestamp (a bulk import shares one per chunk)
        found.append(tuple_(at, row_id) >= tuple_(start.at, start.row))
    return found
