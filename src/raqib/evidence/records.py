"""Evidence records: what is kept, where it came from, until when, and its chain of custody.

The chain of custody of a record is the audit trail's events on ("evidence", id): capture,
access (a download), export, hold, release and purge. Every change to a record and every read
of its bytes appends one, in the transaction that does it. Changes to records and the bytes
under them are serialised with the audit trail's own appenders (see `custody_lock`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import ConflictError, NotFoundError
from raqib.evidence.store import check_digest, evidence_path
from raqib.review import audit
from raqib.store.models import iso
from raqib.store.models_service import EvidenceRecord

OBJECT_TYPE = "evidence"
KINDS = ("finding", "media", "file", "item", "page")
MAX_LIMIT = 1000
_CUSTODY_PAGE = 1000


@dataclass(frozen=True)
class EvidenceView:
    """One evidence record as shown: `purged_at` is set once its bytes were deleted."""

    id: int
    sha256: str
    size: int
    media_type: str
    kind: str
    case_id: int | None
    platform: str | None
    external_id: str | None
    url: str | None
    source: dict[str, Any]
    reason: str
    captured_at: datetime
    captured_by: str
    retain_until: datetime
    legal_hold: bool
    purged_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class EvidenceDetail:
    """A record with its chain of custody (audit events, oldest first, with their hashes)."""

    record: EvidenceView
    custody: tuple[audit.AuditRecord, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.record.as_dict(), "custody": [e.as_dict() for e in self.custody]}


@dataclass(frozen=True)
class EvidenceFilters:
    """What `list_evidence` keeps: each filter that is not None must hold."""

    case_id: int | None = None
    kind: str | None = None
    platform: str | None = None
    external_id: str | None = None
    sha256: str | None = None
    held: bool | None = None
    purged: bool | None = None
    since: datetime | None = None  # captured at or after
    until: datetime | None = None  # captured before


def _json(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def view(row: EvidenceRecord) -> EvidenceView:
    return EvidenceView(
        id=int(row.id),
        sha256=row.sha256,
        size=int(row.size),
        media_type=row.media_type,
        kind=row.kind,
        case_id=row.case_id,
        platform=row.platform,
        external_id=row.external_id,
        url=row.url,
        source=dict(row.source or {}),
        reason=row.reason,
        captured_at=row.captured_at,
        captured_by=row.captured_by,
        retain_until=row.retain_until,
        legal_hold=bool(row.legal_hold),
        purged_at=row.purged_at,
    )


def custody_lock(session: Session) -> None:
    """Serialise evidence changes (capture, hold, purge) with each other and with the audit
    trail. On PostgreSQL this takes the audit trail's own advisory lock (held until commit);
    sharing that one lock, instead of adding a second, means no lock-order deadlock with a
    transaction that appended an audit event first. SQLite write sessions are serial already."""
    audit.lock(session)


def record_row(session: Session, evidence_id: int) -> EvidenceRecord:
    row = session.get(EvidenceRecord, evidence_id, populate_existing=True)
    if row is None:
        raise NotFoundError(f"no evidence {evidence_id}; `raqib evidence list` shows what is kept")
    return row


# --- reading -----------------------------------------------------------------------------------


def list_evidence(
    session: Session, filters: EvidenceFilters, limit: int = 100, after_id: int = 0
) -> list[EvidenceView]:
    """Records in id order after `after_id`, filtered, at most `limit` (1 to MAX_LIMIT)."""
    query = _filtered(select(EvidenceRecord), filters).where(EvidenceRecord.id > after_id)
    capped = max(1, min(limit, MAX_LIMIT))
    rows = session.scalars(query.order_by(EvidenceRecord.id).limit(capped))
    return [view(row) for row in rows]


def _filtered(query: Select[EvidenceRecord], filters: EvidenceFilters) -> Select[EvidenceRecord]:
    equal = (
        (EvidenceRecord.case_id, filters.case_id),
        (EvidenceRecord.kind, filters.kind),
        (EvidenceRecord.platform, filters.platform),
        (EvidenceRecord.external_id, filters.external_id),
        (EvidenceRecord.sha256, filters.sha256),
        (EvidenceRecord.legal_hold, filters.held),
    )
    for column, value in equal:
        if value is not None:
            query = query.where(column == value)
    if filters.purged is not None:
        purged = EvidenceRecord.purged_at.is_not(None)
        query = query.where(purged if filters.purged else EvidenceRecord.purged_at.is_(None))
    if filters.since is not None:
        query = query.where(EvidenceRecord.captured_at >= filters.since)
    if filters.until is not None:
        query = query.where(EvidenceRecord.captured_at < filters.until)
    return query


def custody(session: Session, evidence_id: int) -> list[audit.AuditRecord]:
    """Every audit event on the record, oldest first."""
    return list(_custody_pages(session, evidence_id))


def _custody_pages(session: Session, evidence_id: int) -> Iterator[audit.AuditRecord]:
    after = 0
    while page := audit.events(
        session, after, _CUSTODY_PAGE, object_type=OBJECT_TYPE, object_id=str(evidence_id)
    ):
        yield from page
        after = page[-1].id


def get_evidence(session: Session, evidence_id: int) -> EvidenceDetail:
    """The record and its chain of custody."""
    row = record_row(session, evidence_id)
    return EvidenceDetail(view(row), tuple(custody(session, evidence_id)))


def open_content(
    session: Session, settings: Settings, evidence_id: int, actor: str, purpose: str = ""
) -> tuple[EvidenceView, IO[bytes]]:
    """The record and an open handle on its bytes (read it after the commit: the handle stays
    good even if a purge deletes the file meanwhile). Audited as evidence.access; use a write
    session."""
    custody_lock(session)
    row = record_row(session, evidence_id)
    if row.purged_at is not None:
        raise ConflictError(
            f"evidence {evidence_id} was purged on {iso(row.purged_at)} when its retention "
            "ended; only its record and custody remain"
        )
    details = {"sha256": row.sha256, "size": int(row.size), "purpose": purpose}
    audit.append(session, actor, "evidence.access", OBJECT_TYPE, evidence_id, details)
    path = evidence_path(settings, check_digest(row.sha256))
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:  # the event above is rolled back with this error
        raise NotFoundError(
            f"the bytes of evidence {evidence_id} are missing from {path.parent.parent}; "
            "restore the evidence store from backup"
        ) from exc
    return view(row), handle


# --- legal hold --------------------------------------------------------------------------------


def set_hold(
    session: Session, evidence_id: int, actor: str, hold: bool, note: str = ""
) -> EvidenceView:
    """Put the record on legal hold (never purged while held) or release it; audited as
    evidence.hold / evidence.release. Setting the state it already has changes nothing."""
    custody_lock(session)
    row = record_row(session, evidence_id)
    if row.purged_at is not None:
        raise ConflictError(
            f"evidence {evidence_id} was purged on {iso(row.purged_at)}; no bytes are left to hold"
        )
    if bool(row.legal_hold) == hold:
        return view(row)
    row.legal_hold = hold
    session.flush()
    verb = "evidence.hold" if hold else "evidence.release"
    details = {"note": note, "retain_until": iso(row.retain_until)}
    audit.append(session, actor, verb, OBJECT_TYPE, evidence_id, details)
    return view(row)
