"""The action outbox: actions owed to the platform (decision webhooks), written in the same
transaction as the decision that owes them, so an action exists exactly when its decision does.

A row is `pending` until the delivery worker (raqib.review.delivery) gets a 2xx for it
(`delivered`) or gives up after the configured number of attempts (`failed`). A failed row stays
listed until someone retries it (`retry`), which is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit
from raqib.store.models import as_utc as _utc
from raqib.store.models import as_utc_or_none as _utc_or_none
from raqib.store.models import utcnow
from raqib.store.models_service import OutboxAction

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
STATES = (PENDING, DELIVERED, FAILED)
MAX_KEY_LENGTH = 64  # the idempotency_key column's width
MAX_LIMIT = 1000


@dataclass(frozen=True)
class DeliveryView:
    """One outbox row as the API, CLI and console show it."""

    id: int
    decision_id: int | None
    kind: str
    target: str
    idempotency_key: str
    state: str
    attempts: int
    next_attempt_at: datetime
    leased_until: datetime | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "decision_id": self.decision_id,
            "kind": self.kind,
            "target": self.target,
            "idempotency_key": self.idempotency_key,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "leased_until": _iso(self.leased_until),
            "last_error": self.last_error,
            "created_at": _iso(self.created_at),
            "delivered_at": _iso(self.delivered_at),
            "payload": self.payload,
        }


def enqueue(
    session: Session,
    decision_id: int | None,
    target: str,
    payload: dict[str, Any],
    idempotency_key: str,
) -> int:
    """Add a pending webhook action, due now, in the caller's transaction; returns its id."""
    if not target.startswith(("http://", "https://")):
        raise InputError(f"webhook target must be an http(s) URL, got {target!r}")
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise InputError(f"idempotency key must be 1 to {MAX_KEY_LENGTH} characters")
    taken = select(OutboxAction.id).where(OutboxAction.idempotency_key == idempotency_key)
    if session.scalar(taken) is not None:
        raise ConflictError(f"an action with idempotency key {idempotency_key!r} already exists")
    row = OutboxAction(
        decision_id=decision_id,
        kind="webhook",
        target=target,
        payload=payload,
        idempotency_key=idempotency_key,
        state=PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
    )
    session.add(row)
    session.flush()
    return int(row.id)


def list_deliveries(
    session: Session, state: str | None = None, limit: int = 100, after_id: int = 0
) -> list[DeliveryView]:
    """Outbox rows in id order after `after_id` (for paging), optionally of one state."""
    if state is not None and state not in STATES:
        raise InputError(f"unknown delivery state {state!r}; use one of {', '.join(STATES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT}")
    query = select(OutboxAction).where(OutboxAction.id > after_id)
    if state is not None:
        query = query.where(OutboxAction.state == state)
    rows = session.scalars(query.order_by(OutboxAction.id).limit(limit))
    return [_view(row) for row in rows]


def get_delivery(session: Session, delivery_id: int) -> DeliveryView:
    """One outbox row; NotFoundError when there is none."""
    row = session.get(OutboxAction, delivery_id)
    if row is None:
        raise NotFoundError(f"no delivery {delivery_id}")
    return _view(row)


def retry(session: Session, delivery_id: int, actor: str) -> DeliveryView:
    """Make a failed delivery pending and due now (its attempt count is kept, so it gets one
    more attempt before it is failed again), and audit "delivery.retry". Use a write session."""
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(OutboxAction)
            .where(OutboxAction.id == delivery_id, OutboxAction.state == FAILED)
            .values(state=PENDING, next_attempt_at=utcnow(), leased_until=None)
            .execution_options(synchronize_session=False)
        ),
    )
    if moved.rowcount != 1:
        current = get_delivery(session, delivery_id)  # NotFoundError when missing
        raise ConflictError(f"delivery {delivery_id} is {current.state}; only a failed one retries")
    session.expire_all()
    view = get_delivery(session, delivery_id)
    audit.append(
        session,
        actor,
        "delivery.retry",
        "delivery",
        delivery_id,
        {"idempotency_key": view.idempotency_key, "attempts": view.attempts},
    )
    return view


def counts(session: Session) -> dict[str, int]:
    """How many rows are in each state (every state present, zero when none)."""
    totals = dict.fromkeys(STATES, 0)
    query = select(OutboxAction.state, func.count()).group_by(OutboxAction.state)
    for state, count in session.execute(query):
        totals[str(state)] = int(count)
    return totals


def _view(row: OutboxAction) -> DeliveryView:
    return DeliveryView(
        id=int(row.id),
        decision_id=None if row.decision_id is None else int(row.decision_id),
        kind=row.kind,
        target=row.target,
        idempotency_key=row.idempotency_key,
        state=row.state,
        attempts=int(row.attempts),
        next_attempt_at=_utc(row.next_attempt_at),
        leased_until=_utc_or_none(row.leased_until),
        last_error=row.last_error,
        created_at=_utc(row.created_at),
        delivered_at=_utc_or_none(row.delivered_at),
        payload=dict(row.payload or {}),
    )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else _utc(at).isoformat()
