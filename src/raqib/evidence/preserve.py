"""Capture: keep a case (its finding and media) or an investigator's file as evidence.

A case is kept as its finding, serialised as canonical JSON (kind "finding"), and each of its
media files, the original bytes (kind "media"), with the item's platform, id, URL, author and
time. Each record is kept until now + the retention period (EU TCO Regulation, Art. 6: six
months after removal, RAQIB_EVIDENCE_RETENTION_DAYS) and its capture is the first event of its
chain of custody. Preserving again is idempotent: a record already kept for the same case and
bytes (not yet purged) is returned as it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from raqib.config import Settings
from raqib.content.detect import detect_kind
from raqib.errors import InputError
from raqib.evidence.records import OBJECT_TYPE, EvidenceView, custody_lock, view
from raqib.evidence.store import StoredBytes, put_bytes, put_file
from raqib.review import audit
from raqib.review.cases import case_row
from raqib.review.media import media_path, mime_for
from raqib.store.models import iso, utcnow
from raqib.store.models_service import Author, Case, CaseMedia, Decision, EvidenceRecord

log = logging.getLogger("raqib.evidence")

RETAIN_DAYS_MAX = 36_500  # a hundred years: longer is a typo, not a policy
PRIMARY = "primary"
_LIMITS = {"platform": 100, "external_id": 200, "url": 4000, "reason": 2000}
_SOURCE_TEXT = 2000  # characters kept of each source metadata value taken from a finding


@dataclass(frozen=True)
class Capture:
    """Bytes already in the store and what to record about them."""

    stored: StoredBytes
    media_type: str
    kind: str
    reason: str
    retain_until: datetime
    case_id: int | None = None
    platform: str | None = None
    external_id: str | None = None
    url: str | None = None
    source: dict[str, Any] = field(default_factory=dict)


def retain_until(
    settings: Settings, days: int | None = None, now: datetime | None = None
) -> datetime:
    """When evidence captured now may be purged: now + `days` (default: the setting)."""
    period = settings.evidence_retention_days if days is None else days
    if not 1 <= period <= RETAIN_DAYS_MAX:
        raise InputError(f"a retention period is 1 to {RETAIN_DAYS_MAX} days, not {period}")
    return (now or utcnow()) + timedelta(days=period)


# --- cases -------------------------------------------------------------------------------------


def preserve_case(
    session: Session,
    settings: Settings,
    case_id: int,
    actor: str,
    reason: str,
    decision_id: int | None = None,
    retain_days: int | None = None,
) -> list[EvidenceView]:
    """Keep the case's finding and media as evidence (see the module docstring); the finding's
    record first. Media missing from the media store are named in the finding's capture event
    and logged, not fatal: what is there is kept. Use a write session."""
    custody_lock(session)
    case = case_row(session, case_id)
    until = retain_until(settings, retain_days)
    meta = _case_source(session, case, decision_id)
    finding = put_bytes(settings, canonical_json(case.finding or {}))
    media, missing = _store_media(session, settings, case_id)
    base = Capture(
        finding,
        "application/json",
        "finding",
        _clip_reason(reason),
        until,
        case_id=case_id,
        platform=case.platform,
        external_id=case.external_id,
        url=case.url,
        source=meta,
    )
    kept = [keep(session, base, actor, {"missing_media": missing} if missing else {})]
    for row, stored in media:
        source = meta | {"media_id": int(row.id), "filename": row.filename, "content": row.kind}
        capture = Capture(
            stored, row.mime, "media", base.reason, until, case_id, base.platform,
            base.external_id, base.url, source,
        )  # fmt: skip
        kept.append(keep(session, capture, actor))
    return kept


def after_decision(
    session: Session, settings: Settings, case: Case, decision: Decision, preserve: bool = False
) -> dict[str, Any]:
    """Preserve the case when the decision asks for it (`preserve`), or, for a primary
    decision, when its outcome is "preserve", or "remove" while settings.preserve_on_remove.
    Called by raqib.review.decisions.decide in the decision's transaction; what it returns is
    added to the decision's audit details."""
    automatic = decision.review_kind == PRIMARY and (
        decision.outcome == "preserve"
        or (decision.outcome == "remove" and settings.preserve_on_remove)
    )
    if not (preserve or automatic):
        return {}
    reason = (
        f"EU TCO Regulation 2021/784 Art. 6: preserved on decision {decision.id} "
        f"({decision.outcome}, {decision.reason_code}) of case {case.id}"
    )
    kept = preserve_case(
        session, settings, int(case.id), decision.reviewer, reason, int(decision.id)
    )
    return {"evidence_ids": [record.id for record in kept]}


