"""Quality checks: second reviews, the golden set and the agreement rates leads watch.

- Second review: after a primary decision that acts (any outcome but escalate), a share of
  cases (the organisation's "second_review_share", default 0.1) is marked second_review=
  "wanted". The case stays decided (the primary decision acted: its webhook and strike stand)
  but shows up again in its queue for a reviewer who made no primary decision on it; their
  decision has review_kind "second", sends nothing, gives no strike, sets second_review "done"
  and is audited "case.second_review" with whether it agrees (the same outcome) with the
  primary decision. Which decisions are picked is a pure function of the decision's id.
- Golden set: a lead copies a decided case, with its known outcome, into a new open case
  (origin "golden") in the same queue. A decision on it has review_kind "golden", closes it,
  sends nothing, gives no strike and is audited "case.golden_answer" with whether it was right.
  The copy carries neither the author nor the cluster, whose history would give the answer away.
- Agreement: per reviewer and per reason code, how often second reviews agreed with the primary
  decision and how often golden answers were right.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session, aliased

from raqib.errors import ConflictError, InputError
from raqib.review import audit
from raqib.review.cases import CaseView, add_open_case, case_row, case_view
from raqib.review.reasons import OUTCOMES
from raqib.store.models import as_utc, iso, utcnow
from raqib.store.models_service import Case, Decision, DisplaySettings, Queue

PRIMARY, SECOND, GOLDEN = "primary", "second", "golden"
ORG_SCOPE = "org"
SHARE_KEY = "second_review_share"
DEFAULT_SHARE = 0.1
LIST_LIMIT = 1000
_Rows = Select[*tuple[Any, ...]]  # a query of plain columns

# --- the second-review share -------------------------------------------------------------------


def second_review_share(session: Session) -> float:
    """The organisation's share of primary decisions that get a second review, in [0, 1]
    (DisplaySettings "org" row, key "second_review_share"; DEFAULT_SHARE when unset or bad)."""
    row = session.get(DisplaySettings, ORG_SCOPE)
    stored = row.settings if row is not None and isinstance(row.settings, dict) else {}
    value = stored.get(SHARE_KEY)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return DEFAULT_SHARE


def set_second_review_share(session: Session, share: float, actor: str) -> float:
    """Set the share (0 to 1), keeping the org row's other settings; audited."""
    if not 0 <= share <= 1:
        raise InputError("the second-review share is a number from 0 to 1 (e.g. 0.1 for 10%)")
    row = session.get(DisplaySettings, ORG_SCOPE)
    if row is None:
        row = DisplaySettings(scope=ORG_SCOPE, settings={}, updated_at=utcnow())
        session.add(row)
    current = dict(row.settings) if isinstance(row.settings, dict) else {}
    row.settings = {**current, SHARE_KEY: float(share)}  # a new dict: the JSON column sees it
    row.updated_at = utcnow()
    session.flush()
    audit.append(session, actor, "quality.share", "settings", ORG_SCOPE, {SHARE_KEY: share})
    return float(share)


