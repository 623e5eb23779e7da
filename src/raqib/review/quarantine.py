"""Flood quarantine: a bank entry that suddenly matches too many items is held for review.

A bad hash (a partner's mistake, a logo, a blank frame) added to a shared bank can match
thousands of benign items at once. Every item the service takes in (POST /items, /reports,
batches; never POST /match) counts one match per matched entry in `entry_match_counts`, a row
per entry and minute, in the transaction that opens its case. When an entry's matches within
the last `flood_window_minutes` exceed `flood_matches`, the entry is quarantined: a
SignalQuarantine row, an audit event "signal.quarantine" and ONE case (origin "quarantine",
top priority, default queue) about the signal itself.

While an entry is quarantined, an item whose counted matches are all quarantined (and whose
text alone would not ask for review) opens no case: its finding marks those matches
`"quarantined": true` and its verdict is held (`"held": true`, recommended "none", the reason
"held: signal quarantined"); the quarantine counts it. A report still opens its case, and an
item that also matches other entries proceeds as before, the quarantined match marked.

A lead releases a quarantine ("release": acting resumes, the entry's counts start again from
zero) or revokes the entry ("revoke": removed from its bank, a revocation partners see).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from raqib import banking
from raqib.config import Settings
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.pipeline import empty_text_assessment
from raqib.policy import verdict
from raqib.review import audit
from raqib.review.cases import add_open_case
from raqib.review.comments import add_comment
from raqib.review.priority import counted_matches
from raqib.review.queues import SYSTEM_ACTOR, ensure_default_queue
from raqib.signals import Signal
from raqib.store.models import Entry, as_utc, as_utc_or_none, iso, utcnow
from raqib.store.models_service import EntryMatchCount, SignalQuarantine

ORIGIN = "quarantine"  # the origin of the case a quarantine opens
HELD_REASON = "held: signal quarantined"
ACTIONS = ("release", "revoke")
STATES = ("open", "released", "revoked")
PRIORITY = 100.0  # the top of the documented [0, 100] range: a flood is looked at first
NOTE_MAX = 5000
LIST_MAX = 1000
EXAMPLE_TEXT_CHARS = 2000  # of the item that tipped the entry over, kept on the case


@dataclass(frozen=True)
class FloodLimits:
    """How many matches (`matches`) within how many minutes quarantine an entry; `matches`
    of 0 or less turns counting off."""

    matches: int = 200
    window_minutes: int = 10

    @classmethod
    def from_settings(cls, settings: Settings | None) -> FloodLimits:
        if settings is None:
            return cls()
        return cls(settings.flood_matches, max(1, settings.flood_window_minutes))

    @property
    def enabled(self) -> bool:
        return self.matches > 0


@dataclass(frozen=True)
class Intake:
    """What taking in one item did: its finding (matches of quarantined entries marked, the
    verdict held when `held`), and the open quarantines among its matched entries."""

    finding: dict[str, Any]
    held: bool
    quarantine_ids: tuple[int, ...]


# --- taking items in ---------------------------------------------------------------------------


def counted_entry_ids(finding: Mapping[str, Any]) -> list[int]:
    """The ids of the entries the finding's counted matches (not allow-listed, not
    suppressed) point at, each once, in ascending order (the order rows are locked in)."""
    ids = {m.get("entry_id") for m in counted_matches(finding)}
    return sorted(i for i in ids if isinstance(i, int) and not isinstance(i, bool))


def text_alone_wants_review(finding: Mapping[str, Any]) -> bool:
    """Whether the item's text or page would send it to review without any match (an
    allow-listed match says the content is known benign, as in raqib.policy)."""
    matches = finding.get("matches") or []
    if any(isinstance(m, Mapping) and m.get("allow_list") for m in matches):
        return False
    text, page = finding.get("text"), finding.get("page")
    alone = verdict(
        [], text if isinstance(text, dict) else None, page if isinstance(page, dict) else None
    )
    return bool(alone["recommended"] != "none")


def may_be_held(session: Session, finding: Mapping[str, Any]) -> bool:
    """Whether every counted match is of an entry quarantined now (read before the write
    transaction: an intake keeps no media for an item that will be held)."""
    entry_ids = counted_entry_ids(finding)
    if not entry_ids or text_alone_wants_review(finding):
        return False
    return set(_open_quarantines(session, entry_ids)) == set(entry_ids)


def take_in(
    session: Session,
    finding: dict[str, Any],
    meta: Mapping[str, Any],
    actor: str,
    limits: FloodLimits,
    report: bool = False,
    now: datetime | None = None,
) -> Intake:
    """Count the item's matches, quarantine entries over the limit (each opening its case) and
    hold the item when only quarantined entries matched it. In the caller's write session."""
    entry_ids = counted_entry_ids(finding)
    if not entry_ids or not limits.enabled:
        return Intake(finding, False, ())
    now = now or utcnow()
    held_by = _open_quarantines(session, entry_ids)
    fresh = [e for e in entry_ids if e not in held_by]
    for entry_id, total in _count(session, fresh, limits, now).items():
        if total > limits.matches:
            example = _example(finding, meta, actor)
            opened = _quarantine(session, entry_id, total, limits, example, now)
            if opened is not None:
                held_by[entry_id] = opened
    if not held_by:
        return Intake(finding, False, ())
    marked = _marked(finding, held_by)
    ids = tuple(sorted(set(held_by.values())))
    if report or len(held_by) < len(entry_ids) or text_alone_wants_review(finding):
        return Intake(marked, False, ids)
    session.execute(
        update(SignalQuarantine)
        .where(SignalQuarantine.id.in_(ids))
        .values(matches=SignalQuarantine.matches + 1)
    )
    return Intake(_held(marked), True, ids)


