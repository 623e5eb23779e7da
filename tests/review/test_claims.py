"""Claims: exclusive under races, expiring, skipping and resuming; next_case by priority."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit
from raqib.review.cases import CaseView, case_view, open_case
from raqib.review.claims import claim, escalate, next_case, reassign, release
from raqib.review.queues import create_queue, create_rule
from raqib.store.db import Database
from raqib.store.models_service import Case

ALICE, BOB, CAROL = "user:alice", "user:bob", "user:carol"


def _open(database: Database, n: int, tier: int | None = 2, platform: str = "forum") -> int:
    finding = {
        "item": {"id": str(n), "source": "post", "path": f"synthetic test post {n}"},
        "matches": [],
        "verdict": {"tier": tier, "recommended": "review", "reasons": []},
    }
    meta = {"platform": platform, "external_id": f"p{n}"}
    with database.session(write=True) as session:
        return open_case(session, finding, meta, "key:1").id


def _expire_claim(database: Database, case_id: int) -> None:
    with database.session() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(Case).where(Case.id == case_id).values(claim_expires_at=past))


def _claim(session: Session, actor: str, case_id: int) -> CaseView:
    return claim(session, case_id, actor, 600)


def _race(database: Database, work: Callable[[Session, str], Any]) -> dict[str, Any]:
    """Run `work` for two reviewers at once, each in its own write transaction, which stays
    open a moment after the work so that the other's work overlaps it."""
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def run(actor: str) -> None:
        barrier.wait()
        try:
            with database.session(write=True) as session:
                results[actor] = work(session, actor)
                time.sleep(0.1)
        except Exception as exc:  # the outcome under test
            results[actor] = exc

    threads = [threading.Thread(target=run, args=(a,)) for a in (ALICE, BOB)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_claim_is_exclusive_and_names_the_holder(database: Database) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        view = claim(session, case_id, ALICE, 600)
    assert view.claimed_by == ALICE and view.claim_expires_at is not None
    with database.session(write=True) as session, pytest.raises(ConflictError, match=ALICE):
        claim(session, case_id, BOB, 600)
    with database.session(write=True) as session:
        again = claim(session, case_id, ALICE, 900)  # the holder extends
    assert again.claim_expires_at is not None and again.claim_expires_at > view.claim_expires_at
    with database.session() as session:
        claims = audit.events(session, verb="case.claim")
    assert [(e.actor, e.object_id) for e in claims] == [(ALICE, str(case_id))] * 2


def test_claim_checks_its_arguments(database: Database) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        with pytest.raises(NotFoundError):
            claim(session, 999, ALICE, 60)
        with pytest.raises(InputError, match="seconds"):
            claim(session, case_id, ALICE, 0)


def test_two_reviewers_racing_for_one_case_one_wins(database: Database) -> None:
    for n in range(3):
        case_id = _open(database, n)
        results = _race(database, partial(_claim, case_id=case_id))
        winners = [a for a, r in results.items() if isinstance(r, CaseView)]
        losers = [r for r in results.values() if isinstance(r, ConflictError)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert f"claimed by {winners[0]}" in str(losers[0])
        with database.session() as session:
            assert case_view(session, case_id).claimed_by == winners[0]
            assert audit.verify(session).ok


def test_two_reviewers_asking_next_of_a_one_case_queue_one_gets_it(database: Database) -> None:
    with database.session(write=True) as session:
        create_queue(session, "solo", "user:lena")
        create_rule(session, "solo", {"platform": "solo"}, "user:lena")
    for n in range(3):
        case_id = _open(database, n, platform="solo")
        results = _race(database, lambda session, actor: next_case(session, "solo", actor, 600))
        got = [r for r in results.values() if isinstance(r, CaseView)]
        assert len(got) == 1 and got[0].id == case_id, results
        assert list(results.values()).count(None) == 1
        with database.session(write=True) as session:  # clear it for the next round
            release(session, case_id, got[0].claimed_by or "")
            session.execute(update(Case).where(Case.id == case_id).values(state="decided"))


def test_an_expired_claim_can_be_taken(database: Database) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        claim(session, case_id, ALICE, 600)
    _expire_claim(database, case_id)
    with database.session() as session:
        assert case_view(session, case_id).claimed_by is None  # shown as free
    with database.session(write=True) as session:
        assert claim(session, case_id, BOB, 600).claimed_by == BOB


def test_next_case_takes_the_top_priority_then_the_oldest(database: Database) -> None:
    low = _open(database, 1, tier=3)
    old_high = _open(database, 2, tier=1)
    new_high = _open(database, 3, tier=1)
    order = []
    for actor in (ALICE, BOB, CAROL, "user:dan"):
        with database.session(write=True) as session:
            got = next_case(session, "default", actor, 600)
            order.append(got.id if got else None)
    assert order == [old_high, new_high, low, None]


def test_next_case_resumes_a_held_claim_and_skips_excluded(database: Database) -> None:
    first, second = _open(database, 1, tier=1), _open(database, 2, tier=2)
    with database.session(write=True) as session:
        assert next_case(session, "default", ALICE, 600).id == first  # type: ignore[union-attr]
        assert next_case(session, "default", ALICE, 600).id == first  # type: ignore[union-attr]
        release(session, first, ALICE)  # skip it
        got = next_case(session, "default", ALICE, 600, exclude=[first])
        with pytest.raises(NotFoundError):
            next_case(session, "nope", ALICE, 600)
    assert got is not None and got.id == second


def test_release_needs_the_claim(database: Database) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        claim(session, case_id, ALICE, 600)
    with database.session(write=True) as session, pytest.raises(ConflictError, match="no claim"):
        release(session, case_id, BOB)
    with database.session(write=True) as session:
        assert release(session, case_id, ALICE).claimed_by is None
        assert claim(session, case_id, BOB, 600).claimed_by == BOB


def test_an_assigned_case_is_only_for_its_assignee(database: Database) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        claim(session, case_id, ALICE, 600)
        view = reassign(session, case_id, CAROL, "user:lena")
    assert view.assigned_to == CAROL and view.claimed_by is None
    with database.session(write=True) as session, pytest.raises(ConflictError, match=CAROL):
        claim(session, case_id, ALICE, 600)
    with database.session(write=True) as session:
        assert next_case(session, "default", BOB, 600) is None
        assert next_case(session, "default", CAROL, 600).id == case_id  # type: ignore[union-attr]
        with pytest.raises(InputError, match="kind:name"):
            reassign(session, case_id, "carol", "user:lena")
    with database.session() as session:
        events = audit.events(session, verb="case.reassign")
    assert [(e.actor, e.details["to"]) for e in events] == [("user:lena", CAROL)]


def test_escalate_flags_and_assigns_but_not_over_anothers_claim(database: Database) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        claim(session, case_id, ALICE, 600)
    with database.session(write=True) as session, pytest.raises(ConflictError, match=ALICE):
        escalate(session, case_id, CAROL, BOB, "synthetic note")
    with database.session(write=True) as session:
        view = escalate(session, case_id, CAROL, ALICE, "needs a specialist")
    assert view.escalated and view.assigned_to == CAROL and view.claimed_by is None
    with database.session() as session:
        event = audit.events(session, verb="case.escalate")[0]
    assert event.actor == ALICE and event.details == {"to": CAROL, "note": "needs a specialist"}
