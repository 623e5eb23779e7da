"""Opinions and sightings a partner sends about our indicators: checked, then recorded.

An object is accepted (None) or refused with a reason a partner can act on, never an exception.
Accepted opinions replace the partner's held opinion when they are newer (see feedback_store).
Sightings add their `count` (1 when absent) once per sighting id and version: each recorded
version is an audit event ("feedback.sighting", object id "<sighting id>|<partner>") holding
its `modified` time and count, so the same version sent again adds nothing, an older version is
ignored and a newer one adds only the difference. Feedback is kept only for indicators in a bank
shared with the partner (not TLP red) or pulled from it, live or revoked: any other id is
refused alike as unknown, so nobody learns what else this instance holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stix2
import stix2.exceptions
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from raqib.exchange.feedback_store import EXPLANATION_MAX, OWN, add_sightings, hold_opinion
from raqib.review import audit
from raqib.store.models import Bank, Entry, EntryRevocation
from raqib.store.models_service import AuditEvent, BankShare, Partner

FEEDBACK_TYPES = frozenset({"opinion", "sighting"})
OBJECT_MAX_CHARS = 20_000  # an opinion or sighting as JSON; anything larger is refused
REFS_MAX = 100
SIGHTING_VERB, OPINION_VERB = "feedback.sighting", "feedback.opinion"
_ID = re.compile(r"^(opinion|sighting|indicator)--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                 r"[0-9a-f]{4}-[0-9a-f]{12}$")  # fmt: skip
# What stix2 raises on a malformed object: its own errors, and plain ones for odd value types.
_PARSE_ERRORS = (stix2.exceptions.STIXError, ValueError, TypeError, KeyError, AttributeError)


@dataclass(frozen=True)
class Received:
    """One checked opinion or sighting: the indicators it is about, its version time, and the
    opinion (with explanation) or the sighting count."""

    kind: str
    id: str
    modified: datetime
    indicators: tuple[str, ...]
    opinion: str = ""
    explanation: str = ""
    count: int = 0


def record_objects(
    session: Session, objects: Sequence[object], partner: str
) -> dict[str, str | None]:
    """Record the opinions and sightings `partner` sent, in the caller's (write) transaction:
    object id (or "objects[<n>]" when it has no usable id) -> None when accepted, else why not."""
    results: dict[str, str | None] = {}
    clean = partner.strip()
    for number, obj in enumerate(objects):
        key = _key(obj, number)
        if not clean or clean == OWN or len(clean) > 100:
            results[key] = "feedback is recorded per partner: it needs the sending partner's name"
            continue
        checked = check_object(obj)
        if isinstance(checked, str):
            results[key] = checked
            continue
        results[key] = _record(session, checked, clean)
    return results


def _key(obj: object, number: int) -> str:
    found = obj.get("id") if isinstance(obj, dict) else None
    return found if isinstance(found, str) and 0 < len(found) <= 100 else f"objects[{number}]"


# --- checks ------------------------------------------------------------------------------------


def check_object(obj: object) -> Received | str:
    """The checked feedback in a STIX object, or why it cannot be taken."""
    if not isinstance(obj, dict):
        return "not a STIX object: send a JSON object"
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in FEEDBACK_TYPES:
        shown = str(kind)[:40] if isinstance(kind, str) else type(kind).__name__
        return f"objects of type {shown!r} are not feedback: send opinions or sightings"
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not _ID.match(object_id) or not object_id.startswith(kind):
        return f"the id must be '{kind}--' followed by a lowercase UUID"
    try:
        size = len(json.dumps(obj, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return "the object is not plain JSON"
    if size > OBJECT_MAX_CHARS:
        return f"the object is larger than {OBJECT_MAX_CHARS} characters as JSON"
    wrong = _wrong_type(obj)
    if wrong:
        return wrong
    try:
        # stix2 checks the spec (timestamps, vocabulary, reference forms, count range); custom
        # x_ properties are let through: they are ignored, and other producers add them.
        parsed = stix2.parse(obj, allow_custom=True, version="2.1")
    except _PARSE_ERRORS as exc:
        return f"not a valid STIX 2.1 {kind}: {str(exc)[:200]}"
    return _opinion(parsed) if kind == "opinion" else _sighting(parsed)


def _wrong_type(obj: dict[str, Any]) -> str:
    """Why a property Raqib reads has the wrong JSON type ("" when none has): stix2 would turn
    a number into a string or a string into a number instead of refusing it."""
    for name, kind, wanted in (("explanation", str, "a string"), ("count", int, "an integer")):
        value = obj.get(name)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            return f"{name} must be {wanted}"
    return ""


def _opinion(parsed: Any) -> Received | str:
    refs = list(parsed.object_refs)
    if len(refs) > REFS_MAX:
        return f"an opinion may name at most {REFS_MAX} objects in object_refs"
    indicators = tuple(dict.fromkeys(r for r in refs if _is_indicator(r)))
    if not indicators:
        return "the opinion names no indicator in object_refs"
    explanation = str(parsed.get("explanation") or "")
    if len(explanation) > EXPLANATION_MAX:
        return f"the explanation is longer than {EXPLANATION_MAX} characters"
    return Received(
        "opinion", parsed.id, parsed.modified, indicators, str(parsed.opinion), explanation
    )


def _sighting(parsed: Any) -> Received | str:
    ref = str(parsed.sighting_of_ref)
    if not _is_indicator(ref):
        return "the sighting is not of an indicator (sighting_of_ref)"
    count = parsed.get("count")
    seen = 1 if count is None else int(count)
    return Received("sighting", parsed.id, parsed.modified, (ref,), count=seen)


def _is_indicator(ref: object) -> bool:
    return isinstance(ref, str) and ref.startswith("indicator--") and bool(_ID.match(ref))


# --- recording ---------------------------------------------------------------------------------


def _record(session: Session, received: Received, partner: str) -> str | None:
    known = known_indicators(session, received.indicators, partner)
    if not known:
        shown = received.indicators[0] if len(received.indicators) == 1 else "named"
        return (
            f"no indicator {shown} here that is shared with you: "
            "feedback is kept only for indicators of banks shared with you"
        )
    if received.kind == "opinion":
        _record_opinion(session, received, known, partner)
    else:
        _record_sighting(session, received, known[0], partner)
    return None


def _record_opinion(
    session: Session, received: Received, indicators: list[str], partner: str
) -> None:
    """Hold the opinion on each indicator where it is newer than the one held; audited."""
    kept = [
        i
        for i in indicators
        if hold_opinion(
            session, i, partner, received.opinion, received.explanation, received.modified
        )
    ]
    if kept:
        details = {"partner": partner, "indicators": kept, "opinion": received.opinion}
        details["modified"] = _timestamp(received.modified)
        key = f"{received.id}|{partner}"
        audit.append(session, f"partner:{partner}", OPINION_VERB, "opinion", key, details)


def _record_sighting(session: Session, received: Received, indicator: str, partner: str) -> None:
    """Add the sighting's count, or the difference to the version recorded before (see the
    module docstring); the same or an older version adds nothing."""
    key = f"{received.id}|{partner}"
    held = session.scalar(
        select(AuditEvent.details)
        .where(
            AuditEvent.verb == SIGHTING_VERB,
            AuditEvent.object_type == "sighting",
            AuditEvent.object_id == key,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    before = json.loads(held) if held else {}
    modified = _timestamp(received.modified)
    if before and datetime.fromisoformat(str(before["modified"])) >= received.modified:
        return
    added = received.count - int(before.get("count", 0))
    total = add_sightings(session, indicator, partner, added)
    details: dict[str, Any] = {"partner": partner, "indicator": indicator, "modified": modified}
    details |= {"count": received.count, "added": added, "total": total}
    audit.append(session, f"partner:{partner}", SIGHTING_VERB, "sighting", key, details)


def _timestamp(moment: datetime) -> str:
    """A version time as kept in the audit trail: UTC, microseconds, a "Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def known_indicators(session: Session, ids: Sequence[str], partner: str) -> list[str]:
    """The ids, in order, of indicators in a bank the partner may give feedback on (shared with
    it and not red, or pulled from it), live or revoked."""
    shared = (
        select(BankShare.bank_id)
        .join(Partner, Partner.id == BankShare.partner_id)
        .where(Partner.name == partner)
    )
    visible = select(Bank.id).where(
        or_(Bank.partner == partner, Bank.id.in_(shared) & (Bank.tlp != "red"))
    )
    wanted = list(ids)
    live = select(Entry.stix_id).where(Entry.stix_id.in_(wanted), Entry.bank_id.in_(visible))
    gone = select(EntryRevocation.stix_id).where(
        EntryRevocation.stix_id.in_(wanted), EntryRevocation.bank_id.in_(visible)
    )
    found = set(session.scalars(live)) | set(session.scalars(gone))
    return [i for i in wanted if i in found]
