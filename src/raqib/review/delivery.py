"""The delivery worker: sends due outbox rows to their webhook and records what happened.

Each row goes through three steps, none of which holds a transaction open across the network:

1. lease: in a short write transaction, a conditional UPDATE takes one row that is pending, due
   and not leased (or whose lease has run out), setting `leased_until` and counting the attempt;
2. send: a signed POST with httpx, outside any transaction;
3. record: in a new short transaction, only while the lease is still ours (`leased_until` still
   holds the value we set, which serves as a fencing token): delivered on any 2xx, otherwise a
   retry after an exponential backoff with jitter, or failed after `webhook_max_attempts`.

A worker that dies between 1 and 3 (SIGKILL, power loss) leaves the row pending with a lease
that expires, after which any worker sends it again: delivery is at least once, and receivers
drop repeats by the Idempotency-Key header.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, cast

import httpx
from sqlalchemy import ColumnElement, CursorResult, Update, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import InputError, RaqibError
from raqib.review import webhooks
from raqib.review.outbox import DELIVERED, FAILED, PENDING
from raqib.store.db import Database
from raqib.store.models import utcnow
from raqib.store.models_service import OutboxAction

logger = logging.getLogger(__name__)

LEASE_FACTOR = 2.0  # a lease lasts this many request timeouts
MAX_ERROR_CHARS = 500  # last_error is cut to this length
RESPONSE_EXCERPT_BYTES = 200  # how much of a non-2xx response body last_error keeps
_CANDIDATES = 8  # due rows looked at per lease attempt (others may win some of them)
_MAX_DOUBLINGS = 40  # beyond this the cap decides anyway; keeps 2**n a sane float


@dataclass(frozen=True)
class DeliveryRound:
    """What one `run_once` did: rows delivered, rescheduled for a retry, and given up on."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.retried + self.failed

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retried": self.retried, "failed": self.failed}


@dataclass(frozen=True)
class _Lease:
    id: int
    target: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int  # 1 for the first send
    until: datetime  # the leased_until we wrote: our fencing token


def lease_seconds(settings: Settings) -> float:
    """How long a worker holds a row it is sending: long enough for one request."""
    return settings.webhook_timeout_seconds * LEASE_FACTOR


def backoff_seconds(
    attempt: int, settings: Settings, rand: Callable[[], float] = random.random
) -> float:
    """The wait before the next try after `attempt` failed tries: the base doubled per attempt,
    capped, then scaled by a random factor in [0.5, 1) so that rows that failed together (an
    outage) do not all come back at the same moment."""
    doublings = min(max(attempt - 1, 0), _MAX_DOUBLINGS)
    delay = min(
        settings.webhook_backoff_seconds * 2.0**doublings, settings.webhook_backoff_cap_seconds
    )
    return max(delay, 0.0) * (0.5 + 0.5 * rand())


