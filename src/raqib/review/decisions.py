"""Decisions on cases, appeals against them, and the export of every decision.

A decision needs the deciding reviewer's live claim. In one transaction it closes the case
(an "escalate" outcome leaves it open and flagged for someone else), records the decision,
gives or revokes strikes, writes the webhook action to the outbox (when a webhook is set), keeps
the decision's feedback on the matched entries (raqib.exchange.feedback: an opinion and a
sighting, queued for the partner a pulled bank came from) and appends the audit event. An
appeal reopens a decided case for a different reviewer; a decision on appeal that overturns
(keep, not_terrorist_content) revokes the case's strikes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, Select, select, update
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import ConflictError, InputError
from raqib.evidence import preserve as evidence
from raqib.exchange import feedback
from raqib.review import audit, orders, outbox, quality
from raqib.review.authors import add_strike, case_has_live_strike, revoke_case_strikes
from raqib.review.cases import CaseView, DecisionView, case_row, case_view, decision_view
from raqib.review.reasons import CONFIRMING, OVERTURNING, REASON_CODES, ReasonCode, check_reason
from raqib.store.db import Database
from raqib.store.models import as_utc, iso, utcnow
from raqib.store.models_service import Appeal, Author, Case, Decision

NOTE_MAX = 10_000
EXPORT_FORMATS = ("csv", "jsonl")
EXPORT_CHUNK = 1000
EXPORT_COLUMNS = (
    "id", "case_id", "reviewer", "outcome", "reason_code", "tco_category", "note", "on_appeal",
    "decided_at", "platform", "external_id", "url", "author_id", "review_kind",
)  # fmt: skip


def decide(
    session: Session,
    case_id: int,
    actor: str,
    outcome: str,
    reason_code: str,
    note: str,
    settings: Settings,
    preserve: bool = False,
) -> DecisionView:
    """Decide a case the actor holds a live claim on (see the module docstring). Use a write
    session: the whole decision is one transaction. A second review or a golden answer (see
    raqib.review.quality) is recorded and scored but sends nothing and gives no strike.
    `preserve` keeps the case as evidence whatever the outcome (raqib.evidence.preserve); a
    primary "preserve" always does, a primary "remove" when settings.preserve_on_remove."""
    reason = check_reason(outcome, reason_code)
    if len(note) > NOTE_MAX:
        raise InputError(f"a note holds at most {NOTE_MAX} characters")
    case_row(session, case_id)
    kind = quality.review_kind(session.get_one(Case, case_id, populate_existing=True))
    now = utcnow()
    if not _close(session, case_id, actor, outcome, kind, now):
        raise _decide_conflict(session, case_id, actor)
    case = session.get_one(Case, case_id, populate_existing=True)
    decision = Decision(
        case_id=case_id,
        reviewer=actor,
        outcome=outcome,
        reason_code=reason_code,
        note=note,
        on_appeal=bool(case.appealed) and kind == quality.PRIMARY,
        created_at=now,
        review_kind=kind,
    )
    session.add(decision)
    session.flush()
    details = {"decision_id": decision.id, "outcome": outcome, "reason_code": reason_code}
    if kind == quality.PRIMARY:
        details |= _strikes(session, case, decision, settings)
        details |= _notify(session, case, decision, reason, settings)
        details |= feedback.after_decision(session, case, decision)
    details |= quality.after_decision(session, case, decision)
    details |= evidence.after_decision(session, settings, case, decision, preserve)
    audit.append(session, actor, "case.decide", "case", case_id, details)
    if kind == quality.PRIMARY and outcome != "escalate" and case.removal_order_id is not None:
        orders.record_action(session, case, decision)
    return decision_view(decision)


def _close(
    session: Session, case_id: int, actor: str, outcome: str, kind: str, now: datetime
) -> bool:
    """The conditional UPDATE that ends the actor's live claim: whether it did. A primary
    "escalate" leaves the case open; a second review leaves it decided, its review done."""
    state = "decided" if kind == quality.SECOND else "open"
    values: dict[str, Any]
    if kind == quality.SECOND:
        values = {"second_review": "done"}
    elif outcome == "escalate" and kind == quality.PRIMARY:
        values = {"escalated": True, "assigned_to": None}
    else:
        values = {"state": "decided", "decided_at": now}
    statement = (
        update(Case)
        .where(
            Case.id == case_id,
            Case.state == state,
            Case.claimed_by == actor,
            Case.claim_expires_at > now,
        )
        .values(claimed_by=None, claim_expires_at=None, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if kind == quality.SECOND:
        statement = statement.where(Case.second_review == "wanted")
    return cast(CursorResult[Any], session.execute(statement)).rowcount == 1


def _decide_conflict(session: Session, case_id: int, actor: str) -> ConflictError:
    case = session.get_one(Case, case_id, populate_existing=True)
    if case.state == "decided" and case.second_review != "wanted":
        return ConflictError(f"case {case_id} is already decided; an appeal reopens it")
    expires = case.claim_expires_at
    live = expires is not None and as_utc(expires) > utcnow()
    if live and case.claimed_by != actor:
        return ConflictError(f"case {case_id} is claimed by {case.claimed_by}")
    if case.claimed_by == actor:
        return ConflictError(f"your claim on case {case_id} expired; claim it again to decide")
    return ConflictError(f"claim case {case_id} before deciding it")


def _strikes(
    session: Session, case: Case, decision: Decision, settings: Settings
) -> dict[str, Any]:
    """A strike for a confirmed decision (one live strike per case); an overturn on appeal
    revokes the case's strikes."""
    if case.author_id is None:
        return {}
    if decision.outcome in CONFIRMING and not case_has_live_strike(session, int(case.id)):
        strike = add_strike(
            session, case.author_id, int(decision.id), case.tier, settings.strike_days
        )
        return {"strike_id": strike.id, "strike_weight": strike.weight}
    if decision.outcome in OVERTURNING and decision.on_appeal:
        return {"revoked_strikes": revoke_case_strikes(session, int(case.id))}
    return {}