def _open_quarantines(session: Session, entry_ids: Iterable[int]) -> dict[int, int]:
    """{entry id: open quarantine id} for those of `entry_ids` quarantined now."""
    rows = session.execute(
        select(SignalQuarantine.entry_id, SignalQuarantine.id).where(
            SignalQuarantine.entry_id.in_(list(entry_ids)),
            SignalQuarantine.released_at.is_(None),
        )
    )
    return {int(entry_id): int(quarantine_id) for entry_id, quarantine_id in rows}


def _count(
    session: Session, entry_ids: list[int], limits: FloodLimits, now: datetime
) -> dict[int, int]:
    """Add one match to each entry's count for this minute (one multi-row upsert) and answer
    each entry's matches within the window. Rows older than the window are pruned when an
    entry starts a new minute, so an entry keeps at most window + 1 rows."""
    if not entry_ids:
        return {}
    minute = now.replace(second=0, microsecond=0)
    start = minute - timedelta(minutes=limits.window_minutes - 1)
    started = [e for e, matches in _upsert(session, entry_ids, minute) if matches == 1]
    if started:
        session.execute(
            delete(EntryMatchCount).where(
                EntryMatchCount.entry_id.in_(started), EntryMatchCount.minute < start
            )
        )
    totals = session.execute(
        select(EntryMatchCount.entry_id, func.sum(EntryMatchCount.matches))
        .where(EntryMatchCount.entry_id.in_(entry_ids), EntryMatchCount.minute >= start)
        .group_by(EntryMatchCount.entry_id)
    )
    return {int(entry_id): int(total or 0) for entry_id, total in totals}