def _case_source(session: Session, case: Case, decision_id: int | None) -> dict[str, Any]:
    """Source metadata of a case's item, from its finding (untrusted JSON: clipped strings)."""
    item = case.finding.get("item") if isinstance(case.finding, Mapping) else None
    item = item if isinstance(item, Mapping) else {}
    author = session.get(Author, case.author_id) if case.author_id is not None else None
    source: dict[str, Any] = {
        "item_id": _text(item.get("id")),
        "source": _text(item.get("source")) or case.source,
        "author": author.external_id if author else _text(item.get("author")),
        "time": _text(item.get("time")),
        "path": _text(item.get("path")),
        "item_sha256": _text(item.get("sha256")),
        "case_origin": case.origin,
        "case_created_at": iso(case.created_at),
    }
    if decision_id is not None:
        source["decision_id"] = decision_id
    return source


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
        return None
    return str(value)[:_SOURCE_TEXT]


def _store_media(
    session: Session, settings: Settings, case_id: int
) -> tuple[list[tuple[CaseMedia, StoredBytes]], list[dict[str, Any]]]:
    """Each media file of the case placed in the evidence store (hash-checked against its
    media record), and the ones that could not be (missing or damaged in the media store)."""
    kept: list[tuple[CaseMedia, StoredBytes]] = []
    missing: list[dict[str, Any]] = []
    rows = session.scalars(
        select(CaseMedia).where(CaseMedia.case_id == case_id).order_by(CaseMedia.id)
    )
    for row in rows:
        try:
            source = media_path(settings, row.sha256)
            kept.append((row, put_file(settings, source, expected=row.sha256, link=True)))
        except InputError as exc:
            log.warning("case %s media %s not preserved: %s", case_id, row.id, exc)
            missing.append({"media_id": int(row.id), "sha256": row.sha256, "problem": str(exc)})
    return kept, missing


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


# --- files -------------------------------------------------------------------------------------


def preserve_file(
    session: Session,
    settings: Settings,
    path: Path,
    actor: str,
    reason: str = "",
    platform: str | None = None,
    external_id: str | None = None,
    url: str | None = None,
    retain_days: int | None = None,
) -> EvidenceView:
    """Keep a file an investigator has (kind "file", copied, never linked), with where it came
    from. The same bytes from the same place are one record. Use a write session."""
    values = {"platform": platform, "external_id": external_id, "url": url}
    for name, value in values.items():
        if value is not None and len(value) > _LIMITS[name]:
            raise InputError(
                f"--{name.replace('_', '-')} is longer than {_LIMITS[name]} characters"
            )
    until = retain_until(settings, retain_days)
    custody_lock(session)
    stored = put_file(settings, path)
    media_type = mime_for(path, detect_kind(path))
    source = {"filename": path.name[:_SOURCE_TEXT]}
    capture = Capture(
        stored, media_type, "file", _clip_reason(reason or "preserved by an investigator"),
        until, None, platform or None, external_id or None, url or None, source,
    )  # fmt: skip
    return keep(session, capture, actor)


def _clip_reason(reason: str) -> str:
    clean = reason.strip()
    if len(clean) > _LIMITS["reason"]:
        raise InputError(f"a reason holds at most {_LIMITS['reason']} characters")
    return clean


# --- the record --------------------------------------------------------------------------------


def keep(
    session: Session, capture: Capture, actor: str, details: dict[str, Any] | None = None
) -> EvidenceView:
    """Record the capture (its bytes already stored) and audit it as evidence.capture, unless a
    live record of the same case (or, without a case, the same place) holds the same bytes."""
    found = session.scalars(_same_capture(capture).limit(1)).first()
    if found is not None:
        return view(found)
    now = utcnow()
    row = EvidenceRecord(
        sha256=capture.stored.sha256,
        size=capture.stored.size,
        media_type=capture.media_type[:100],
        kind=capture.kind,
        case_id=capture.case_id,
        platform=capture.platform,
        external_id=capture.external_id,
        url=capture.url,
        source=capture.source,
        reason=capture.reason,
        captured_at=now,
        captured_by=actor,
        retain_until=capture.retain_until,
        legal_hold=False,
    )
    session.add(row)
    session.flush()
    event = {
        "sha256": row.sha256,
        "size": row.size,
        "kind": row.kind,
        "case_id": row.case_id,
        "retain_until": iso(row.retain_until),
        "reason": row.reason,
    } | (details or {})
    audit.append(session, actor, "evidence.capture", OBJECT_TYPE, int(row.id), event)
    return view(row)


def _same_capture(capture: Capture) -> Select[EvidenceRecord]:
    query = select(EvidenceRecord).where(
        EvidenceRecord.sha256 == capture.stored.sha256, EvidenceRecord.purged_at.is_(None)
    )
    if capture.case_id is not None:
        return query.where(EvidenceRecord.case_id == capture.case_id)
    return query.where(
        EvidenceRecord.case_id.is_(None),
        _equal(EvidenceRecord.platform, capture.platform),
        _equal(EvidenceRecord.external_id, capture.external_id),
        _equal(EvidenceRecord.url, capture.url),
    )


def _equal(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value
