"""Claims: a reviewer takes a case for a while so that no one else works on it meanwhile.

A claim is one conditional UPDATE that succeeds only while the case is open, unclaimed (or its
claim expired, or the claimer already holds it), not assigned to someone else, and not an
appealed case whose last decision was the claimer's (an appeal goes to a different reviewer).
A decided case waiting for its second review (raqib.review.quality) can be claimed too, by
anyone who made no primary decision on it. Of two reviewers racing for one case exactly one
UPDATE changes a row; the other gets a ConflictError naming the holder.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from raqib.errors import ConflictError, InputError
from raqib.review import audit
from raqib.review.cases import CaseView, case_row, case_view
from raqib.review.queues import queue_row
from raqib.store.models import as_utc, iso, utcnow
from raqib.store.models_service import Case, Decision

MAX_CLAIM_SECONDS = 86_400
_BATCH = 20
# the order a queue is worked in: removal orders' cases by deadline, then priority, then age
QUEUE_ORDER = (
    Case.deadline_at.is_(None),
    Case.deadline_at,
    Case.priority.desc(),
    Case.created_at,
    Case.id,
)


def last_reviewer(case_id: Any) -> Any:
    """SQL: the reviewer of the case's latest primary decision (NULL before any; second
    reviews and golden answers do not count: they did not act)."""
    return (
        select(Decision.reviewer)
        .where(Decision.case_id == case_id, Decision.review_kind == "primary")
        .order_by(Decision.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _decided_by(actor: str) -> ColumnElement[bool]:
    """SQL: the actor made a primary decision on the case."""
    return exists().where(
        Decision.case_id == Case.id, Decision.review_kind == "primary", Decision.reviewer == actor
    )


def _workable(actor: str) -> ColumnElement[bool]:
    """SQL: the case takes a decision from `actor`: it is open, or decided and waiting for a
    second review that someone other than its primary deciders must give."""
    return or_(
        Case.state == "open",
        and_(Case.state == "decided", Case.second_review == "wanted", not_(_decided_by(actor))),
    )


def _free_for(actor: str, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions under which `actor` may take a case now."""
    return [
        _workable(actor),
        or_(
            Case.claimed_by.is_(None),
            Case.claim_expires_at.is_(None),
            Case.claim_expires_at <= now,
            Case.claimed_by == actor,
        ),
        or_(Case.assigned_to.is_(None), Case.assigned_to == actor),
        not_(and_(Case.appealed.is_(True), func.coalesce(last_reviewer(Case.id), "") == actor)),
    ]


def _take(session: Session, case_id: int, actor: str, seconds: int) -> bool:
    """The conditional UPDATE: whether this actor now holds the case."""
    now = utcnow()
    statement = (
        update(Case)
        .where(Case.id == case_id, *_free_for(actor, now))
        .values(claimed_by=actor, claim_expires_at=now + timedelta(seconds=seconds), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], session.execute(statement)).rowcount == 1


def claim(session: Session, case_id: int, actor: str, seconds: int) -> CaseView:
    """Claim the case for `seconds` (claiming one's own claim again extends it); audited."""
    _check_seconds(seconds)
    case_row(session, case_id)
    if not _take(session, case_id, actor, seconds):
        raise _conflict(session, case_id, actor)
    return _claimed(session, case_id, actor)


def _claimed(session: Session, case_id: int, actor: str) -> CaseView:
    view = case_view(session, case_id)
    details = {"expires_at": iso(view.claim_expires_at)}
    audit.append(session, actor, "case.claim", "case", case_id, details)
    return view


def next_case(
    session: Session, queue: str, actor: str, seconds: int, exclude: Collection[int] = ()
) -> CaseView | None:
    """The actor's live claim in the queue if they hold one; else claim the top case they may
    take (priority, then age), trying the next when a racer wins; None when none is left.
    `exclude`: case ids to pass over (those the reviewer just skipped)."""
    _check_seconds(seconds)
    queue_id = int(queue_row(session, queue).id)
    held = _held(session, queue_id, actor, exclude)
    if held is not None:
        return case_view(session, held)
    tried: set[int] = set(exclude)
    while batch := _candidates(session, queue_id, actor, tried):
        for case_id in batch:
            if _take(session, case_id, actor, seconds):
                return _claimed(session, case_id, actor)
            tried.add(case_id)
    return None


def _held(session: Session, queue_id: int, actor: str, exclude: Collection[int]) -> int | None:
    query = select(Case.id).where(
        Case.queue_id == queue_id,
        _workable(actor),
        Case.claimed_by == actor,
        Case.claim_expires_at > utcnow(),
        Case.id.not_in(list(exclude)),
    )
    found = session.scalar(query.order_by(Case.id).limit(1))
    return None if found is None else int(found)