def _upsert(session: Session, entry_ids: list[int], minute: datetime) -> list[tuple[int, int]]:
    """INSERT ... ON CONFLICT DO UPDATE matches = matches + 1, RETURNING (entry, matches).
    SQLAlchemy's core insert has no portable upsert; both dialects' own constructs spell it
    the same way."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = insert(EntryMatchCount).values(
        [{"entry_id": e, "minute": minute, "matches": 1} for e in entry_ids]
    )
    upsert = rows.on_conflict_do_update(
        index_elements=[EntryMatchCount.entry_id, EntryMatchCount.minute],
        set_={"matches": EntryMatchCount.matches + rows.excluded.matches},
    ).returning(EntryMatchCount.entry_id, EntryMatchCount.matches)
    return [(int(e), int(m)) for e, m in session.execute(upsert)]


def _quarantine(
    session: Session,
    entry_id: int,
    total: int,
    limits: FloodLimits,
    example: dict[str, Any],
    now: datetime,
) -> int | None:
    """Quarantine the entry (None when it is gone), or answer the quarantine a concurrent
    item opened first: the entry's row is locked (PostgreSQL; SQLite's write transactions
    are serial already), then looked at again."""
    entry = session.scalars(select(Entry).where(Entry.id == entry_id).with_for_update()).first()
    if entry is None:
        return None
    already = _open_quarantines(session, [entry_id]).get(entry_id)
    if already is not None:
        return already
    reason = (
        f"{entry.signal_type} entry {entry_id} of bank {entry.bank.name} matched {total} items "
        f"in {limits.window_minutes} minutes, more than the limit of {limits.matches}"
    )
    row = SignalQuarantine(
        entry_id=entry_id,
        bank=entry.bank.name,
        signal_type=entry.signal_type,
        value=entry.value,
        reason=reason,
        matches=0,
        quarantined_at=now,
    )
    session.add(row)
    session.flush()
    details = {"entry_id": entry_id, "bank": row.bank, "signal_type": row.signal_type,
               "matches": total, "window_minutes": limits.window_minutes,
               "limit": limits.matches, "triggered_by": example["submitted_by"]}  # fmt: skip
    audit.append(session, SYSTEM_ACTOR, "signal.quarantine", "signal_quarantine", row.id, details)
    _open_case(session, row, entry, example, now)
    return int(row.id)


def _example(finding: Mapping[str, Any], meta: Mapping[str, Any], actor: str) -> dict[str, Any]:
    """The item that tipped the entry over, for the reviewer: its record, who submitted it and
    some of its text."""
    item = finding.get("item")
    example = {**(dict(item) if isinstance(item, Mapping) else {}), "submitted_by": actor}
    text = meta.get("text")
    if isinstance(text, str) and text:
        example["text"] = text[:EXAMPLE_TEXT_CHARS]
    return example


def _open_case(
    session: Session, row: SignalQuarantine, entry: Entry, example: dict[str, Any], now: datetime
) -> int:
    """The one case about a quarantined signal. Built here rather than by
    raqib.review.cases.open_case (as raqib.review.quality builds golden cases): it is about a
    signal, not an item, so it has no author, routing fields or match-based priority."""
    queue = ensure_default_queue(session)
    case = add_open_case(
        session,
        now,
        queue_id=queue.id,
        origin=ORIGIN,
        priority=PRIORITY,
        tier=entry.tier,
        entity=entry.entity[:200] or None,
        bank=row.bank,
        source=ORIGIN,
        reason=row.reason,
        finding=_case_finding(row, example),
        cluster=cluster_key(int(row.id)),
    )
    row.case_id = case.id
    details = {"queue": queue.name, "origin": ORIGIN, "priority": PRIORITY,
               "quarantine_id": row.id}  # fmt: skip
    audit.append(session, SYSTEM_ACTOR, "case.open", "case", case.id, details)
    return int(case.id)


def _case_finding(row: SignalQuarantine, example: dict[str, Any]) -> dict[str, Any]:
    """A finding-shaped record (ARCHITECTURE.md) about the signal, with a `quarantine` part."""
    release = f"/api/v1/quarantine/{row.id}/release"
    return {
        "item": {"id": f"quarantine:{row.id}", "source": ORIGIN, "kind": "signal"},
        "signals": [{"signal_type": row.signal_type, "signal": row.value, "quality": None}],
        "matches": [],
        "text": empty_text_assessment(),
        "page": {"injected_scripts": []},
        "verdict": {
            "tier": None,
            "recommended": "review",
            "reasons": [
                f"signal quarantined: {row.reason}",
                f"release it or revoke the entry: POST {release} or "
                f"`raqib quarantine release {row.id} [--revoke]`",
            ],
        },
        "errors": [],
        "quarantine": {
            "id": row.id,
            "entry_id": row.entry_id,
            "bank": row.bank,
            "signal_type": row.signal_type,
            "signal": row.value,
            "example_item": example,
        },
    }


def cluster_key(quarantine_id: int) -> str:
    """The `cluster` of a quarantine's case: how a quarantine finds its case."""
    return f"quarantine:{quarantine_id}"


def _marked(finding: dict[str, Any], held_by: Mapping[int, int]) -> dict[str, Any]:
    """A copy of the finding whose matches of quarantined entries say so."""
    matches = []
    for match in finding.get("matches") or []:
        entry_id = match.get("entry_id") if isinstance(match, dict) else None
        if isinstance(entry_id, int) and entry_id in held_by and not match.get("allow_list"):
            match = {**match, "quarantined": True, "quarantine_id": held_by[entry_id]}
        matches.append(match)
    return {**finding, "matches": matches}


def _held(finding: dict[str, Any]) -> dict[str, Any]:
    """The finding with its verdict held: nothing to act on until the quarantine is released."""
    old = finding.get("verdict") or {}
    reasons = [HELD_REASON, *(old.get("reasons") or [])]
    return {**finding, "verdict": {**old, "recommended": "none", "held": True, "reasons": reasons}}


# --- listing and releasing ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineView:
    """A quarantine as listed. `held_items`: items held back while it was open; `state`: open,
    released (acting resumed) or revoked (the entry removed from its bank)."""

    id: int
    state: str
    entry_id: int
    bank: str
    signal_type: str
    value: str
    reason: str
    held_items: int
    quarantined_at: datetime
    released_at: datetime | None
    released_by: str | None
    note: str
    case_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


