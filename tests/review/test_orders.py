"""Removal orders: items become top-priority cases due an hour after receipt; the order
completes when every item is acted on, with each item's outcome and time to action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.review import audit, quality
from raqib.review.cases import open_case
from raqib.review.claims import claim, next_case
from raqib.review.decisions import decide
from raqib.review.orders import DEADLINE, ORDER_PRIORITY, enter_order, get_order, list_orders
from raqib.review.queues import create_queue, create_rule
from raqib.store.db import Database
from raqib.store.models import as_utc
from raqib.store.models_service import Case, Decision

ALICE, LEAD = "user:alice", "user:lead"


def _open(database: Database, n: int, tier: int = 3) -> int:
    finding = {
        "item": {"id": str(n), "source": "post", "path": f"synthetic test post {n}"},
        "matches": [],
        "verdict": {"tier": tier, "recommended": "review", "reasons": []},
    }
    meta = {"platform": "forum", "external_id": f"post-{n}", "url": f"https://forum.example/p/{n}"}
    with database.session(write=True) as session:
        return open_case(session, finding, meta, "key:1").id


def _decide(
    database: Database, settings: Settings, case_id: int, outcome: str, reason: str
) -> None:
    with database.session(write=True) as session:
        claim(session, case_id, ALICE, 600)
        decide(session, case_id, ALICE, outcome, reason, "synthetic note", settings)


def _enter(database: Database, settings: Settings, items: list[str], minutes_ago: int = 10) -> int:
    received = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    with database.session(write=True) as session:
        order = enter_order(
            session, "Synthetic Authority", "REF-1", items, received, LEAD, settings
        )
    return order.id


@pytest.fixture(autouse=True)
def _no_second_reviews(database: Database) -> None:
    with database.session(write=True) as session:
        quality.set_second_review_share(session, 0.0, LEAD)


def test_items_become_top_priority_cases_and_the_order_completes(
    database: Database, settings: Settings
) -> None:
    urgent, listed, removed = _open(database, 1, tier=1), _open(database, 2), _open(database, 3)
    _decide(database, settings, removed, "remove", "incitement")
    with database.session(write=True) as session:
        create_queue(session, "tco", LEAD)
        create_rule(session, "tco", {}, LEAD)  # takes every new case, as the order's new one
    received = datetime.now(UTC) - timedelta(minutes=10)
    items = ["https://forum.example/p/2", "post-3", "https://elsewhere.example/x", "post-3", " "]
    with database.session(write=True) as session:
        order = enter_order(
            session, "Synthetic Authority", "REF-1", items, received, LEAD, settings
        )
    assert [i.item for i in order.items] == items[:3]
    assert (order.state, order.deadline_at) == ("open", received + DEADLINE)
    taken, done, new = order.items
    assert taken.case_id == listed and taken.outcome is None
    assert (done.case_id, done.outcome, done.in_time) == (removed, "remove", True)
    assert 9.5 <= (done.minutes or 0) <= 11  # acted on (decided) ten minutes after receipt
    with database.session() as session:
        case = session.get_one(Case, listed)
        fresh = session.get_one(Case, new.case_id)
        [entered] = audit.events(session, verb="order.enter")
    assert (case.removal_order_id, case.priority) == (order.id, ORDER_PRIORITY)
    assert as_utc(case.deadline_at) == received + DEADLINE  # type: ignore[arg-type]
    assert (fresh.origin, fresh.url, fresh.removal_order_id) == (
        "order",
        "https://elsewhere.example/x",
        order.id,
    )
    assert "REF-1" in (fresh.reason or "") and entered.details["reference"] == "REF-1"
    # the order's case comes before a more severe ordinary case
    with database.session(write=True) as session:
        first = next_case(session, "default", ALICE, 600)
    assert first is not None and first.id == listed != urgent
    with database.session(write=True) as session:
        decide(session, listed, ALICE, "remove", "threat", "", settings)
    assert get_order_state(database, order.id) == "open"
    _decide(database, settings, new.case_id, "keep", "insufficient_evidence")
    with database.session() as session:
        finished = get_order(session, order.id)
        [completed] = audit.events(session, verb="order.complete")
    assert finished.state == "complete" and finished.completed_at is not None
    outcomes = [(i.case_id, i.outcome, i.in_time) for i in finished.items]
    assert outcomes == [
        (listed, "remove", True),
        (removed, "remove", True),
        (new.case_id, "keep", True),
    ]
    assert 9.5 <= (finished.items[0].minutes or 0) <= 11
    assert completed.details["items"][2]["outcome"] == "keep"


def get_order_state(database: Database, order_id: int) -> str:
    with database.session() as session:
        return get_order(session, order_id).state


def test_an_escalation_does_not_act_on_an_order(database: Database, settings: Settings) -> None:
    case_id = _open(database, 1)
    order_id = _enter(database, settings, ["post-1"])
    _decide(database, settings, case_id, "escalate", "legal_review")
    with database.session() as session:
        [item] = get_order(session, order_id).items
    assert (item.outcome, item.case_state) == (None, "open")


def test_an_order_of_items_already_removed_completes_at_once(
    database: Database, settings: Settings
) -> None:
    case_id = _open(database, 1)
    _decide(database, settings, case_id, "preserve", "instruction")
    with database.session() as session:  # decided well before the order came in
        earlier = datetime.now(UTC) - timedelta(hours=2)
        session.execute(update(Decision).values(created_at=earlier))
    order_id = _enter(database, settings, ["https://forum.example/p/1"])
    with database.session() as session:
        order = get_order(session, order_id)
        assert session.get_one(Case, case_id).removal_order_id == order_id
    assert order.state == "complete" and order.completed_at is not None
    assert (order.items[0].outcome, order.items[0].minutes) == ("preserve", 0)


def test_orders_sort_by_deadline_and_golden_copies_are_not_items(
    database: Database, settings: Settings
) -> None:
    later, sooner, source = _open(database, 1), _open(database, 2), _open(database, 3)
    _decide(database, settings, source, "keep", "unrelated")
    with database.session(write=True) as session:
        golden = quality.make_golden(session, source, "keep", LEAD)
    first = _enter(database, settings, ["post-1"], minutes_ago=5)
    second = _enter(database, settings, ["post-2", "post-3"], minutes_ago=30)
    with database.session(write=True) as session:
        taken = next_case(session, "default", ALICE, 600)
        order = get_order(session, second)
        listed = list_orders(session)
    assert taken is not None and taken.id == sooner
    # post-3's case was decided "keep": the order gets a new case, not the golden copy
    assert order.items[1].case_id not in {source, golden.id}
    assert [o.id for o in listed] == [second, first] and later != sooner
    assert -31 < order.minutes_left() < 31


def test_bad_orders_are_refused(database: Database, settings: Settings) -> None:
    now = datetime.now(UTC)
    with database.session(write=True) as session:
        with pytest.raises(InputError, match="1 to 500 items"):
            enter_order(session, "Authority", "REF", [" ", ""], now, LEAD, settings)
        with pytest.raises(InputError, match="future"):
            enter_order(
                session, "Authority", "REF", ["post-1"], now + timedelta(hours=2), LEAD, settings
            )
        with pytest.raises(InputError, match="authority"):
            enter_order(session, " ", "REF", ["post-1"], now, LEAD, settings)
        with pytest.raises(NotFoundError):
            get_order(session, 999)
        with pytest.raises(InputError, match="order state"):
            list_orders(session, state="late")
