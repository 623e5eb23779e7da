"""What partners change through TAXII 2.1: objects POSTed to a collection (indicators added,
revoked indicators removed, opinions and sightings recorded as feedback) and objects DELETEd.

Write rights per collection decide what is kept: a partner with write rights adds and removes
signals; a partner who may only read can still send `opinion` and `sighting` objects — that is
its feedback channel — while its indicators are reported as failures in the status resource."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raqib import banking
from raqib.errors import InputError, NotFoundError
from raqib.exchange import feedback, stix
from raqib.exchange.partners import Collection
from raqib.exchange.taxii import ObjectFilter, object_exists, timestamp, version_of
from raqib.review import audit
from raqib.signals import Signal, SignalRegistry
from raqib.store.models import Entry, EntryRevocation, utcnow

STATUS_VERB = "taxii.add"
_LISTED = 1000  # at most this many successes / failures are named in a status resource
# Objects accepted without becoming entries: they carry labels, or what indicators refer to.
_CONTEXT_TYPES = frozenset(
    {"threat-actor", "relationship", "identity", "marking-definition", "extension-definition"}
)
READ_ONLY = "this collection is read-only for you"
_READ_ONLY_ENVELOPE = (
    "this collection is shared with you read-only: send only opinion and sighting objects "
    "(feedback), or ask its owner for write rights"
)


def add_objects(
    session: Session,
    collection: Collection,
    objects: Sequence[object],
    registry: SignalRegistry,
    actor: str,
    partner: str | None,
) -> dict[str, Any]:
    """Apply a posted envelope to the collection's bank (in the caller's write transaction) and
    return the status resource, which is kept in the audit trail. PermissionError when the
    caller may only read and the envelope holds no feedback."""
    items = [obj for obj in objects if isinstance(obj, dict) and isinstance(obj.get("id"), str)]
    notes = [o for o in items if o.get("type") in feedback.FEEDBACK_TYPES]
    if not collection.can_write and not notes:
        raise PermissionError(_READ_ONLY_ENVELOPE)
    details: dict[str, Any] = {"partner": partner, "bank": collection.bank.name}
    if collection.can_write:
        details |= _apply_indicators(session, collection, items, registry, actor)
    recorded = _record_feedback(session, notes, partner)
    successes, failures = _outcomes(items, registry, collection.can_write, recorded)
    failures += [{"id": "", "message": "not a STIX object"}] * (len(objects) - len(items))
    status_id = str(uuid.uuid4())
    status = {
        "id": status_id,
        "status": "complete",
        "request_timestamp": timestamp(utcnow()),
        "total_count": len(objects),
        "success_count": len(successes),
        "failure_count": len(failures),
        "pending_count": 0,
        "successes": successes[:_LISTED],
        "failures": failures[:_LISTED],
    }
    audit.append(session, actor, STATUS_VERB, "taxii_status", status_id, details | status)
    return status


def _apply_indicators(
    session: Session,
    collection: Collection,
    items: list[dict[str, Any]],
    registry: SignalRegistry,
    actor: str,
) -> dict[str, int]:
    """Add the envelope's indicators to the bank and remove the signals of revoked ones."""
    imported = stix.import_objects(items, registry)
    applied = banking.apply_partner_entries(
        session, actor, collection.bank.name, imported.entries, imported.revoked, how="taxii"
    )
    return {"added": applied.added, "removed": applied.removed}


def _record_feedback(
    session: Session, notes: list[dict[str, Any]], partner: str | None
) -> dict[int, str | None]:
    """feedback.record_objects' verdict on each opinion or sighting, keyed by id() of the object
    (it names an object by its id, or "objects[<n>]" when the id is unusable)."""
    if not notes:
        return {}
    recorded = feedback.record_objects(session, notes, partner or "")
    missing = "the feedback was not recorded"
    return {
        id(obj): recorded.get(obj["id"], recorded.get(f"objects[{number}]", missing))
        for number, obj in enumerate(notes)
    }


def status_resource(session: Session, status_id: str, partner: str | None) -> dict[str, Any]:
    """A status resource from the audit trail; only its own partner (or an admin) sees it."""
    found = audit.events(session, verb=STATUS_VERB, object_type="taxii_status", object_id=status_id)
    if not found or (partner is not None and found[0].details.get("partner") != partner):
        raise NotFoundError(f"no status {status_id!r} here")
    details = found[0].details
    return {key: details[key] for key in _STATUS_KEYS if key in details}


_STATUS_KEYS = (
    "id",
    "status",
    "request_timestamp",
    "total_count",
    "success_count",
    "failure_count",
    "pending_count",
    "successes",
    "failures",
)


def delete_object(
    session: Session, collection: Collection, object_id: str, wanted: ObjectFilter, actor: str
) -> int:
    """Remove an indicator's signal from the collection's bank (TAXII 2.1 section 5.7), through
    banking.remove_from_bank: audited, with a revocation partners will read. Returns how many
    entries went (0 for an indicator already revoked). PermissionError without write rights;
    NotFoundError for an object the collection does not hold (or not in the asked version);
    InputError for objects derived from entries (threat-actors, relationships, common ones)."""
    if not collection.can_write:
        raise PermissionError(
            "this collection is shared with you read-only: ask its owner for write rights "
            "to delete objects"
        )
    bank = collection.bank
    query = select(Entry.signal_type, Entry.value, Entry.added_at).where(
        Entry.bank_id == bank.id, Entry.stix_id == object_id
    )
    live = [
        (signal_type, value)
        for signal_type, value, added_at in session.execute(query).all()
        if wanted.pick([{"modified": stix.stix_time(added_at)}])
    ]
    removed = sum(
        banking.remove_from_bank(session, actor, bank.name, Signal(signal_type, value))
        for signal_type, value in live
    )
    if live or _revoked(session, bank.id, object_id):
        return removed
    if object_exists(session, collection, object_id) and not object_id.startswith("indicator--"):
        raise InputError(
            f"{object_id} is derived from the bank's indicators and cannot be deleted; "
            "delete the indicators instead"
        )
    raise NotFoundError(f"no object {object_id!r} (in that version) in this collection")


def _revoked(session: Session, bank_id: int, object_id: str) -> bool:
    query = select(EntryRevocation.id).where(
        EntryRevocation.bank_id == bank_id, EntryRevocation.stix_id == object_id
    )
    return session.scalar(query.limit(1)) is not None


def _outcomes(
    items: list[dict[str, Any]],
    registry: SignalRegistry,
    can_write: bool,
    recorded: dict[int, str | None],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(successes, failures) per object: an indicator succeeds when it gives a Raqib signal to
    add or remove (and the caller may write); feedback as feedback.record_objects said."""
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for obj in items:
        record = {"id": obj["id"], "version": version_of(obj)}
        kind = obj.get("type")
        if kind in feedback.FEEDBACK_TYPES:
            reason = recorded[id(obj)]
        elif kind == "indicator":
            reason = _indicator_failure(obj, registry, can_write)
        elif kind in _CONTEXT_TYPES:
            reason = None
        else:
            reason = f"objects of type {kind} are not kept"
        if reason is None:
            successes.append(record)
        else:
            failures.append(record | {"message": reason})
    return successes, failures


def _indicator_failure(
    obj: dict[str, Any], registry: SignalRegistry, can_write: bool
) -> str | None:
    if not can_write:
        return READ_ONLY
    imported = stix.import_objects([obj], registry)
    if imported.entries or imported.revoked:
        return None
    return "no signal Raqib reads in this indicator"