def picked_for_second_review(decision_id: int, share: float) -> bool:
    """Whether a primary decision is picked: a hash of its id, as a fraction in [0, 1), below
    the share (so share 0 picks none and 1 picks all)."""
    digest = hashlib.sha256(f"raqib-second-review:{decision_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


# --- what a decision is, and what follows it ----------------------------------------------------


def review_kind(case: Case) -> str:
    """The kind of decision the case takes now: golden, second (a decided case waiting for its
    second review) or primary."""
    if case.origin == GOLDEN and case.golden_outcome is not None:
        return GOLDEN
    if case.state == "decided" and case.second_review == "wanted":
        return SECOND
    return PRIMARY


def after_decision(session: Session, case: Case, decision: Decision) -> dict[str, Any]:
    """What follows a decision, in its transaction: a primary one may ask for a second review;
    a second review or a golden answer is scored and audited. Returns details for the
    decision's own audit event."""
    if decision.review_kind == SECOND:
        return _score_second(session, case, decision)
    if decision.review_kind == GOLDEN:
        return _score_golden(session, case, decision)
    if decision.outcome == "escalate":
        return {}
    if not picked_for_second_review(int(decision.id), second_review_share(session)):
        return {}
    case.second_review = "wanted"
    session.flush()
    return {"second_review": "wanted"}


def _primary_before(session: Session, case_id: int, decision_id: int) -> Decision | None:
    return session.scalar(
        select(Decision)
        .where(
            Decision.case_id == case_id,
            Decision.review_kind == PRIMARY,
            Decision.id < decision_id,
        )
        .order_by(Decision.id.desc())
        .limit(1)
    )


def _score_second(session: Session, case: Case, decision: Decision) -> dict[str, Any]:
    primary = _primary_before(session, int(case.id), int(decision.id))
    agree = primary is not None and primary.outcome == decision.outcome
    details = {
        "decision_id": int(decision.id),
        "primary_decision_id": None if primary is None else int(primary.id),
        "primary_outcome": None if primary is None else primary.outcome,
        "outcome": decision.outcome,
        "agree": agree,
    }
    audit.append(session, decision.reviewer, "case.second_review", "case", case.id, details)
    return {"review_kind": SECOND, "agree": agree}


def _score_golden(session: Session, case: Case, decision: Decision) -> dict[str, Any]:
    correct = decision.outcome == case.golden_outcome
    details = {"decision_id": int(decision.id), "outcome": decision.outcome, "correct": correct}
    audit.append(session, decision.reviewer, "case.golden_answer", "case", case.id, details)
    return {"review_kind": GOLDEN}


# --- the golden set ----------------------------------------------------------------------------

_COPIED = (
    "queue_id", "priority", "tier", "category", "language", "entity", "bank", "source",
    "platform", "external_id", "url", "reason", "reporter",
)  # fmt: skip


def make_golden(session: Session, case_id: int, outcome: str, actor: str) -> CaseView:
    """Copy a decided case, with its known outcome, into a new open golden case in the same
    queue; audited "case.golden". Use a write session."""
    if outcome not in OUTCOMES:
        raise InputError(f"unknown outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
    source = case_row(session, case_id)
    if source.origin == GOLDEN:
        raise ConflictError(f"case {case_id} is itself a golden case; copy the case it came from")
    if source.state != "decided":
        raise ConflictError(f"case {case_id} is not decided; only a decided case becomes golden")
    now = utcnow()
    copy = add_open_case(
        session,
        now,
        **{column: getattr(source, column) for column in _COPIED},
        origin=GOLDEN,
        golden_outcome=outcome,
        finding=dict(source.finding),
        second_review="none",
    )
    details = {"source_case_id": case_id, "golden_outcome": outcome}
    audit.append(session, actor, "case.golden", "case", copy.id, details)
    return case_view(session, int(copy.id))


@dataclass(frozen=True)
class GoldenCase:
    """A golden case for the leads' list: its known outcome and, once answered, the answer."""

    case_id: int
    queue: str
    golden_outcome: str
    state: str
    created_at: datetime
    answered_by: str | None = None
    answer: str | None = None
    answered_at: datetime | None = None

    @property
    def correct(self) -> bool | None:
        return None if self.answer is None else self.answer == self.golden_outcome

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "queue": self.queue,
            "golden_outcome": self.golden_outcome,
            "state": self.state,
            "created_at": iso(self.created_at),
            "answered_by": self.answered_by,
            "answer": self.answer,
            "answered_at": iso(self.answered_at),
            "correct": self.correct,
        }


def list_golden(session: Session, limit: int = 100) -> list[GoldenCase]:
    """Golden cases, newest first, with their answers."""
    _check_limit(limit)
    answer = aliased(Decision)
    query = (
        select(Case, Queue.name, answer)
        .join(Queue, Queue.id == Case.queue_id)
        .outerjoin(answer, (answer.case_id == Case.id) & (answer.review_kind == GOLDEN))
        .where(Case.origin == GOLDEN)
        .order_by(Case.id.desc(), answer.id)
        .limit(limit)
    )
    found: dict[int, GoldenCase] = {}
    for case, queue, decision in session.execute(query):
        if int(case.id) in found:
            continue  # one golden answer per case: the first
        found[int(case.id)] = GoldenCase(
            case_id=int(case.id),
            queue=queue,
            golden_outcome=str(case.golden_outcome),
            state=case.state,
            created_at=as_utc(case.created_at),
            answered_by=decision.reviewer if decision else None,
            answer=decision.outcome if decision else None,
            answered_at=as_utc(decision.created_at) if decision else None,
        )
    return list(found.values())


@dataclass(frozen=True)
class GoldenCandidate:
    """A recently decided case a lead could copy into the golden set."""

    case_id: int
    queue: str
    outcome: str
    reason_code: str
    reviewer: str
    decided_at: datetime


def golden_candidates(session: Session, limit: int = 20) -> list[GoldenCandidate]:
    """Decided cases (not golden ones), most recently decided first, with the outcome of their
    latest primary decision (the likely known answer)."""
    _check_limit(limit)
    latest = (
        select(func.max(Decision.id))
        .where(Decision.case_id == Case.id, Decision.review_kind == PRIMARY)
        .correlate(Case)
        .scalar_subquery()
    )
    query = (
        select(Case.id, Queue.name, Decision)
        .join(Queue, Queue.id == Case.queue_id)
        .join(Decision, Decision.id == latest)
        .where(Case.state == "decided", Case.origin != GOLDEN)
        .order_by(Decision.id.desc())
        .limit(limit)
    )
    return [
        GoldenCandidate(
            int(case_id),
            queue,
            decision.outcome,
            decision.reason_code,
            decision.reviewer,
            as_utc(decision.created_at),
        )
        for case_id, queue, decision in session.execute(query)
    ]


# --- agreement ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """`agreed` of `total` (for golden answers: correct of answered)."""

    total: int = 0
    agreed: int = 0

    @property
    def rate(self) -> float | None:
        return None if self.total == 0 else round(self.agreed / self.total, 4)

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "agreed": self.agreed, "rate": self.rate}


