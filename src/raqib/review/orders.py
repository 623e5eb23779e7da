"""Removal orders (EU TCO Regulation 2021/784, Art. 3): a competent authority orders content
removed, and the hosting service must act within one hour of receiving the order.

A lead enters the order: its authority, reference, items (URLs or the platform's ids) and when it
was received. Each item becomes a top-priority case with a deadline one hour after receipt: an
open case of that URL or id is taken over; an item whose case was already decided remove (or
preserve) counts as acted on at that decision's time; any other item gets a new case (origin
"order") in the queue routing gives it. Queues are worked deadline first (raqib.review.claims).
When every item's case is decided the order is complete; each item keeps its outcome and its
time to action (minutes from receipt), for the authority and the transparency report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.review import audit
from raqib.review.cases import open_case
from raqib.review.reasons import CONFIRMING
from raqib.store.models import as_utc, as_utc_or_none, iso, utcnow
from raqib.store.models_service import Case, Decision, RemovalOrder

DEADLINE = timedelta(hours=1)
ORDER_PRIORITY = 1000.0  # above every computed priority (those lie in [0, 100])
MAX_ITEMS = 500
ITEM_MAX = 4000
TEXT_MAX = 200
EARLY = timedelta(minutes=5)  # a receipt time this far ahead of the clock is a typo
STATES = ("open", "complete")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class OrderItem:
    """One item of an order: its case, and once acted on, the outcome and time to action."""

    item: str
    case_id: int
    case_state: str | None = None
    outcome: str | None = None
    decision_id: int | None = None
    acted_at: datetime | None = None
    minutes: float | None = None  # from the order's receipt to the action (0 if before)
    in_time: bool | None = None  # acted by the deadline

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "case_id": self.case_id,
            "case_state": self.case_state,
            "outcome": self.outcome,
            "decision_id": self.decision_id,
            "acted_at": iso(self.acted_at),
            "minutes": self.minutes,
            "in_time": self.in_time,
        }


@dataclass(frozen=True)
class OrderView:
    id: int
    authority: str
    reference: str
    received_at: datetime
    deadline_at: datetime
    entered_by: str
    state: str
    completed_at: datetime | None
    created_at: datetime
    items: tuple[OrderItem, ...] = field(default_factory=tuple)

    def minutes_left(self, now: datetime | None = None) -> int:
        """Whole minutes to the deadline (negative once it passed)."""
        seconds = (self.deadline_at - (now or utcnow())).total_seconds()
        return int(seconds // 60)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "authority": self.authority,
            "reference": self.reference,
            "received_at": iso(self.received_at),
            "deadline_at": iso(self.deadline_at),
            "entered_by": self.entered_by,
            "state": self.state,
            "completed_at": iso(self.completed_at),
            "created_at": iso(self.created_at),
            "items": [item.as_dict() for item in self.items],
        }


# --- entering an order -------------------------------------------------------------------------


def enter_order(
    session: Session,
    authority: str,
    reference: str,
    items: Sequence[str],
    received_at: datetime,
    actor: str,
    settings: Settings,
) -> OrderView:
    """Record an order and make each item a top-priority case due an hour after receipt;
    audited "order.enter" (and "order.complete" if every item was already acted on). Use a
    write session. (`settings`: the service's; nothing in them changes an order yet.)"""
    authority, reference = _text(authority, "authority"), _text(reference, "reference")
    wanted = _items(items)
    received = _received(received_at)
    order = RemovalOrder(
        authority=authority,
        reference=reference,
        items=[],
        received_at=received,
        deadline_at=received + DEADLINE,
        entered_by=actor,
        state="open",
        created_at=utcnow(),
    )
    session.add(order)
    session.flush()
    records = [_take_item(session, order, item, actor) for item in wanted]
    order.items = records
    session.flush()
    details = {
        "authority": authority,
        "reference": reference,
        "items": [{"item": r["item"], "case_id": r["case_id"]} for r in records],
        "received_at": iso(received),
        "deadline_at": iso(order.deadline_at),
    }
    audit.append(session, actor, "order.enter", "order", order.id, details)
    _complete_if_done(session, order, actor)
    return get_order(session, int(order.id))


def _text(value: str, name: str) -> str:
    clean = value.strip() if isinstance(value, str) else ""
    if not clean or len(clean) > TEXT_MAX:
        raise InputError(f"the order's {name} needs 1 to {TEXT_MAX} characters")
    return clean


def _items(items: Sequence[str]) -> list[str]:
    """The items, stripped, without blanks and repeats, in the order given."""
    wanted: list[str] = []
    for raw in items:
        item = raw.strip() if isinstance(raw, str) else ""
        if len(item) > ITEM_MAX:
            raise InputError(f"an item is a URL or id of at most {ITEM_MAX} characters")
        if item and item not in wanted:
            wanted.append(item)
    if not 1 <= len(wanted) <= MAX_ITEMS:
        raise InputError(f"an order names 1 to {MAX_ITEMS} items (URLs or ids), one a line")
    return wanted


def _received(received_at: datetime) -> datetime:
    received = as_utc(received_at)
    if received > utcnow() + EARLY:
        raise InputError("the order's receipt time is in the future; give it in UTC")
    return received


def _take_item(session: Session, order: RemovalOrder, item: str, actor: str) -> dict[str, Any]:
    """The item's record: the case that answers it (already acted on, taken over, or new)."""
    cases = _cases_of(session, item)
    for case in cases:
        decision = _acted(session, case) if case.state == "decided" else None
        if decision is not None:
            if case.removal_order_id is None:
                case.removal_order_id = order.id
            return _record(item, case, order, decision)
    current = next((c for c in cases if c.state == "open"), None)
    if current is None:
        current = _new_case(session, order, item, actor, cases[-1] if cases else None)
    if current.removal_order_id is None:  # a case already in an order stays in that one
        current.removal_order_id = order.id
    if current.deadline_at is None or as_utc(current.deadline_at) > order.deadline_at:
        current.deadline_at = order.deadline_at
    current.priority = max(float(current.priority), ORDER_PRIORITY)
    current.updated_at = utcnow()
    session.flush()
    return {"item": item, "case_id": int(current.id)}


def _cases_of(session: Session, item: str) -> list[Case]:
    """The item's cases (by URL or platform id; golden copies are not the item), oldest first."""
    query = (
        select(Case)
        .where(or_(Case.url == item, Case.external_id == item), Case.origin != "golden")
        .order_by(Case.id)
    )
    return list(session.scalars(query))


def _acted(session: Session, case: Case) -> Decision | None:
    """The case's latest primary decision, if it removed the item (remove or preserve)."""
    decision = session.scalar(
        select(Decision)
        .where(Decision.case_id == case.id, Decision.review_kind == "primary")
        .order_by(Decision.id.desc())
        .limit(1)
    )
    return decision if decision is not None and decision.outcome in CONFIRMING else None


def _new_case(
    session: Session, order: RemovalOrder, item: str, actor: str, earlier: Case | None
) -> Case:
    """A case for an item with no open case: the earlier case's finding when there is one
    (a reviewer then sees what was seen before), else just the URL or id."""
    key = "url" if item.startswith(("http://", "https://")) else "external_id"
    if key == "external_id" and len(item) > 200:
        raise InputError(f"{item[:40]!r}... is neither a URL nor an id of at most 200 characters")
    finding: dict[str, Any] = dict(earlier.finding) if earlier is not None else {"item": {}}
    finding["item"] = {**_mapping(finding.get("item")), key: item}
    finding["removal_order"] = {"authority": order.authority, "reference": order.reference}
    meta: dict[str, Any] = {key: item}
    if earlier is not None and earlier.platform:
        meta["platform"] = earlier.platform
    reason = f"removal order {order.reference} from {order.authority}"
    view = open_case(session, finding, meta, actor, origin="order", reason=reason)
    return session.get_one(Case, view.id)


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _record(item: str, case: Case, order: RemovalOrder, decision: Decision) -> dict[str, Any]:
    acted_at = as_utc(decision.created_at)
    minutes = max(0.0, (acted_at - as_utc(order.received_at)).total_seconds() / 60)
    return {
        "item": item,
        "case_id": int(case.id),
        "outcome": decision.outcome,
        "decision_id": int(decision.id),
        "acted_at": iso(acted_at),
        "minutes": round(minutes, 1),
        "in_time": acted_at <= as_utc(order.deadline_at),
    }


# --- acting on an order's cases ----------------------------------------------------------------


def record_action(session: Session, case: Case, decision: Decision) -> None:
    """A primary decision (not escalate) on a case of an order: record it on every open order
    naming the case, and complete those whose every item is acted on. Called by
    raqib.review.decisions.decide in the decision's transaction."""
    for order in session.scalars(select(RemovalOrder).where(RemovalOrder.state == "open")):
        records = list(order.items or [])
        changed = False
        for index, record in enumerate(records):
            if record.get("case_id") == case.id and record.get("outcome") is None:
                records[index] = _record(str(record["item"]), case, order, decision)
                changed = True
        if changed:
            order.items = records  # a new list: the JSON column sees the change
            session.flush()
            _complete_if_done(session, order, decision.reviewer)


def _complete_if_done(session: Session, order: RemovalOrder, actor: str) -> None:
    records = list(order.items or [])
    if order.state != "open" or any(r.get("outcome") is None for r in records):
        return
    order.state = "complete"
    order.completed_at = utcnow()
    session.flush()
    details = {
        "reference": order.reference,
        "completed_at": iso(order.completed_at),
        "items": [
            {k: r.get(k) for k in ("item", "case_id", "outcome", "minutes", "in_time")}
            for r in records
        ],
    }
    audit.append(session, actor, "order.complete", "order", order.id, details)


# --- reading -----------------------------------------------------------------------------------


def get_order(session: Session, order_id: int) -> OrderView:
    order = session.get(RemovalOrder, order_id)
    if order is None:
        raise NotFoundError(f"no removal order {order_id}")
    return _view(session, order)


def list_orders(session: Session, state: str | None = None, limit: int = 100) -> list[OrderView]:
    """Orders, open ones first (earliest deadline first), then the rest newest first."""
    if state is not None and state not in STATES:
        raise InputError(f"unknown order state {state!r}; use one of: {', '.join(STATES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be from 1 to {MAX_LIMIT}")
    query = select(RemovalOrder)
    if state is not None:
        query = query.where(RemovalOrder.state == state)
    query = query.order_by(
        RemovalOrder.state != "open", RemovalOrder.deadline_at, RemovalOrder.id.desc()
    )
    return [_view(session, order) for order in session.scalars(query.limit(limit))]


def _view(session: Session, order: RemovalOrder) -> OrderView:
    records = list(order.items or [])
    ids = [int(r["case_id"]) for r in records]
    states = dict(session.execute(select(Case.id, Case.state).where(Case.id.in_(ids))).all())
    return OrderView(
        id=int(order.id),
        authority=order.authority,
        reference=order.reference,
        received_at=as_utc(order.received_at),
        deadline_at=as_utc(order.deadline_at),
        entered_by=order.entered_by,
        state=order.state,
        completed_at=as_utc_or_none(order.completed_at),
        created_at=as_utc(order.created_at),
        items=tuple(_item_view(r, states.get(int(r["case_id"]))) for r in records),
    )


def _item_view(record: dict[str, Any], case_state: str | None) -> OrderItem:
    acted = record.get("acted_at")
    return OrderItem(
        item=str(record["item"]),
        case_id=int(record["case_id"]),
        case_state=case_state,
        outcome=record.get("outcome"),
        decision_id=record.get("decision_id"),
        acted_at=as_utc(datetime.fromisoformat(acted)) if isinstance(acted, str) else None,
        minutes=record.get("minutes"),
        in_time=record.get("in_time"),
    )
