"""Where feedback is kept: one `EntryFeedback` row per (indicator, partner) holding the latest
opinion and the sightings counted, the per-indicator counts read from them, and the outbox of
opinions and sightings waiting to go to the partner an indicator came from.

Partner "" is this instance's own reviewers. A row's `updated_at` holds the `modified` time of
the opinion it holds (so a later opinion replaces it and an older one is ignored); on a row with
no opinion yet it is when the row was made. Every function works in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from raqib.store.models import as_utc, utcnow
from raqib.store.models_service import EntryFeedback, FeedbackOutbox

OWN = ""  # the partner name of this instance's own reviewers
AGREE = frozenset({"agree", "strongly-agree"})
DISAGREE = frozenset({"disagree", "strongly-disagree"})
EXPLANATION_MAX = 5000
ERROR_MAX = 2000
MAX_ATTEMPTS = 20  # an outbox row that failed this often is no longer offered as pending
_CHUNK = 500


@dataclass(frozen=True)
class FeedbackCounts:
    """What is known about one indicator: how many partners confirmed (agree, strongly-agree)
    and disputed (disagree, strongly-disagree) it, how many sightings were counted (partners'
    and our own), and our own reviewers' latest opinion (None: none yet)."""

    confirmed: int = 0
    disputed: int = 0
    sightings: int = 0
    own_opinion: str | None = None

    @property
    def own_agrees(self) -> bool | None:
        """Whether our reviewers agree with the indicator (None: no opinion, or neutral)."""
        if self.own_opinion in AGREE:
            return True
        return False if self.own_opinion in DISAGREE else None

    def as_dict(self) -> dict[str, int]:
        """The counts as the API shows them on an entry."""
        return {"confirmed": self.confirmed, "disputed": self.disputed, "sightings": self.sightings}


def counts(session: Session, stix_ids: Iterable[str]) -> dict[str, FeedbackCounts]:
    """The counts of every indicator id asked for (all zero for one nobody gave feedback on)."""
    wanted = sorted({i for i in stix_ids if i})
    tallies: dict[str, dict[str, Any]] = {
        i: {"confirmed": 0, "disputed": 0, "sightings": 0, "own": None} for i in wanted
    }
    for start in range(0, len(wanted), _CHUNK):
        query = select(
            EntryFeedback.stix_id,
            EntryFeedback.partner,
            EntryFeedback.opinion,
            EntryFeedback.sightings,
        ).where(EntryFeedback.stix_id.in_(wanted[start : start + _CHUNK]))
        for stix_id, partner, opinion, sightings in session.execute(query):
            tally = tallies[stix_id]
            tally["sightings"] += int(sightings or 0)
            if partner == OWN:
                tally["own"] = opinion
            elif opinion in AGREE:
                tally["confirmed"] += 1
            elif opinion in DISAGREE:
                tally["disputed"] += 1
    return {
        i: FeedbackCounts(t["confirmed"], t["disputed"], t["sightings"], t["own"])
        for i, t in tallies.items()
    }


# --- the rows ----------------------------------------------------------------------------------


def hold_opinion(
    session: Session,
    stix_id: str,
    partner: str,
    opinion: str,
    explanation: str,
    modified: datetime,
) -> bool:
    """Keep `opinion` as the partner's opinion of the indicator unless the one held is as new
    or newer: whether it was kept."""
    row = _locked_row(session, stix_id, partner)
    if row.opinion is not None and as_utc(row.updated_at) >= as_utc(modified):
        return False
    row.opinion = opinion
    row.explanation = explanation[:EXPLANATION_MAX]
    row.updated_at = modified
    session.flush()
    return True


def add_sightings(session: Session, stix_id: str, partner: str, count: int) -> int:
    """Add `count` (which may be negative, for a corrected sighting) to the partner's sightings
    of the indicator, never going below zero: the new total."""
    row = _locked_row(session, stix_id, partner)
    row.sightings = max(0, int(row.sightings or 0) + count)
    session.flush()
    return int(row.sightings)


def _locked_row(session: Session, stix_id: str, partner: str) -> EntryFeedback:
    """The (indicator, partner) row, made if missing, locked until commit on PostgreSQL.

    Hand-written INSERT ... ON CONFLICT DO NOTHING: SQLAlchemy's ORM has no portable upsert,
    and two decisions on items matching the same entry may make the row at the same time."""
    values = {
        "stix_id": stix_id,
        "partner": partner,
        "opinion": None,
        "explanation": "",
        "sightings": 0,
        "updated_at": utcnow(),
    }
    keys = ["stix_id", "partner"]
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(EntryFeedback).values(values)
        session.execute(pg.on_conflict_do_nothing(index_elements=keys))
    else:
        lite = sqlite_insert(EntryFeedback).values(values)
        session.execute(lite.on_conflict_do_nothing(index_elements=keys))
    query = (
        select(EntryFeedback)
        .where(EntryFeedback.stix_id == stix_id, EntryFeedback.partner == partner)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


# --- the outbox --------------------------------------------------------------------------------


def enqueue(session: Session, partner: str, collection: str, stix_object: dict[str, Any]) -> int:
    """Put an opinion or sighting in the outbox for a partner's collection: its row id."""
    row = FeedbackOutbox(
        partner=partner,
        collection=collection,
        stix_object=stix_object,
        created_at=utcnow(),
        attempts=0,
        last_error="",
    )
    session.add(row)
    session.flush()
    return int(row.id)


def pending(
    session: Session, partner: str, limit: int, max_attempts: int = MAX_ATTEMPTS
) -> list[FeedbackOutbox]:
    """The partner's unsent outbox rows, oldest first, at most `limit`; rows that already
    failed `max_attempts` times are left out (they stay in the table with their last error)."""
    query = (
        select(FeedbackOutbox)
        .where(
            FeedbackOutbox.partner == partner,
            FeedbackOutbox.sent_at.is_(None),
            FeedbackOutbox.attempts < max_attempts,
        )
        .order_by(FeedbackOutbox.id)
        .limit(max(0, limit))
    )
    return list(session.scalars(query))


def mark_sent(session: Session, ids: Sequence[int]) -> int:
    """Mark unsent outbox rows as sent now: how many were."""
    return _mark(session, ids, {"sent_at": utcnow(), "last_error": ""})


def mark_failed(session: Session, ids: Sequence[int], error: str) -> int:
    """Count a failed attempt on unsent outbox rows and keep the error: how many there were."""
    return _mark(session, ids, {"last_error": error[:ERROR_MAX]})


def _mark(session: Session, ids: Sequence[int], values: dict[str, Any]) -> int:
    changed = 0
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        statement = (
            update(FeedbackOutbox)
            .where(
                FeedbackOutbox.id.in_(unique[start : start + _CHUNK]),
                FeedbackOutbox.sent_at.is_(None),
            )
            .values(attempts=FeedbackOutbox.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )
        changed += cast(CursorResult[Any], session.execute(statement)).rowcount
    return changed