def _json(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def list_quarantines(
    session: Session, state: str | None = None, limit: int = 100
) -> list[QuarantineView]:
    """Quarantines, open ones first, newest first within each; `state` keeps one state."""
    if not 1 <= limit <= LIST_MAX:
        raise InputError(f"limit must be from 1 to {LIST_MAX}")
    if state is not None and state not in STATES:
        raise InputError(f"unknown state {state!r}; use one of: {', '.join(STATES)}")
    query = select(SignalQuarantine)
    if state == "open":
        query = query.where(SignalQuarantine.released_at.is_(None))
    elif state is not None:
        action = "release" if state == "released" else "revoke"
        query = query.where(
            SignalQuarantine.released_at.is_not(None), SignalQuarantine.action == action
        )
    open_first = SignalQuarantine.released_at.is_not(None)  # False (open) sorts first
    rows = list(
        session.scalars(query.order_by(open_first, SignalQuarantine.id.desc()).limit(limit))
    )
    return [_view(row) for row in rows]


def case_id_of(session: Session, quarantine_id: int) -> int | None:
    """The id of the case the quarantine opened."""
    row = session.get(SignalQuarantine, quarantine_id)
    return None if row is None or row.case_id is None else int(row.case_id)


def _view(row: SignalQuarantine) -> QuarantineView:
    released = row.released_at is not None
    state = "open" if not released else ("revoked" if row.action == "revoke" else "released")
    return QuarantineView(
        id=int(row.id),
        state=state,
        entry_id=int(row.entry_id),
        bank=row.bank,
        signal_type=row.signal_type,
        value=row.value,
        reason=row.reason,
        held_items=int(row.matches),
        quarantined_at=as_utc(row.quarantined_at),
        released_at=as_utc_or_none(row.released_at),
        released_by=row.released_by,
        note=row.release_note,
        case_id=None if row.case_id is None else int(row.case_id),
    )


def get_quarantine(session: Session, quarantine_id: int) -> QuarantineView:
    row = session.get(SignalQuarantine, quarantine_id, populate_existing=True)
    if row is None:
        raise NotFoundError(f"no quarantine {quarantine_id}; `raqib quarantine list` shows them")
    return _view(row)


@dataclass(frozen=True)
class Released:
    """A release: the quarantine as it now is and how many entries "revoke" removed."""

    quarantine: QuarantineView
    removed: int

    def as_dict(self) -> dict[str, Any]:
        return {"quarantine": self.quarantine.as_dict(), "removed": self.removed}


def release(session: Session, quarantine_id: int, action: str, note: str, actor: str) -> Released:
    """End an open quarantine: "release" resumes acting on the entry's matches (its counts
    start again from zero); "revoke" removes the entry from its bank (kept as a revocation
    partners see). Audited "signal.release" / "signal.revoke"; a comment on the quarantine's
    case says who did what. Use a write session."""
    if action not in ACTIONS:
        raise InputError(f"unknown action {action!r}; use one of: {', '.join(ACTIONS)}")
    if len(note) > NOTE_MAX:
        raise InputError(f"a note holds at most {NOTE_MAX} characters")
    before = get_quarantine(session, quarantine_id)
    if before.state != "open":
        raise ConflictError(
            f"quarantine {quarantine_id} was already {before.state} by {before.released_by}; "
            "nothing more to do"
        )
    _close(session, quarantine_id, action, note.strip(), actor)
    removed = _revoke(session, before, actor) if action == "revoke" else 0
    session.execute(delete(EntryMatchCount).where(EntryMatchCount.entry_id == before.entry_id))
    details = {"entry_id": before.entry_id, "bank": before.bank, "removed": removed}
    audit.append(session, actor, f"signal.{action}", "signal_quarantine", quarantine_id, details)
    if before.case_id is not None:
        done = "released" if action == "release" else "revoked (entry removed from its bank)"
        text = f"quarantine {quarantine_id} {done} by {actor}" + (
            f": {note.strip()}" if note.strip() else ""
        )
        add_comment(session, before.case_id, actor, text)
    return Released(get_quarantine(session, quarantine_id), removed)


def _close(session: Session, quarantine_id: int, action: str, note: str, actor: str) -> None:
    """The conditional UPDATE that ends the quarantine; a concurrent release loses."""
    result = session.execute(
        update(SignalQuarantine)
        .where(SignalQuarantine.id == quarantine_id, SignalQuarantine.released_at.is_(None))
        .values(released_at=utcnow(), released_by=actor[:200], release_note=note, action=action)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        raise ConflictError(f"quarantine {quarantine_id} was released by someone else just now")


def _revoke(session: Session, quarantine: QuarantineView, actor: str) -> int:
    """Remove the quarantined entry's signal from its bank (0 when it is already gone)."""
    entry = session.get(Entry, quarantine.entry_id)
    if entry is None:
        return 0
    signal = Signal(entry.signal_type, entry.value)
    return banking.remove_from_bank(session, actor, entry.bank.name, signal)
