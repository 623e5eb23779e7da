"""Cases: findings that ask for a person's decision. Opening one routes it to a queue, scores its
priority and links its author; reading one shows its decisions, appeals and the author's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, defer

from raqib.errors import InputError, NotFoundError
from raqib.review import audit
from raqib.review.authors import AuthorHistory, author_id_for, history
from raqib.review.priority import counted_matches, match_confidence, priority
from raqib.review.queues import route
from raqib.review.reasons import REASON_CODES
from raqib.store.models import as_utc, as_utc_or_none, iso, utcnow
from raqib.store.models_service import Appeal, Author, Case, Decision, Queue

ORIGINS = ("detection", "report", "golden", "order")  # golden: raqib.review.quality; order: .orders
STATES = ("open", "claimed", "decided")  # "claimed": open with a live claim
MAX_LIMIT = 1000
TEXT_MAX = 1_000_000  # characters of an item's text kept on its case
_META_LIMITS = {"platform": 100, "external_id": 200, "author_id": 200, "source": 40, "url": 4000}


@dataclass(frozen=True)
class CaseFields:
    """The parts of a finding (and its submitter's metadata) that routing and filters use."""

    tier: int | None = None
    category: str | None = None  # the text's top-scoring category, if any scored
    language: str | None = None
    entity: str | None = None
    bank: str | None = None  # the best counted match's bank
    source: str | None = None
    platform: str | None = None
    external_id: str | None = None
    url: str | None = None
    author: str | None = None  # the author's id on the platform

    @classmethod
    def from_finding(cls, finding: Mapping[str, Any], meta: Mapping[str, Any]) -> CaseFields:
        item = _mapping(finding.get("item"))
        text = _mapping(finding.get("text"))
        best = _best_match(finding)
        labels = _mapping(best.get("labels")) if best else {}
        tier = _mapping(finding.get("verdict")).get("tier")
        return cls(
            tier=tier if isinstance(tier, int) and not isinstance(tier, bool) else None,
            category=_clip(_top_category(text), 60),
            language=_clip(text.get("language"), 16),
            entity=_clip(labels.get("entity") or text.get("entity"), 200),
            bank=_clip(best.get("bank") if best else None, 100),
            source=_meta(meta, "source") or _clip(item.get("source"), 40),
            platform=_meta(meta, "platform"),
            external_id=_meta(meta, "external_id") or _clip(item.get("external_id"), 200),
            url=_meta(meta, "url") or _clip(item.get("url"), 4000),
            author=_meta(meta, "author_id") or _clip(item.get("author"), 200),
        )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _clip(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if isinstance(value, str | int) and str(value) != "" else None


def _meta(meta: Mapping[str, Any], key: str) -> str | None:
    """A metadata string, which must fit its column (an id cut short would name another item)."""
    value = meta.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InputError(f"meta.{key} must be a string")
    if len(str(value)) > _META_LIMITS[key]:
        raise InputError(f"meta.{key} is longer than {_META_LIMITS[key]} characters")
    return str(value)


def _best_match(finding: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The counted match of the most severe tier, then the most confident."""

    def rank(match: Mapping[str, Any]) -> tuple[int, float]:
        tier = _mapping(match.get("labels")).get("tier")
        return (tier if isinstance(tier, int) else 99, -match_confidence(match))

    return min(counted_matches(finding), key=rank, default=None)


def _top_category(text: Mapping[str, Any]) -> str | None:
    scores = text.get("categories")
    if not isinstance(scores, Mapping):
        return None
    numeric = {k: float(v) for k, v in scores.items() if isinstance(v, int | float)}
    top = max(numeric, key=lambda k: numeric[k], default=None)
    return top if top is not None and numeric[top] > 0 else None


# --- views -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseView:
    """A case as listed. `claimed_by` and `claim_expires_at` are None once a claim expired."""

    id: int
    queue: str
    state: str
    origin: str
    priority: float
    tier: int | None
    category: str | None
    language: str | None
    entity: str | None
    bank: str | None
    source: str | None
    platform: str | None
    external_id: str | None
    url: str | None
    author_id: int | None
    author: str | None
    reason: str | None
    reporter: str | None
    claimed_by: str | None
    claim_expires_at: datetime | None
    assigned_to: str | None
    escalated: bool
    appealed: bool
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class DecisionView:
    id: int
    case_id: int
    reviewer: str
    outcome: str
    reason_code: str
    tco_category: str | None
    note: str
    on_appeal: bool
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class AppealView:
    id: int
    case_id: int
    decision_id: int
    reason: str
    submitted_by: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class CaseDetail:
    """One case in full: the finding, its decisions and appeals, and its author's record."""

    case: CaseView
    finding: dict[str, Any]
    decisions: tuple[DecisionView, ...]
    appeals: tuple[AppealView, ...]
    author: AuthorHistory | None

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.case.as_dict(),
            "finding": self.finding,
            "decisions": [d.as_dict() for d in self.decisions],
            "appeals": [a.as_dict() for a in self.appeals],
            "author_history": self.author.as_dict() if self.author else None,
        }


def _json(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def decision_view(decision: Decision) -> DecisionView:
    reason = REASON_CODES.get(decision.reason_code)
    return DecisionView(
        int(decision.id),
        int(decision.case_id),
        decision.reviewer,
        decision.outcome,
        decision.reason_code,
        reason.tco_category if reason else None,
        decision.note,
        bool(decision.on_appeal),
        as_utc(decision.created_at),
    )


def _appeal_view(appeal: Appeal) -> AppealView:
    return AppealView(
        int(appeal.id),
        int(appeal.case_id),
        int(appeal.decision_id),
        appeal.reason,
        appeal.submitted_by,
        as_utc(appeal.created_at),
    )


def _case_view(case: Case, queue: str, author: str | None, now: datetime) -> CaseView:
    live = case.claim_expires_at is not None and as_utc(case.claim_expires_at) > now
    return CaseView(
        id=int(case.id),
        queue=queue,
        state=case.state,
        origin=case.origin,
        priority=float(case.priority),
        tier=case.tier,
        category=case.category,
        language=case.language,
        entity=case.entity,
        bank=case.bank,
        source=case.source,
        platform=case.platform,
        external_id=case.external_id,
        url=case.url,
        author_id=case.author_id,
        author=author,
        reason=case.reason,
        reporter=case.reporter,
        claimed_by=case.claimed_by if live else None,
        claim_expires_at=as_utc_or_none(case.claim_expires_at) if live else None,
        assigned_to=case.assigned_to,
        escalated=bool(case.escalated),
        appealed=bool(case.appealed),
        created_at=as_utc(case.created_at),
        updated_at=as_utc(case.updated_at),
        decided_at=as_utc_or_none(case.decided_at),
    )


_ViewQuery = Select[Case, str, str]  # a case, its queue's name, its author's external id


def _view_query() -> _ViewQuery:
    # a view never needs the finding: loading (and JSON-decoding) it for every listed case
    # made a 200-case queue page take ~0.5 s (bench/console.py)
    return (
        select(Case, Queue.name, Author.external_id)
        .options(defer(Case.finding))
        .join(Queue, Queue.id == Case.queue_id)
        .outerjoin(Author, Author.id == Case.author_id)
    )


def case_row(session: Session, case_id: int) -> Case:
    """The case's row, or NotFoundError."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    return case


def case_views(session: Session, case_ids: list[int]) -> list[CaseView]:
    """The cases as listed, in the order of `case_ids` (missing ones left out); one query."""
    if not case_ids:
        return []
    now = utcnow()
    rows = session.execute(_view_query().where(Case.id.in_(case_ids)))
    by_id = {int(row[0].id): _case_view(row[0], row[1], row[2], now) for row in rows}
    return [by_id[case_id] for case_id in case_ids if case_id in by_id]


def case_view(session: Session, case_id: int) -> CaseView:
    """The case as listed (its current state, read again)."""
    row = session.execute(
        _view_query().where(Case.id == case_id).execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFoundError(f"no case {case_id}")
    return _case_view(row[0], row[1], row[2], utcnow())


# --- opening, listing, reading -----------------------------------------------------------------


def open_case(
    session: Session,
    finding: dict[str, Any],
    meta: dict[str, Any],
    actor: str,
    origin: str = "detection",
    reason: str | None = None,
) -> CaseView:
    """Open a case for a finding: route it, score it, link its author, put it in its cluster
    of similar cases; audited "case.open". A string `meta["text"]` (the submitted text) is kept
    on the case's finding as `item.text`, so a reviewer reads the whole text."""
    if origin not in ORIGINS:
        raise InputError(f"unknown origin {origin!r}; use one of: {', '.join(ORIGINS)}")
    finding = _with_text(finding, meta.get("text"))
    case_fields = CaseFields.from_finding(finding, meta)
    queue = route(session, case_fields)
    now = utcnow()
    case = add_open_case(
        session,
        now,
        queue_id=queue.id,
        origin=origin,
        priority=priority(finding, meta, origin),
        **{k: getattr(case_fields, k) for k in _CASE_COLUMNS},
        author_id=_author(session, case_fields),
        reason=reason,
        reporter=_reporter(meta, actor) if origin == "report" else None,
        finding=finding,
        cluster=cluster_key(finding),
    )
    details = {"queue": queue.name, "origin": origin, "priority": case.priority}
    audit.append(session, actor, "case.open", "case", case.id, details)
    return _case_view(case, queue.name, case_fields.author, now)


def add_open_case(session: Session, now: datetime, **columns: Any) -> Case:
    """A new open case with these COLUMNS, neither escalated nor appealed, created and updated
    at NOW; added and flushed so that it has its id. The caller audits its opening."""
    case = Case(
        state="open", escalated=False, appealed=False, created_at=now, updated_at=now, **columns
    )
    session.add(case)
    session.flush()
    return case


_CASE_COLUMNS = (
    "tier", "category", "language", "entity", "bank", "source", "platform", "external_id", "url",
)  # fmt: skip


def cluster_key(finding: Mapping[str, Any]) -> str | None:
    """Which cases are alike: "entry:<the lowest counted matched entry id>", else
    "text:<text_sha256>", else "sha256:<the file's sha256>"; None when the finding has none."""
    entries = [m.get("entry_id") for m in counted_matches(finding)]
    ids = [e for e in entries if isinstance(e, int) and not isinstance(e, bool)]
    if ids:
        return f"entry:{min(ids)}"
    for signal in finding.get("signals") or []:
        if isinstance(signal, Mapping) and signal.get("signal_type") == "text_sha256":
            value = signal.get("signal")
            if isinstance(value, str) and value:
                return f"text:{value}"[:100]
    digest = _mapping(finding.get("item")).get("sha256")
    return f"sha256:{digest}"[:100] if isinstance(digest, str) and digest else None


def _with_text(finding: dict[str, Any], text: Any) -> dict[str, Any]:
    """The finding with the item's full text kept as `item.text` (a copy; the caller's finding
    is left as it is)."""
    if not isinstance(text, str) or not text:
        return finding
    return {**finding, "item": {**_mapping(finding.get("item")), "text": text[:TEXT_MAX]}}


def _author(session: Session, case_fields: CaseFields) -> int | None:
    if case_fields.author is None:
        return None
    return author_id_for(session, case_fields.platform or "", case_fields.author)


def _reporter(meta: Mapping[str, Any], actor: str) -> str:
    reporter = meta.get("reporter")
    return str(reporter)[:200] if isinstance(reporter, str) and reporter else actor


@dataclass(frozen=True)
class CaseFilters:
    """What `list_cases` keeps; None keeps everything. `since` inclusive, `until` exclusive
    (creation time); `author` is the author's id on the platform."""

    queue: str | None = None
    state: str | None = None  # open (claimed or not) | claimed | decided
    tier: int | None = None
    bank: str | None = None
    entity: str | None = None
    language: str | None = None
    author: str | None = None
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_cases(
    session: Session, filters: CaseFilters, limit: int = 50, after_id: int = 0
) -> list[CaseView]:
    """Cases in id order after `after_id` (page with the last id shown), filtered."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be from 1 to {MAX_LIMIT}")
    now = utcnow()
    query = _filtered(_view_query().where(Case.id > after_id), filters, now)
    rows = session.execute(query.order_by(Case.id).limit(limit))
    return [_case_view(case, queue, author, now) for case, queue, author in rows]


def _filtered(query: _ViewQuery, filters: CaseFilters, now: datetime) -> _ViewQuery:
    equal = (
        (Queue.name, filters.queue),
        (Case.tier, filters.tier),
        (Case.bank, filters.bank),
        (Case.entity, filters.entity),
        (Case.language, filters.language),
        (Author.external_id, filters.author),
        (Case.platform, filters.platform),
    )
    for column, value in equal:
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(Case.created_at >= as_utc(filters.since))
    if filters.until is not None:
        query = query.where(Case.created_at < as_utc(filters.until))
    return _state_filter(query, filters.state, now)


def _state_filter(query: _ViewQuery, state: str | None, now: datetime) -> _ViewQuery:
    if state is None:
        return query
    if state not in STATES:
        raise InputError(f"unknown state {state!r}; use one of: {', '.join(STATES)}")
    if state == "claimed":
        return query.where(Case.state == "open", Case.claim_expires_at > now)
    return query.where(Case.state == state)


def oldest_open(session: Session) -> dict[str, datetime]:
    """For each queue with open cases, when its oldest open case was opened."""
    rows = session.execute(
        select(Queue.name, func.min(Case.created_at))
        .join(Case, Case.queue_id == Queue.id)
        .where(Case.state == "open")
        .group_by(Queue.name)
    )
    return {name: as_utc(at) for name, at in rows if at is not None}


def get_case(session: Session, case_id: int) -> CaseDetail:
    """The case in full, with its author's record (other cases, strikes, live strike weight)."""
    view = case_view(session, case_id)
    finding = session.get_one(Case, case_id).finding
    decisions = session.scalars(
        select(Decision).where(Decision.case_id == case_id).order_by(Decision.id)
    )
    appeals = session.scalars(select(Appeal).where(Appeal.case_id == case_id).order_by(Appeal.id))
    author = history(session, view.author_id, case_id) if view.author_id is not None else None
    return CaseDetail(
        case=view,
        finding=dict(finding),
        decisions=tuple(decision_view(d) for d in decisions),
        appeals=tuple(_appeal_view(a) for a in appeals),
        author=author,
    )