def _notify(
    session: Session, case: Case, decision: Decision, reason: ReasonCode, settings: Settings
) -> dict[str, Any]:
    """The webhook action, in this transaction, when a webhook is configured."""
    if not settings.webhook_url:
        return {}
    payload = webhook_payload(session, case, decision, reason)
    key = f"decision-{decision.id}"
    action_id = outbox.enqueue(session, int(decision.id), settings.webhook_url, payload, key)
    return {"outbox_id": action_id}


def webhook_payload(
    session: Session, case: Case, decision: Decision, reason: ReasonCode
) -> dict[str, Any]:
    """What the platform is told about a decision."""
    author = session.get(Author, case.author_id) if case.author_id is not None else None
    return {
        "event": "decision",
        "decision_id": int(decision.id),
        "case_id": int(case.id),
        "outcome": decision.outcome,
        "reason_code": decision.reason_code,
        "tco_category": reason.tco_category,
        "note": decision.note,
        "on_appeal": bool(decision.on_appeal),
        "platform": case.platform,
        "external_id": case.external_id,
        "url": case.url,
        "author_id": author.external_id if author else None,
        "decided_at": iso(decision.created_at),
        "reviewer": decision.reviewer,
    }


# --- appeals -----------------------------------------------------------------------------------


def appeal(session: Session, case_id: int, actor: str, reason: str) -> CaseView:
    """Reopen a decided case for a different reviewer (one appeal per decision); audited. The
    appeal is against the latest primary decision (second reviews and golden answers did not
    act, so there is nothing to appeal on a golden case)."""
    clean = reason.strip()
    if not clean or len(clean) > NOTE_MAX:
        raise InputError(f"an appeal needs a reason of 1 to {NOTE_MAX} characters")
    case_row(session, case_id)
    last = session.scalar(
        select(Decision)
        .where(Decision.case_id == case_id, Decision.review_kind == quality.PRIMARY)
        .order_by(Decision.id.desc())
        .limit(1)
    )
    if last is None or not _reopen(session, case_id):
        raise ConflictError(f"case {case_id} is not decided; only a decision can be appealed")
    row = Appeal(
        case_id=case_id,
        decision_id=last.id,
        reason=clean,
        submitted_by=actor,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    details = {"appeal_id": row.id, "decision_id": last.id, "reason": clean}
    audit.append(session, actor, "case.appeal", "case", case_id, details)
    return case_view(session, case_id)


def _reopen(session: Session, case_id: int) -> bool:
    statement = (
        update(Case)
        .where(Case.id == case_id, Case.state == "decided")
        .values(
            state="open",
            appealed=True,
            escalated=False,
            claimed_by=None,
            claim_expires_at=None,
            assigned_to=None,
            decided_at=None,
            second_review="none",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], session.execute(statement)).rowcount == 1


# --- export ------------------------------------------------------------------------------------


def export_decisions(session: Session, fmt: str, chunk: int = EXPORT_CHUNK) -> Iterator[str]:
    """Every decision in id order as CSV (a header row first) or JSONL lines, each ending in
    a newline, read `chunk` rows at a time (constant memory, no cap). The arguments are checked
    at once; the rows are read while the caller iterates, so keep the session open until then.
    """
    _check_export(fmt, chunk)

    def fetch(after: int) -> Sequence[Row[Any]]:
        return session.execute(_export_query(after, chunk)).all()

    return _lines(fmt, _records(fetch))


def stream_decisions(database: Database, fmt: str, chunk: int = EXPORT_CHUNK) -> Iterator[str]:
    """As `export_decisions`, but each chunk is read in its own short transaction: for a
    response that streams for longer than one transaction should stay open."""
    _check_export(fmt, chunk)

    def fetch(after: int) -> Sequence[Row[Any]]:
        with database.session() as session:
            return session.execute(_export_query(after, chunk)).all()

    return _lines(fmt, _records(fetch))


def _check_export(fmt: str, chunk: int) -> None:
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use one of: {', '.join(EXPORT_FORMATS)}")
    if chunk < 1:
        raise InputError("chunk must be at least 1")


def _lines(fmt: str, records: Iterator[dict[str, Any]]) -> Iterator[str]:
    return _csv_lines(records) if fmt == "csv" else _jsonl_lines(records)


def _records(fetch: Callable[[int], Sequence[Row[Any]]]) -> Iterator[dict[str, Any]]:
    """Records chunk by chunk: `fetch(after)` gives the rows after an id, in id order."""
    after = 0
    while rows := fetch(after):
        yield from (_record(row) for row in rows)
        after = int(rows[-1].id)


def _export_query(after: int, chunk: int) -> Select[*tuple[Any, ...]]:
    """Plain columns, not entities: the session keeps nothing of what was exported."""
    return (
        select(
            Decision.id,
            Decision.case_id,
            Decision.reviewer,
            Decision.outcome,
            Decision.reason_code,
            Decision.note,
            Decision.on_appeal,
            Decision.created_at,
            Decision.review_kind,
            Case.platform,
            Case.external_id,
            Case.url,
            Author.external_id.label("author_id"),
        )
        .join(Case, Case.id == Decision.case_id)
        .outerjoin(Author, Author.id == Case.author_id)
        .where(Decision.id > after)
        .order_by(Decision.id)
        .limit(chunk)
    )


def _record(row: Row[Any]) -> dict[str, Any]:
    reason = REASON_CODES.get(row.reason_code)
    return {
        "id": int(row.id),
        "case_id": int(row.case_id),
        "reviewer": row.reviewer,
        "outcome": row.outcome,
        "reason_code": row.reason_code,
        "tco_category": reason.tco_category if reason else None,
        "note": row.note,
        "on_appeal": bool(row.on_appeal),
        "decided_at": iso(row.created_at),
        "platform": row.platform,
        "external_id": row.external_id,
        "url": row.url,
        "author_id": row.author_id,
        "review_kind": row.review_kind,
    }


def _csv_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield _csv_line(list(EXPORT_COLUMNS))
    for record in records:
        yield _csv_line(["" if record[c] is None else record[c] for c in EXPORT_COLUMNS])


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _jsonl_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"
