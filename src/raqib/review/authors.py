"""Authors (accounts on a platform) and the strikes confirmed decisions give them.

A confirmed decision (remove, preserve) gives the case's author one strike, weighted by the
case's tier (3 for tier 1, 2 for tier 2, 1 otherwise), which counts for `strike_days`. A case
gives at most one live strike; an appeal that overturns the decision revokes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, defer

from raqib.store.models import as_utc, iso, utcnow
from raqib.store.models_service import Author, Case, Decision, Strike

TIER_WEIGHTS = {1: 3.0, 2: 2.0}
OTHER_WEIGHT = 1.0
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class StrikeView:
    id: int
    decision_id: int
    case_id: int
    weight: float
    created_at: datetime
    expires_at: datetime
    revoked: bool

    def active(self, now: datetime) -> bool:
        return not self.revoked and as_utc(self.expires_at) > now

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "decision_id": self.decision_id,
            "case_id": self.case_id,
            "weight": self.weight,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked": self.revoked,
        }


@dataclass(frozen=True)
class AuthorCase:
    """One of an author's cases in brief, with its latest decision if any."""

    id: int
    state: str
    tier: int | None
    category: str | None
    created_at: datetime
    outcome: str | None
    reason_code: str | None
    decided_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "tier": self.tier,
            "category": self.category,
            "created_at": iso(self.created_at),
            "outcome": self.outcome,
            "reason_code": self.reason_code,
            "decided_at": iso(self.decided_at),
        }


@dataclass(frozen=True)
class AuthorHistory:
    """What a reviewer sees about a case's author: other cases, strikes, live strike weight."""

    id: int
    platform: str
    external_id: str
    active_strike_weight: float
    strikes: tuple[StrikeView, ...]
    other_cases: tuple[AuthorCase, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "external_id": self.external_id,
            "active_strike_weight": self.active_strike_weight,
            "strikes": [strike.as_dict() for strike in self.strikes],
            "other_cases": [case.as_dict() for case in self.other_cases],
        }


def author_id_for(session: Session, platform: str, external_id: str) -> int:
    """The author's row id, created on first sight (safe against a concurrent creator)."""
    query = select(Author.id).where(Author.platform == platform, Author.external_id == external_id)
    found = session.scalar(query)
    if found is not None:
        return int(found)
    try:
        with session.begin_nested():
            author = Author(platform=platform, external_id=external_id, created_at=utcnow())
            session.add(author)
        return int(author.id)
    except IntegrityError:  # another transaction created it first
        return int(session.scalars(query).one())


def strike_weight(tier: int | None) -> float:
    return TIER_WEIGHTS.get(tier, OTHER_WEIGHT) if tier is not None else OTHER_WEIGHT


def add_strike(
    session: Session, author_id: int, decision_id: int, tier: int | None, days: int
) -> Strike:
    now = utcnow()
    strike = Strike(
        author_id=author_id,
        decision_id=decision_id,
        weight=strike_weight(tier),
        created_at=now,
        expires_at=now + timedelta(days=days),
        revoked=False,
    )
    session.add(strike)
    session.flush()
    return strike


def case_has_live_strike(session: Session, case_id: int) -> bool:
    """Whether a decision of this case already gave an unrevoked strike."""
    query = (
        select(Strike.id)
        .join(Decision, Decision.id == Strike.decision_id)
        .where(Decision.case_id == case_id, Strike.revoked.is_(False))
        .limit(1)
    )
    return session.scalar(query) is not None


def revoke_case_strikes(session: Session, case_id: int) -> list[int]:
    """Revoke the unrevoked strikes the case's decisions gave; their ids."""
    decisions = select(Decision.id).where(Decision.case_id == case_id)
    ids = list(
        session.scalars(
            select(Strike.id).where(Strike.decision_id.in_(decisions), Strike.revoked.is_(False))
        )
    )
    if ids:
        session.execute(update(Strike).where(Strike.id.in_(ids)).values(revoked=True))
    return [int(i) for i in ids]


def active_strike_weight(session: Session, author_id: int, now: datetime | None = None) -> float:
    """The summed weight of the author's unrevoked, unexpired strikes."""
    query = select(func.coalesce(func.sum(Strike.weight), 0.0)).where(
        Strike.author_id == author_id,
        Strike.revoked.is_(False),
        Strike.expires_at > (now or utcnow()),
    )
    return float(session.scalar(query) or 0.0)


def history(session: Session, author_id: int, exclude_case_id: int | None = None) -> AuthorHistory:
    """The author's record for a reviewer; `exclude_case_id` leaves out the case at hand."""
    author = session.get_one(Author, author_id)
    return AuthorHistory(
        id=int(author.id),
        platform=author.platform,
        external_id=author.external_id,
        active_strike_weight=active_strike_weight(session, author_id),
        strikes=tuple(_strikes(session, author_id)),
        other_cases=tuple(_cases(session, author_id, exclude_case_id)),
    )


def _strikes(session: Session, author_id: int) -> list[StrikeView]:
    query = (
        select(Strike, Decision.case_id)
        .join(Decision, Decision.id == Strike.decision_id)
        .where(Strike.author_id == author_id)
        .order_by(Strike.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        StrikeView(
            int(s.id),
            int(s.decision_id),
            int(case_id),
            float(s.weight),
            as_utc(s.created_at),
            as_utc(s.expires_at),
            bool(s.revoked),
        )
        for s, case_id in session.execute(query)
    ]


def _cases(session: Session, author_id: int, exclude_case_id: int | None) -> list[AuthorCase]:
    inner = aliased(Decision)
    latest = (
        select(func.max(inner.id)).where(inner.case_id == Case.id).correlate(Case)
    ).scalar_subquery()
    query = (
        select(Case, Decision)
        .options(defer(Case.finding))
        .outerjoin(Decision, Decision.id == latest)
        .where(Case.author_id == author_id, Case.id != (exclude_case_id or 0))
        .order_by(Case.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        AuthorCase(
            int(case.id),
            case.state,
            case.tier,
            case.category,
            as_utc(case.created_at),
            decision.outcome if decision else None,
            decision.reason_code if decision else None,
            as_utc(decision.created_at) if decision else None,
        )
        for case, decision in session.execute(query)
    ]