class Deliverer:
    """Sends the outbox. One per thread or process; any number may run against one database."""

    def __init__(self, database: Database, settings: Settings) -> None:
        if settings.webhook_timeout_seconds <= 0:
            raise InputError("RAQIB_WEBHOOK_TIMEOUT_SECONDS must be a positive number of seconds")
        self.database = database
        self.settings = settings
        self.lease_seconds = lease_seconds(settings)
        self._client = httpx.Client(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False
        )

    def __enter__(self) -> Deliverer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def run_once(self, limit: int = 50, stop: threading.Event | None = None) -> DeliveryRound:
        """Send up to `limit` due rows, one at a time (oldest first); stop early when none is
        due or `stop` is set."""
        counts = {"delivered": 0, "retried": 0, "failed": 0}
        for _ in range(limit):
            if stop is not None and stop.is_set():
                break
            lease = self._lease()
            if lease is None:
                break
            verdict = self._record(lease, self._send(lease))
            if verdict is not None:
                counts[verdict] += 1
        return DeliveryRound(**counts)

    def run(
        self,
        stop: threading.Event,
        idle_seconds: float = 0.5,
        on_round: Callable[[DeliveryRound], None] | None = None,
    ) -> None:
        """Deliver until `stop` is set, waiting `idle_seconds` whenever nothing was due. Database
        errors are logged and retried after the same wait; they never end the loop."""
        while not stop.is_set():
            try:
                done = self.run_once(stop=stop)
            except (RaqibError, SQLAlchemyError):
                logger.exception("webhook delivery round failed; trying again")
                stop.wait(idle_seconds)
                continue
            if done.total and on_round is not None:
                on_round(done)
            if not done.total:
                stop.wait(idle_seconds)

    def _lease(self) -> _Lease | None:
        """Take one due row for this worker, or None when none is free."""
        now = utcnow()
        until = now + timedelta(seconds=self.lease_seconds)
        with self.database.session(write=True) as session:
            candidates = session.scalars(
                select(OutboxAction.id)
                .where(*_due(now))
                .order_by(OutboxAction.id)
                .limit(_CANDIDATES)
            ).all()
            for row_id in candidates:
                taken = _changed(
                    session,
                    update(OutboxAction)
                    .where(OutboxAction.id == row_id, *_due(now))
                    .values(leased_until=until, attempts=OutboxAction.attempts + 1),
                )
                if taken:
                    return _leased(session, int(row_id), until)
        return None

    def _send(self, lease: _Lease) -> str:
        """POST the row; "" on a 2xx, else what went wrong (for last_error)."""
        body = webhooks.encode_body(lease.payload)
        headers = webhooks.signed_headers(
            self.settings.webhook_secret, body, lease.idempotency_key, lease.attempt
        )
        try:
            with self._client.stream("POST", lease.target, content=body, headers=headers) as reply:
                if 200 <= reply.status_code < 300:
                    return ""
                return f"HTTP {reply.status_code}: {_excerpt(reply)}"
        except Exception as exc:  # whatever stops a send is this row's failure, kept on the row
            detail = str(exc)
            return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__

    def _record(self, lease: _Lease, error: str) -> str | None:
        """Write the outcome if the lease is still ours; returns "delivered", "retried",
        "failed", or None when the lease ran out and another worker took the row."""
        now = utcnow()
        values: dict[str, Any] = {"leased_until": None}
        if not error:
            verdict = "delivered"
            values.update(state=DELIVERED, delivered_at=now, last_error="")
        elif lease.attempt >= max(1, self.settings.webhook_max_attempts):
            verdict = "failed"
            values.update(state=FAILED, last_error=error[:MAX_ERROR_CHARS])
        else:
            verdict = "retried"
            wait = timedelta(seconds=backoff_seconds(lease.attempt, self.settings))
            values.update(next_attempt_at=now + wait, last_error=error[:MAX_ERROR_CHARS])
        with self.database.session(write=True) as session:
            written = _changed(
                session,
                update(OutboxAction)
                .where(
                    OutboxAction.id == lease.id,
                    OutboxAction.state == PENDING,
                    OutboxAction.leased_until == lease.until,
                )
                .values(**values),
            )
        if not written:
            logger.warning("lease on delivery %s ran out before its outcome was recorded", lease.id)
            return None
        return verdict


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Pending, due, and not held by a live lease."""
    return (
        OutboxAction.state == PENDING,
        OutboxAction.next_attempt_at <= now,
        or_(OutboxAction.leased_until.is_(None), OutboxAction.leased_until < now),
    )


def _changed(session: Session, statement: Update) -> bool:
    """Run a conditional UPDATE of one row; True when it matched."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def _leased(session: Session, row_id: int, until: datetime) -> _Lease:
    row = session.execute(
        select(
            OutboxAction.target,
            OutboxAction.payload,
            OutboxAction.idempotency_key,
            OutboxAction.attempts,
        ).where(OutboxAction.id == row_id)
    ).one()
    payload = dict(row.payload or {})
    return _Lease(row_id, row.target, payload, row.idempotency_key, int(row.attempts), until)


def _excerpt(reply: httpx.Response) -> str:
    """The start of a response body, read no further than needed."""
    head = b""
    for chunk in reply.iter_bytes():
        head += chunk
        if len(head) >= RESPONSE_EXCERPT_BYTES:
            break
    return head[:RESPONSE_EXCERPT_BYTES].decode("utf-8", "replace").strip()
