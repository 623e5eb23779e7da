"""The audit trail: an append-only chain of events, each holding the previous event's hash.

Every change (bank, entry, routing rule, decision, key, user) appends one event inside the
transaction that makes the change. An event's hash covers its id, time, actor, verb, object and
details and the previous event's hash, so editing, deleting or reordering events breaks the chain
at the first event touched, which `verify` names. (Cutting events off the end leaves a shorter
valid chain; compare `verify`'s count and head hash with a copy kept elsewhere to catch that.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from raqib.store.models import utcnow
from raqib.store.models_service import AuditEvent

GENESIS = "0" * 64
_PG_LOCK = 0x52617169  # pg_advisory_xact_lock key: one appender at a time, until commit
_VERIFY_CHUNK = 1000


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    verb: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": _iso(self.at),
            "actor": self.actor,
            "verb": self.verb,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "details": self.details,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head: str  # the last good event's hash
    first_bad_id: int | None = None
    problem: str = ""


def lock(session: Session) -> None:
    """Take the trail's append lock until the transaction ends (PostgreSQL; SQLite write
    sessions are serial already). Whoever must stay in step with the trail takes this one lock
    rather than a second, so there is no lock-order deadlock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})


def append(
    session: Session,
    actor: str,
    verb: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one event in the caller's transaction. Use it in a `Database.session(write=True)`
    on SQLite; on PostgreSQL an advisory lock serialises appenders until their commit."""
    lock(session)
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    event_id, prev_hash = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
    at = utcnow()
    body = canonical(details or {})
    digest = event_hash(event_id, at, actor, verb, object_type, str(object_id), body, prev_hash)
    session.add(
        AuditEvent(
            id=event_id,
            at=at,
            actor=actor,
            verb=verb,
            object_type=object_type,
            object_id=str(object_id),
            details=body,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    session.flush()
    return AuditRecord(
        event_id, at, actor, verb, object_type, str(object_id), details or {}, prev_hash, digest
    )


def event_hash(
    event_id: int,
    at: datetime,
    actor: str,
    verb: str,
    object_type: str,
    object_id: str,
    details: str,
    prev_hash: str,
) -> str:
    fields = [event_id, _iso(at), actor, verb, object_type, object_id, details, prev_hash]
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def events(
    session: Session,
    after_id: int = 0,
    limit: int = 100,
    actor: str | None = None,
    verb: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> list[AuditRecord]:
    """Events in order, after `after_id` (for paging), filtered."""
    query = select(AuditEvent).where(AuditEvent.id > after_id)
    for column, value in (
        (AuditEvent.actor, actor),
        (AuditEvent.verb, verb),
        (AuditEvent.object_type, object_type),
        (AuditEvent.object_id, object_id),
    ):
        if value is not None:
            query = query.where(column == value)
    rows = session.scalars(query.order_by(AuditEvent.id).limit(limit))
    return [_record(row) for row in rows]


def verify(session: Session) -> VerifyResult:
    """Walk the whole chain in id order (in chunks: constant memory) and name the first event
    whose id, link or hash is wrong."""
    expected_id, prev_hash, checked = 1, GENESIS, 0
    for row in _all_events(session):
        problem = _problem(row, expected_id, prev_hash)
        if problem:
            return VerifyResult(False, checked, prev_hash, int(row.id), problem)
        expected_id, prev_hash, checked = int(row.id) + 1, row.hash, checked + 1
    return VerifyResult(True, checked, prev_hash)


def _problem(row: AuditEvent, expected_id: int, prev_hash: str) -> str:
    if row.id != expected_id:
        return f"event {row.id} follows event {expected_id - 1}: events were deleted or reordered"
    if row.prev_hash != prev_hash:
        return f"event {row.id} does not link to the event before it"
    at = row.at
    recomputed = event_hash(
        int(row.id),
        at,
        row.actor,
        row.verb,
        row.object_type,
        row.object_id,
        row.details,
        row.prev_hash,
    )
    if recomputed != row.hash:
        return f"event {row.id} was changed after it was written (its hash does not match)"
    return ""


def _all_events(session: Session) -> Iterator[AuditEvent]:
    after = 0
    while True:
        query = select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)
        rows = list(session.scalars(query.limit(_VERIFY_CHUNK)))
        if not rows:
            return
        yield from rows
        after = int(rows[-1].id)
        session.expunge_all()


def _record(row: AuditEvent) -> AuditRecord:
    return AuditRecord(
        int(row.id),
        row.at,
        row.actor,
        row.verb,
        row.object_type,
        row.object_id,
        json.loads(row.details),
        row.prev_hash,
        row.hash,
    )


def canonical(details: dict[str, Any]) -> str:
    return json.dumps(
        details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )


def _iso(at: datetime) -> str:
    """UTC, microseconds: the same text whether the database kept the zone (PostgreSQL) or not
    (SQLite gives the stored UTC time back without one)."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")
