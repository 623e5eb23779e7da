"""The outbox table's API: enqueue in the caller's transaction, listing and paging, counts, and
the rules of retry (only a failed delivery retries). Sending is tested in test_delivery.py."""

from __future__ import annotations

import json

import pytest

from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit, outbox
from raqib.store.db import Database

TARGET = "http://127.0.0.1:9/hook"


def _payload(n: int) -> dict[str, object]:
    return {"event": "decision", "decision_id": n, "note": f"synthetic test decision {n}"}


def _enqueue(database: Database, count: int) -> list[int]:
    with database.session(write=True) as session:
        return [
            outbox.enqueue(session, None, TARGET, _payload(n), f"decision-{n}")
            for n in range(1, count + 1)
        ]


def test_enqueued_actions_are_pending_and_listed(database: Database) -> None:
    ids = _enqueue(database, 3)
    with database.session() as session:
        listed = outbox.list_deliveries(session)
        pending = outbox.list_deliveries(session, state="pending")
        totals = outbox.counts(session)
    assert [d.id for d in listed] == ids == [d.id for d in pending]
    first = listed[0]
    assert (first.state, first.attempts, first.target) == ("pending", 0, TARGET)
    assert first.idempotency_key == "decision-1" and first.payload == _payload(1)
    assert first.delivered_at is None and first.leased_until is None
    assert first.created_at.tzinfo is not None
    assert totals == {"pending": 3, "delivered": 0, "failed": 0}
    record = json.loads(json.dumps(first.as_dict()))
    assert record["state"] == "pending" and record["payload"]["decision_id"] == 1
    assert record["created_at"].endswith("+00:00") and record["delivered_at"] is None


def test_enqueue_belongs_to_the_callers_transaction(database: Database) -> None:
    with pytest.raises(RuntimeError), database.session(write=True) as session:
        outbox.enqueue(session, None, TARGET, _payload(1), "decision-1")
        raise RuntimeError("the decision failed after its action was queued")
    with database.session() as session:
        assert outbox.counts(session)["pending"] == 0


def test_enqueue_rejects_bad_targets_keys_and_repeats(database: Database) -> None:
    _enqueue(database, 1)
    with database.session(write=True) as session:
        with pytest.raises(InputError, match="http"):
            outbox.enqueue(session, None, "ftp://example.invalid/x", _payload(2), "decision-2")
        with pytest.raises(InputError, match="idempotency key"):
            outbox.enqueue(session, None, TARGET, _payload(2), "k" * 65)
        with pytest.raises(ConflictError, match="decision-1"):
            outbox.enqueue(session, None, TARGET, _payload(1), "decision-1")
    with database.session() as session:
        assert len(outbox.list_deliveries(session)) == 1


def test_listing_pages_and_checks_its_arguments(database: Database) -> None:
    ids = _enqueue(database, 5)
    with database.session() as session:
        page_one = outbox.list_deliveries(session, limit=2)
        page_two = outbox.list_deliveries(session, limit=2, after_id=page_one[-1].id)
        rest = outbox.list_deliveries(session, limit=2, after_id=page_two[-1].id)
        assert outbox.list_deliveries(session, state="delivered") == []
        with pytest.raises(InputError, match="state"):
            outbox.list_deliveries(session, state="lost")
        with pytest.raises(InputError, match="limit"):
            outbox.list_deliveries(session, limit=0)
    assert [d.id for d in page_one + page_two + rest] == ids


def test_only_a_failed_delivery_retries(database: Database) -> None:
    (delivery_id,) = _enqueue(database, 1)
    with database.session(write=True) as session:
        with pytest.raises(ConflictError, match="pending"):
            outbox.retry(session, delivery_id, "user:alice")
        with pytest.raises(NotFoundError):
            outbox.retry(session, delivery_id + 100, "user:alice")
        with pytest.raises(NotFoundError):
            outbox.get_delivery(session, delivery_id + 100)
    with database.session() as session:
        assert audit.events(session, verb="delivery.retry") == []
        assert outbox.get_delivery(session, delivery_id).state == "pending"
