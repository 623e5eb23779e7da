"""The transparency report's figures, read from the service database for a period: what came in
(cases by origin, batch items, signal matches), decisions by outcome and reason, items removed,
appeals and their outcome, time to decision and removal orders.

Only primary decisions count (second reviews and golden answers are quality checks that act on
nothing); golden cases are not items. Aggregates are computed by the database where SQL says it
portably (counts, sums); durations and the appeal outcomes are worked out here from rows read
in batches, because SQLite and PostgreSQL subtract times and pick percentiles differently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from raqib.review.cases import ORIGINS
from raqib.review.quality import PRIMARY
from raqib.review.reasons import CONFIRMING, OUTCOMES, OVERTURNING, REASON_CODES
from raqib.store.models import as_utc
from raqib.store.models_service import (
    Appeal,
    Case,
    Decision,
    EntryMatchCount,
    Job,
    RemovalOrder,
)

BATCH_ROWS = 5000
ITEM_ORIGINS = tuple(o for o in ORIGINS if o != "golden")  # golden cases are checks, not items
TIME_BUCKETS = (
    ("under 15 min", 900.0),
    ("15-60 min", 3600.0),
    ("1-4 h", 4 * 3600.0),
    ("4-24 h", 86_400.0),
    ("1-3 days", 3 * 86_400.0),
    ("3-7 days", 7 * 86_400.0),
    ("over 7 days", float("inf")),
)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; None is open-ended."""

    start: datetime | None = None
    end: datetime | None = None

    def within(self, column: InstrumentedAttribute[Any]) -> list[ColumnElement[bool]]:
        clauses = []
        if self.start is not None:
            clauses.append(column >= self.start)
        if self.end is not None:
            clauses.append(column < self.end)
        return clauses


def _primary() -> list[ColumnElement[bool]]:
    return [Decision.review_kind == PRIMARY]


def _count_by(session: Session, key: Any, *where: ColumnElement[bool]) -> dict[str, int]:
    rows = session.execute(select(key, func.count()).where(*where).group_by(key))
    return {str(value): int(count) for value, count in rows}