def _candidates(session: Session, queue_id: int, actor: str, tried: set[int]) -> list[int]:
    query = (
        select(Case.id)
        .where(Case.queue_id == queue_id, *_free_for(actor, utcnow()), Case.id.not_in(tried))
        .order_by(*QUEUE_ORDER)
        .limit(_BATCH)
    )
    return [int(i) for i in session.scalars(query)]


def release(session: Session, case_id: int, actor: str) -> CaseView:
    """Give the claim up (skip the case); audited."""
    statement = (
        update(Case)
        .where(
            Case.id == case_id,
            or_(Case.state == "open", Case.second_review == "wanted"),
            Case.claimed_by == actor,
        )
        .values(claimed_by=None, claim_expires_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        case_row(session, case_id)
        raise ConflictError(f"you hold no claim on case {case_id}")
    audit.append(session, actor, "case.release", "case", case_id, {})
    return case_view(session, case_id)


def reassign(session: Session, case_id: int, to_actor: str | None, by_actor: str) -> CaseView:
    """Assign an open case to one person (None: to anyone), dropping any claim; audited."""
    assignee = _check_assignee(session, case_id, to_actor)
    statement = (
        update(Case)
        .where(Case.id == case_id, Case.state == "open")
        .values(assigned_to=assignee, claimed_by=None, claim_expires_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        raise ConflictError(f"case {case_id} is decided; an appeal reopens it")
    audit.append(session, by_actor, "case.reassign", "case", case_id, {"to": assignee})
    return case_view(session, case_id)


def escalate(
    session: Session, case_id: int, to_actor: str | None, by_actor: str, note: str = ""
) -> CaseView:
    """Flag the case as escalated and assign it to `to_actor` (None: any reviewer), dropping
    the escalator's claim; refused while someone else holds a live claim. Audited."""
    assignee = _check_assignee(session, case_id, to_actor)
    now = utcnow()
    statement = (
        update(Case)
        .where(
            Case.id == case_id,
            Case.state == "open",
            or_(
                Case.claimed_by.is_(None),
                Case.claim_expires_at <= now,
                Case.claimed_by == by_actor,
            ),
        )
        .values(
            escalated=True,
            assigned_to=assignee,
            claimed_by=None,
            claim_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        raise _conflict(session, case_id, by_actor)
    details = {"to": assignee, "note": note}
    audit.append(session, by_actor, "case.escalate", "case", case_id, details)
    return case_view(session, case_id)


def _check_assignee(session: Session, case_id: int, to_actor: str | None) -> str | None:
    case = case_row(session, case_id)
    if to_actor is None:
        return None
    clean = to_actor.strip()
    if ":" not in clean or len(clean) > 120:
        raise InputError(f"name the assignee as kind:name (e.g. user:alice), not {to_actor!r}")
    if case.appealed and _last_reviewer(session, case_id) == clean:
        raise ConflictError(f"{clean} decided case {case_id}; its appeal needs another reviewer")
    return clean


def _last_reviewer(session: Session, case_id: int) -> str | None:
    return session.scalar(
        select(Decision.reviewer)
        .where(Decision.case_id == case_id, Decision.review_kind == "primary")
        .order_by(Decision.id.desc())
        .limit(1)
    )


def _made_primary(session: Session, case_id: int, actor: str) -> bool:
    found = select(Decision.id).where(
        Decision.case_id == case_id, Decision.review_kind == "primary", Decision.reviewer == actor
    )
    return session.scalar(found.limit(1)) is not None


def _conflict(session: Session, case_id: int, actor: str) -> ConflictError:
    """Why the actor may not take the case (read again: a racer may just have committed)."""
    case = session.execute(
        select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    ).scalar_one()
    second = case.state == "decided" and case.second_review == "wanted"
    if second and _made_primary(session, case_id, actor):
        return ConflictError(f"you decided case {case_id}; a second review needs another reviewer")
    if case.state != "open" and not second:
        return ConflictError(f"case {case_id} is {case.state}; an appeal reopens it")
    if case.appealed and _last_reviewer(session, case_id) == actor:
        return ConflictError(f"you decided case {case_id}; its appeal needs another reviewer")
    if case.assigned_to is not None and case.assigned_to != actor:
        return ConflictError(f"case {case_id} is assigned to {case.assigned_to}")
    expires = case.claim_expires_at
    if case.claimed_by and case.claimed_by != actor and expires and as_utc(expires) > utcnow():
        return ConflictError(f"case {case_id} is claimed by {case.claimed_by} until {iso(expires)}")
    return ConflictError(f"case {case_id} changed meanwhile; try again")


def _check_seconds(seconds: int) -> None:
    if not 1 <= seconds <= MAX_CLAIM_SECONDS:
        raise InputError(f"a claim lasts from 1 to {MAX_CLAIM_SECONDS} seconds")
