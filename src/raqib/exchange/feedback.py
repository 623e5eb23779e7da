"""Feedback on shared indicators, both ways (see docs/feedback.md).

Out: a primary decision on a case whose item matched bank entries becomes, per matched entry,
a STIX `opinion` about the entry's indicator (remove/preserve: agree, strongly-agree at tier 1;
keep/not terrorist content: disagree, strongly-disagree when the reason says the match is wrong)
and, on the case's first acting decision, a `sighting` of it. Both are kept as this instance's
own feedback (partner "") and, for an entry of a bank pulled from a partner, put in the feedback
outbox for that partner's collection, all in the decision's transaction. The explanation names
the outcome, the reason code and its article; never the reviewer, the note or the item.

In: `record_objects` takes the opinions and sightings partners send (feedback_intake). Counts
per indicator (`counts`) feed the case page and the bank-entries listing; `pending`,
`mark_sent` and `mark_failed` serve the sender that posts the outbox to partners.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from raqib.exchange.feedback_intake import FEEDBACK_TYPES, record_objects
from raqib.exchange.feedback_store import (
    OWN,
    FeedbackCounts,
    add_sightings,
    counts,
    enqueue,
    hold_opinion,
    mark_failed,
    mark_sent,
    pending,
)
from raqib.exchange.stix import IDENTITY_ID, TLP2_IDS, stix_time
from raqib.records import BankInfo, EntryRecord, check_tlp
from raqib.review.priority import counted_matches
from raqib.review.quality import PRIMARY
from raqib.review.reasons import CONFIRMING, OVERTURNING, REASON_CODES
from raqib.stixids import stix_id
from raqib.store.banks import BankRepository
from raqib.store.models_service import Case, Decision

__all__ = [
    "FEEDBACK_TYPES",
    "OWN",
    "FeedbackCounts",
    "after_decision",
    "counts",
    "mark_failed",
    "mark_sent",
    "opinion_object",
    "opinion_value",
    "pending",
    "record_objects",
    "sighting_object",
]

MATCH_WRONG = frozenset({"unrelated"})  # keep reasons that say the signal matched wrongly


@dataclass(frozen=True)
class Verdict:
    """What a decision says, as feedback: the STIX opinion and its explanation."""

    opinion: str
    explanation: str


def opinion_value(outcome: str, reason_code: str, tier: int | None) -> str | None:
    """The STIX opinion of a decision's outcome (None for an outcome that judges nothing)."""
    if outcome in CONFIRMING:
        return "strongly-agree" if tier == 1 else "agree"
    if outcome in OVERTURNING:
        return "strongly-disagree" if reason_code in MATCH_WRONG else "disagree"
    return None


def explanation(outcome: str, reason_code: str) -> str:
    """The outcome and reason code with its label and TCO article; nothing about the item."""
    reason = REASON_CODES.get(reason_code)
    text = f"Reviewed: {outcome.replace('_', ' ')}; reason {reason_code}"
    if reason is not None:
        text += f" ({reason.label})"
        if reason.tco_category:
            text += f", Regulation (EU) 2021/784 Art. {reason.tco_category}"
    return text


def opinion_object(
    indicator: str, decision_id: int, decided_at: datetime, verdict: Verdict, tlp: str
) -> dict[str, Any]:
    """Our opinion of an indicator from one decision. The id is a uuid5 of the indicator, the
    decision id and its time (the time keeps two instances' decision 5 apart)."""
    when = stix_time(decided_at)
    return {
        "type": "opinion",
        "spec_version": "2.1",
        "id": stix_id("opinion", f"opinion|{indicator}|{decision_id}|{when}"),
        "created_by_ref": IDENTITY_ID,
        "created": when,
        "modified": when,
        "opinion": verdict.opinion,
        "explanation": verdict.explanation,
        "object_refs": [indicator],
        "object_marking_refs": [TLP2_IDS[check_tlp(tlp)]],
    }


def sighting_object(
    indicator: str, decision_id: int, decided_at: datetime, seen_at: datetime, tlp: str
) -> dict[str, Any]:
    """One sighting of an indicator (count 1: one item matched it, first seen when the case
    was opened), with no where_sighted_refs: who saw it is the sender."""
    when, seen = stix_time(decided_at), stix_time(seen_at)
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": stix_id("sighting", f"sighting|{indicator}|{decision_id}|{when}"),
        "created_by_ref": IDENTITY_ID,
        "created": when,
        "modified": when,
        "sighting_of_ref": indicator,
        "count": 1,
        "first_seen": seen,
        "last_seen": seen,
        "object_marking_refs": [TLP2_IDS[check_tlp(tlp)]],
    }


def after_decision(session: Session, case: Case, decision: Decision) -> dict[str, Any]:
    """The feedback of a primary decision, in its transaction (see the module docstring): what
    the audit event of the decision records about it (empty when there was none)."""
    if decision.review_kind != PRIMARY:
        return {}
    value = opinion_value(decision.outcome, decision.reason_code, case.tier)
    matched = matched_entries(session, case.finding) if value is not None else []
    if value is None or not matched:
        return {}
    verdict = Verdict(value, explanation(decision.outcome, decision.reason_code))
    sighted = not decision.on_appeal  # a re-decision on appeal saw no new item
    queued = 0
    for entry, bank in matched:
        hold_opinion(session, entry.stix_id, OWN, value, verdict.explanation, decision.created_at)
        if sighted:
            add_sightings(session, entry.stix_id, OWN, 1)
        if bank.partner:
            queued += _send(session, case, decision, entry, bank, verdict, sighted)
    return {"feedback": {"opinion": value, "indicators": len(matched), "outbox": queued}}


def _send(
    session: Session,
    case: Case,
    decision: Decision,
    entry: EntryRecord,
    bank: BankInfo,
    verdict: Verdict,
    sighted: bool,
) -> int:
    """Queue the opinion (and sighting) for the partner the bank came from: how many rows."""
    partner, collection = str(bank.partner), bank.remote_collection or ""
    decision_id, at = int(decision.id), decision.created_at
    enqueue(
        session,
        partner,
        collection,
        opinion_object(entry.stix_id, decision_id, at, verdict, bank.tlp),
    )
    if not sighted:
        return 1
    seen = sighting_object(entry.stix_id, decision_id, at, case.created_at, bank.tlp)
    enqueue(session, partner, collection, seen)
    return 2


def matched_entries(
    session: Session, finding: Mapping[str, Any]
) -> list[tuple[EntryRecord, BankInfo]]:
    """The bank entries a finding's counted matches name that still exist, one per indicator,
    in the order matched (an entry removed since has no indicator left to give feedback on)."""
    ids = [m.get("entry_id") for m in counted_matches(finding)]
    wanted = list(dict.fromkeys(i for i in ids if isinstance(i, int) and not isinstance(i, bool)))
    found = BankRepository(session).by_ids(wanted) if wanted else {}
    unique: dict[str, tuple[EntryRecord, BankInfo]] = {}
    for entry_id in wanted:
        if entry_id in found:
            entry, bank = found[entry_id]
            unique.setdefault(entry.stix_id, (entry, bank))
    return list(unique.values())