@dataclass(frozen=True)
class ReviewerAgreement:
    """One reviewer: `checked` — their primary decisions a second reviewer looked at (agreed:
    the second reviewer agreed); `second` — second reviews they gave (agreed: with the primary);
    `golden` — golden answers they gave (agreed: correct)."""

    reviewer: str
    checked: Rate = Rate()
    second: Rate = Rate()
    golden: Rate = Rate()

    def as_dict(self) -> dict[str, Any]:
        return {
            "reviewer": self.reviewer,
            "checked": self.checked.as_dict(),
            "second": self.second.as_dict(),
            "golden": self.golden.as_dict(),
        }


@dataclass(frozen=True)
class ReasonAgreement:
    """One reason code: `checked` — primary decisions giving it that were second-reviewed;
    `golden` — golden answers giving it (agreed: correct)."""

    reason_code: str
    checked: Rate = Rate()
    golden: Rate = Rate()

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason_code": self.reason_code,
            "checked": self.checked.as_dict(),
            "golden": self.golden.as_dict(),
        }


@dataclass(frozen=True)
class AgreementReport:
    since: datetime | None
    second: Rate
    golden: Rate
    reviewers: tuple[ReviewerAgreement, ...] = field(default_factory=tuple)
    reasons: tuple[ReasonAgreement, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": iso(self.since),
            "second": self.second.as_dict(),
            "golden": self.golden.as_dict(),
            "reviewers": [r.as_dict() for r in self.reviewers],
            "reasons": [r.as_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class SecondReview:
    """A second review beside the primary decision it checked."""

    case_id: int
    decision_id: int
    reviewer: str
    outcome: str
    at: datetime
    primary_decision_id: int
    primary_reviewer: str
    primary_outcome: str
    primary_reason: str

    @property
    def agree(self) -> bool:
        return self.outcome == self.primary_outcome


@dataclass(frozen=True)
class GoldenAnswer:
    case_id: int
    decision_id: int
    reviewer: str
    outcome: str
    reason_code: str
    golden_outcome: str
    at: datetime

    @property
    def correct(self) -> bool:
        return self.outcome == self.golden_outcome


def second_reviews(
    session: Session,
    since: datetime | None = None,
    case_id: int | None = None,
    limit: int | None = None,
    disagreeing: bool = False,
) -> list[SecondReview]:
    """Second reviews (newest first) with the primary decision each checked; `disagreeing`
    keeps those whose outcome differs from the primary decision's."""
    second, primary = aliased(Decision), aliased(Decision)
    query = _second_query(second, primary)
    if since is not None:
        query = query.where(second.created_at >= as_utc(since))
    if case_id is not None:
        query = query.where(second.case_id == case_id)
    if disagreeing:
        query = query.where(second.outcome != primary.outcome)
    if limit is not None:
        query = query.limit(limit)
    return [
        SecondReview(
            int(row.case_id),
            int(row.id),
            row.reviewer,
            row.outcome,
            as_utc(row.created_at),
            int(row.primary_id),
            row.primary_reviewer,
            row.primary_outcome,
            row.primary_reason,
        )
        for row in session.execute(query)
    ]


def _second_query(second: Any, primary: Any) -> _Rows:
    primary_id = (
        select(func.max(Decision.id))
        .where(
            Decision.case_id == second.case_id,
            Decision.review_kind == PRIMARY,
            Decision.id < second.id,
        )
        .correlate(second)
        .scalar_subquery()
    )
    return (
        select(
            second.case_id,
            second.id,
            second.reviewer,
            second.outcome,
            second.created_at,
            primary.id.label("primary_id"),
            primary.reviewer.label("primary_reviewer"),
            primary.outcome.label("primary_outcome"),
            primary.reason_code.label("primary_reason"),
        )
        .join(primary, primary.id == primary_id)
        .where(second.review_kind == SECOND)
        .order_by(second.id.desc())
    )


def golden_answers(
    session: Session, since: datetime | None = None, case_id: int | None = None
) -> list[GoldenAnswer]:
    """Decisions on golden cases (newest first) beside the known outcome."""
    query = _golden_query(since).order_by(Decision.id.desc())
    if case_id is not None:
        query = query.where(Decision.case_id == case_id)
    return [
        GoldenAnswer(
            int(row.case_id),
            int(row.id),
            row.reviewer,
            row.outcome,
            row.reason_code,
            str(row.golden_outcome),
            as_utc(row.created_at),
        )
        for row in session.execute(query)
    ]


def _golden_query(since: datetime | None) -> _Rows:
    query: _Rows = (
        select(
            Decision.case_id,
            Decision.id,
            Decision.reviewer,
            Decision.outcome,
            Decision.reason_code,
            Decision.created_at,
            Case.golden_outcome,
        )
        .join(Case, Case.id == Decision.case_id)
        .where(Decision.review_kind == GOLDEN)
    )
    return query if since is None else query.where(Decision.created_at >= as_utc(since))


def agreement_rates(session: Session, since: datetime | None = None) -> AgreementReport:
    """Agreement per reviewer and per reason code since `since` (every time when None),
    counted by the database (GROUP BY), however many decisions there are."""
    second, primary = aliased(Decision), aliased(Decision)
    query = _second_query(second, primary).order_by(None)
    if since is not None:
        query = query.where(second.created_at >= as_utc(since))
    pairs = query.subquery()
    agree = when((pairs.c.outcome == pairs.c.primary_outcome, 1), else_=0)
    answers = _golden_query(since).subquery()
    right = when((answers.c.outcome == answers.c.golden_outcome, 1), else_=0)
    checked = _rates(session, pairs.c.primary_reviewer, agree)
    given = _rates(session, pairs.c.reviewer, agree)
    golden = _rates(session, answers.c.reviewer, right)
    by_reason = _rates(session, pairs.c.primary_reason, agree)
    golden_by_reason = _rates(session, answers.c.reason_code, right)
    return AgreementReport(
        since=since,
        second=_total(checked),
        golden=_total(golden),
        reviewers=tuple(
            ReviewerAgreement(
                name, *(rates.get(name, Rate()) for rates in (checked, given, golden))
            )
            for name in sorted({*checked, *given, *golden})
        ),
        reasons=tuple(
            ReasonAgreement(code, by_reason.get(code, Rate()), golden_by_reason.get(code, Rate()))
            for code in sorted({*by_reason, *golden_by_reason})
        ),
    )


def _rates(session: Session, key: Any, agreed: Any) -> dict[str, Rate]:
    """Per value of `key`: how many rows, and the sum of `agreed` (1 or 0) over them."""
    rows = session.execute(select(key, func.count(), func.sum(agreed)).group_by(key))
    return {str(name): Rate(int(total), int(hits or 0)) for name, total, hits in rows}


def _total(rates: dict[str, Rate]) -> Rate:
    return Rate(sum(r.total for r in rates.values()), sum(r.agreed for r in rates.values()))


def disagreements(session: Session, limit: int = 50) -> list[SecondReview]:
    """The latest second reviews that disagreed with the primary decision (newest first); an
    appeal reopens such a case for a fresh decision."""
    _check_limit(limit)
    return second_reviews(session, limit=limit, disagreeing=True)


@dataclass(frozen=True)
class PendingChecks:
    second_reviews: int  # decided cases waiting for their second review
    golden_open: int  # golden cases not yet answered


def pending_checks(session: Session) -> PendingChecks:
    def count(*conditions: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0)

    return PendingChecks(
        second_reviews=count(Case.state == "decided", Case.second_review == "wanted"),
        golden_open=count(Case.origin == GOLDEN, Case.state == "open"),
    )


# --- one case ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseQuality:
    """A case's quality record (for the case page): its second-review state, and for a golden
    case the known outcome — show golden details to leads only, or reviewers learn the set."""

    case_id: int
    second_review: str
    golden_outcome: str | None
    second_reviews: tuple[SecondReview, ...]
    golden_answers: tuple[GoldenAnswer, ...]

    @property
    def disagreement(self) -> bool:
        return any(not review.agree for review in self.second_reviews)


def case_quality(session: Session, case_id: int) -> CaseQuality:
    case = case_row(session, case_id)
    return CaseQuality(
        case_id=case_id,
        second_review=case.second_review,
        golden_outcome=case.golden_outcome,
        second_reviews=tuple(second_reviews(session, case_id=case_id)),
        golden_answers=tuple(golden_answers(session, case_id=case_id)),
    )


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= LIST_LIMIT:
        raise InputError(f"limit must be from 1 to {LIST_LIMIT}")