def _ordered(counts: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    ordered = {name: counts.get(name, 0) for name in order}
    return ordered | {k: v for k, v in sorted(counts.items()) if k not in ordered}


# --- what came in ------------------------------------------------------------------------------


def intake(session: Session, period: Period) -> dict[str, Any]:
    """Cases opened by origin, how many matched a bank, items submitted in batches, matches."""
    items = [Case.origin != "golden", *period.within(Case.created_at)]
    by_origin = _ordered(_count_by(session, Case.origin, *items), ITEM_ORIGINS)
    matched = session.scalar(
        select(func.count()).select_from(Case).where(*items, Case.bank.is_not(None))
    )
    batch = session.scalar(
        select(func.coalesce(func.sum(Job.total), 0)).where(
            Job.kind == "items", *period.within(Job.created_at)
        )
    )
    matches = session.scalar(
        select(func.coalesce(func.sum(EntryMatchCount.matches), 0)).where(
            *period.within(EntryMatchCount.minute)
        )
    )
    total = sum(by_origin.values())
    return {
        "cases_opened": total,
        "cases_by_origin": by_origin,
        "matched_known_content": int(matched or 0),
        "assessed_without_bank_match": total - int(matched or 0),
        "batch_items_submitted": int(batch or 0),
        "signal_matches": int(matches or 0),
    }


# --- decisions ---------------------------------------------------------------------------------


def decisions(session: Session, period: Period) -> dict[str, Any]:
    """Primary decisions by outcome and by reason (with the TCO article), items removed."""
    where = [*_primary(), *period.within(Decision.created_at)]
    by_outcome = _ordered(_count_by(session, Decision.outcome, *where), OUTCOMES)
    reasons = session.execute(
        select(Decision.outcome, Decision.reason_code, func.count())
        .where(*where)
        .group_by(Decision.outcome, Decision.reason_code)
    )
    by_reason = sorted(
        (_reason_row(str(o), str(c), int(n)) for o, c, n in reasons),
        key=lambda r: (-r["count"], r["outcome"], r["code"]),
    )
    removing = [*where, Decision.outcome.in_(CONFIRMING)]
    removed_by_origin = dict(
        (str(origin), int(n))
        for origin, n in session.execute(
            select(Case.origin, func.count(func.distinct(Decision.case_id)))
            .join(Case, Case.id == Decision.case_id)
            .where(*removing)
            .group_by(Case.origin)
        )
    )
    return {
        "total": sum(by_outcome.values()),
        "by_outcome": by_outcome,
        "by_reason": by_reason,
        "items_removed": sum(removed_by_origin.values()),
        "items_removed_by_origin": _ordered(removed_by_origin, ITEM_ORIGINS),
        "escalations": by_outcome.get("escalate", 0),
    }


def _reason_row(outcome: str, code: str, count: int) -> dict[str, Any]:
    reason = REASON_CODES.get(code)
    if reason is None:
        label, article = "(unknown reason code)", None
    elif reason.tco_category:
        label, article = reason.label, f"Art. {reason.tco_category}"
    elif outcome in OVERTURNING and code not in ("unrelated", "insufficient_evidence"):
        label, article = reason.label, "Art. 1(3)"
    else:
        label, article = reason.label, None
    return {
        "outcome": outcome,
        "code": code,
        "label": label,
        "tco_article": article,
        "count": count,
    }


# --- appeals -----------------------------------------------------------------------------------


def appeals(session: Session, period: Period) -> dict[str, Any]:
    """Appeals submitted in the period and what became of them (as of now): upheld, overturned
    (the outcome changed between removing and keeping), pending; content reinstated."""
    appealed = aliased(Decision)
    originals = {
        int(appeal_id): str(outcome)
        for appeal_id, outcome in session.execute(
            select(Appeal.id, appealed.outcome)
            .join(appealed, appealed.id == Appeal.decision_id)
            .where(*period.within(Appeal.created_at))
        )
    }
    results: dict[int, str] = {}
    later = session.execute(
        select(Appeal.id, Decision.outcome)
        .join(
            Decision,
            and_(
                Decision.case_id == Appeal.case_id,
                Decision.id > Appeal.decision_id,
                Decision.on_appeal.is_(True),
                Decision.outcome != "escalate",
                *_primary(),
            ),
        )
        .where(*period.within(Appeal.created_at))
        .order_by(Appeal.id, Decision.id)
    )
    for appeal_id, outcome in later:
        results.setdefault(int(appeal_id), str(outcome))
    return appeal_outcomes(originals, results)


def appeal_outcomes(originals: dict[int, str], results: dict[int, str]) -> dict[str, Any]:
    """Counts from each appeal's appealed outcome and (when decided) its result."""
    counts: Counter[str] = Counter()
    for appeal_id, original in originals.items():
        result = results.get(appeal_id)
        if result is None:
            counts["pending"] += 1
            continue
        removed_before, removed_after = original in CONFIRMING, result in CONFIRMING
        counts["overturned" if removed_before != removed_after else "upheld"] += 1
        counts["reinstated"] += removed_before and not removed_after
        counts["removed_after_appeal"] += removed_after and not removed_before
    decided = counts["upheld"] + counts["overturned"]
    return {
        "submitted": len(originals),
        "decided": decided,
        "upheld": counts["upheld"],
        "overturned": counts["overturned"],
        "pending": counts["pending"],
        "reinstated": counts["reinstated"],
        "removed_after_appeal": counts["removed_after_appeal"],
        "overturn_rate": round(counts["overturned"] / decided, 4) if decided else None,
    }


# --- time to decision --------------------------------------------------------------------------


def time_to_decision(session: Session, period: Period) -> dict[str, Any]:
    """From a case's opening to its first primary decision that is not an escalation (appeal
    decisions excluded), for first decisions made in the period: median, p90, mean, histogram,
    and per origin."""
    first = (
        select(Decision.case_id, func.min(Decision.id).label("first_id"))
        .where(*_primary(), Decision.on_appeal.is_(False), Decision.outcome != "escalate")
        .group_by(Decision.case_id)
        .subquery()
    )
    rows = session.execute(
        select(Case.origin, Case.created_at, Decision.created_at)
        .join(first, first.c.first_id == Decision.id)
        .join(Case, Case.id == Decision.case_id)
        .where(Case.origin != "golden", *period.within(Decision.created_at))
        .execution_options(yield_per=BATCH_ROWS)
    )
    by_origin: dict[str, list[float]] = {}
    for origin, opened, decided in rows:
        seconds = max((as_utc(decided) - as_utc(opened)).total_seconds(), 0.0)
        by_origin.setdefault(str(origin), []).append(seconds)
    every = np.asarray([s for values in by_origin.values() for s in values], dtype=np.float64)
    figures = duration_figures(every)
    figures["histogram"] = histogram(every)
    figures["by_origin"] = {
        origin: duration_figures(np.asarray(values)) for origin, values in sorted(by_origin.items())
    }
    return figures


def duration_figures(seconds: np.ndarray[Any, np.dtype[np.float64]]) -> dict[str, Any]:
    if not seconds.size:
        return {"decisions": 0, "median_seconds": None, "p90_seconds": None, "mean_seconds": None}
    return {
        "decisions": int(seconds.size),
        "median_seconds": round(float(np.median(seconds)), 1),
        "p90_seconds": round(float(np.percentile(seconds, 90)), 1),
        "mean_seconds": round(float(seconds.mean()), 1),
    }


def histogram(seconds: np.ndarray[Any, np.dtype[np.float64]]) -> list[dict[str, Any]]:
    edges = [0.0] + [limit for _name, limit in TIME_BUCKETS]
    counts = [
        int(np.count_nonzero((seconds >= low) & (seconds < high))) for low, high in pairwise(edges)
    ]
    return [
        {"bucket": name, "count": n} for (name, _l), n in zip(TIME_BUCKETS, counts, strict=True)
    ]


# --- removal orders ----------------------------------------------------------------------------


def removal_orders(session: Session, period: Period, now: datetime) -> dict[str, Any]:
    """Orders received in the period: their items acted on within the hour, late, pending (and
    overdue), removed, and the outcomes of items not removed (the grounds, TCO Art. 7(2)(c))."""
    counts: Counter[str] = Counter()
    not_removed: Counter[str] = Counter()
    minutes: list[float] = []
    query = select(RemovalOrder).where(*period.within(RemovalOrder.received_at))
    for order in session.scalars(query.execution_options(yield_per=BATCH_ROWS)):
        counts["orders"] += 1
        counts["complete"] += order.state == "complete"
        overdue = now > as_utc(order.deadline_at)
        for record in _records(order.items):
            counts["items"] += 1
            outcome = record.get("outcome")
            if outcome is None:
                counts["pending"] += 1
                counts["pending_overdue"] += overdue
                continue
            counts["acted_on"] += 1
            counts["within_one_hour" if record.get("in_time") else "late"] += 1
            if outcome in CONFIRMING:
                counts["removed"] += 1
            else:
                not_removed[str(outcome)[:40]] += 1
            if isinstance(record.get("minutes"), int | float):
                minutes.append(float(record["minutes"]))
    keys = ("orders", "complete", "items", "acted_on", "within_one_hour", "late", "pending",
            "pending_overdue", "removed")  # fmt: skip
    return {key: counts[key] for key in keys} | {
        "not_removed": dict(sorted(not_removed.items())),
        "median_minutes_to_action": round(float(np.median(minutes)), 1) if minutes else None,
    }


def _records(items: Any) -> Iterator[dict[str, Any]]:
    for record in items if isinstance(items, list) else []:
        if isinstance(record, dict):
            yield record


# --- over time ---------------------------------------------------------------------------------


def decision_times(session: Session, period: Period) -> tuple[list[datetime], list[str]]:
    """The time and outcome of every primary decision in the period."""
    rows = session.execute(
        select(Decision.created_at, Decision.outcome)
        .where(*_primary(), *period.within(Decision.created_at))
        .execution_options(yield_per=BATCH_ROWS)
    )
    times, outcomes = [], []
    for at, outcome in rows:
        times.append(as_utc(at))
        outcomes.append(str(outcome))
    return times, outcomes


def case_times(session: Session, period: Period) -> tuple[list[datetime], list[str]]:
    """The opening time and origin of every case (not golden) opened in the period."""
    rows = session.execute(
        select(Case.created_at, Case.origin)
        .where(Case.origin != "golden", *period.within(Case.created_at))
        .execution_options(yield_per=BATCH_ROWS)
    )
    times, origins = [], []
    for at, origin in rows:
        times.append(as_utc(at))
        origins.append(str(origin))
    return times, origins
