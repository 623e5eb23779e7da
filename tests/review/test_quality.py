"""Quality checks: second reviews by another reviewer, golden cases, agreement rates."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from raqib.config import Settings
from raqib.errors import ConflictError, InputError
from raqib.review import audit, quality
from raqib.review.cases import open_case
from raqib.review.claims import claim, next_case
from raqib.review.decisions import appeal, decide, export_decisions
from raqib.review.queues import create_queue, create_rule, delete_rule
from raqib.store.db import Database
from raqib.store.models_service import Case, Decision, DisplaySettings, OutboxAction, Strike

ALICE, BOB, CAROL, LEAD = "user:alice", "user:bob", "user:carol", "user:lead"


@pytest.fixture
def hooked(settings: Settings) -> Settings:
    """Settings with a webhook, so a decision that acts writes an outbox row."""
    return replace(settings, webhook_url="http://127.0.0.1:9/hook", webhook_secret="s" * 24)


def _open(database: Database, n: int, tier: int = 2) -> int:
    finding = {
        "item": {"id": str(n), "source": "post", "path": f"synthetic test post {n}"},
        "matches": [],
        "verdict": {"tier": tier, "recommended": "review", "reasons": []},
    }
    meta = {
        "platform": "forum",
        "external_id": f"post-{n}",
        "author_id": f"author-{n}",
        "url": f"https://forum.example/p/{n}",
    }
    with database.session(write=True) as session:
        return open_case(session, finding, meta, "key:1").id


def _share(database: Database, share: float) -> None:
    with database.session(write=True) as session:
        quality.set_second_review_share(session, share, LEAD)


def _work(
    database: Database,
    settings: Settings,
    actor: str,
    outcome: str = "remove",
    reason: str = "incitement",
    queue: str = "default",
) -> tuple[int, str] | None:
    """The actor takes the next case of the queue and decides it: (case id, review kind)."""
    with database.session(write=True) as session:
        case = next_case(session, queue, actor, 600)
        if case is None:
            return None
        decision = decide(session, case.id, actor, outcome, reason, "synthetic note", settings)
        kind = session.get_one(Decision, decision.id).review_kind
    return case.id, kind


def _count(database: Database, model: type[OutboxAction] | type[Strike]) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_picked_decision_goes_to_a_different_reviewer_and_sends_nothing_more(
    database: Database, hooked: Settings
) -> None:
    _share(database, 1.0)
    case_id = _open(database, 1)
    assert _work(database, hooked, ALICE) == (case_id, "primary")
    with database.session() as session:
        case = session.get_one(Case, case_id)
        assert (case.state, case.second_review) == ("decided", "wanted")
    assert (_count(database, OutboxAction), _count(database, Strike)) == (1, 1)
    # the primary decider never gets it back
    assert _work(database, hooked, ALICE) is None
    with database.session(write=True) as session, pytest.raises(ConflictError, match="another"):
        claim(session, case_id, ALICE, 600)
    # another reviewer does, disagrees, and nothing more is sent or struck
    assert _work(database, hooked, BOB, "keep", "news_reporting") == (case_id, "second")
    assert (_count(database, OutboxAction), _count(database, Strike)) == (1, 1)
    assert _work(database, hooked, CAROL) is None
    with database.session() as session:
        case = session.get_one(Case, case_id)
        assert (case.state, case.second_review) == ("decided", "done")
        [event] = audit.events(session, verb="case.second_review")
        report = quality.agreement_rates(session)
        record = quality.case_quality(session, case_id)
        [disagreement] = quality.disagreements(session)
    assert (event.actor, event.details["agree"], event.details["primary_outcome"]) == (
        BOB,
        False,
        "remove",
    )
    by_reviewer = {r.reviewer: r for r in report.reviewers}
    assert by_reviewer[ALICE].checked.as_dict() == {"total": 1, "agreed": 0, "rate": 0.0}
    assert by_reviewer[BOB].second.total == 1 and by_reviewer[BOB].checked.total == 0
    assert {r.reason_code: r.checked.total for r in report.reasons} == {"incitement": 1}
    assert record.disagreement and record.second_review == "done"
    assert (disagreement.case_id, disagreement.primary_reviewer) == (case_id, ALICE)


def test_an_agreeing_second_review_counts_as_agreement(
    database: Database, settings: Settings
) -> None:
    _share(database, 1.0)
    _open(database, 1)
    _work(database, settings, ALICE)
    _work(database, settings, BOB)
    with database.session() as session:
        report = quality.agreement_rates(session)
        [event] = audit.events(session, verb="case.second_review")
        assert quality.disagreements(session) == []
    assert event.details["agree"] is True
    assert report.second.as_dict() == {"total": 1, "agreed": 1, "rate": 1.0}


def test_share_zero_and_escalations_ask_for_no_second_review(
    database: Database, settings: Settings
) -> None:
    _share(database, 0.0)
    first = _open(database, 1)
    assert _work(database, settings, ALICE) == (first, "primary")
    _share(database, 1.0)
    second = _open(database, 2)
    assert _work(database, settings, ALICE, "escalate", "legal_review") == (second, "primary")
    with database.session() as session:
        reviews = dict(session.execute(select(Case.id, Case.second_review)).all())
    assert reviews == {first: "none", second: "none"}
    assert _work(database, settings, BOB, "remove") == (second, "primary")


def test_the_share_is_kept_beside_other_org_settings_and_checked(database: Database) -> None:
    with database.session(write=True) as session:
        assert quality.second_review_share(session) == quality.DEFAULT_SHARE
        session.add(DisplaySettings(scope="org", settings={"blur_px": 12}))
    _share(database, 0.25)
    with database.session(write=True) as session:
        assert quality.second_review_share(session) == 0.25
        assert session.get_one(DisplaySettings, "org").settings == {
            "blur_px": 12,
            "second_review_share": 0.25,
        }
        with pytest.raises(InputError, match="from 0 to 1"):
            quality.set_second_review_share(session, 1.5, LEAD)
    picked = sum(quality.picked_for_second_review(i, 0.5) for i in range(1, 1001))
    assert 400 < picked < 600
    assert quality.picked_for_second_review(7, 0.5) == quality.picked_for_second_review(7, 0.5)


def test_a_golden_case_is_scored_and_sends_nothing(database: Database, hooked: Settings) -> None:
    _share(database, 0.0)
    with database.session(write=True) as session:
        create_queue(session, "forum-queue", LEAD)
        rule = create_rule(session, "forum-queue", {"platform": "forum"}, LEAD)
    source = _open(database, 1)
    with database.session(write=True) as session:
        delete_rule(session, rule.id, LEAD)  # the copy keeps the source's queue all the same
        with pytest.raises(ConflictError, match="not decided"):
            quality.make_golden(session, source, "remove", LEAD)
    _work(database, hooked, ALICE, queue="forum-queue")
    sent, struck = _count(database, OutboxAction), _count(database, Strike)
    with database.session(write=True) as session:
        with pytest.raises(InputError, match="unknown outcome"):
            quality.make_golden(session, source, "delete", LEAD)
        golden = quality.make_golden(session, source, "remove", LEAD)
    assert (golden.queue, golden.state, golden.origin, golden.author_id) == (
        "forum-queue",
        "open",
        "golden",
        None,
    )
    with (
        database.session(write=True) as session,
        pytest.raises(ConflictError, match="itself a golden"),
    ):
        quality.make_golden(session, golden.id, "remove", LEAD)
    assert _work(database, hooked, BOB, "keep", "unrelated", "forum-queue") == (golden.id, "golden")
    assert (_count(database, OutboxAction), _count(database, Strike)) == (sent, struck)
    with database.session(write=True) as session:
        case = session.get_one(Case, golden.id)
        assert (case.state, case.golden_outcome, case.cluster) == ("decided", "remove", None)
        [answer] = audit.events(session, verb="case.golden_answer")
        [listed] = quality.list_golden(session)
        report = quality.agreement_rates(session)
        with pytest.raises(ConflictError):
            appeal(session, golden.id, "key:2", "synthetic appeal")
    assert answer.details["correct"] is False and answer.actor == BOB
    assert (listed.case_id, listed.answer, listed.correct) == (golden.id, "keep", False)
    assert {r.reviewer: r.golden.total for r in report.reviewers} == {BOB: 1}
    assert report.golden.as_dict() == {"total": 1, "agreed": 0, "rate": 0.0}


def test_golden_candidates_are_decided_cases_with_their_outcome(
    database: Database, settings: Settings
) -> None:
    _share(database, 0.0)
    first, second = _open(database, 1), _open(database, 2)
    _work(database, settings, ALICE, "keep", "counter_speech")
    with database.session() as session:
        [candidate] = quality.golden_candidates(session)
    assert (candidate.outcome, candidate.reason_code, candidate.reviewer) == (
        "keep",
        "counter_speech",
        ALICE,
    )
    assert candidate.case_id in {first, second}


def test_an_appeal_clears_a_pending_second_review(database: Database, settings: Settings) -> None:
    _share(database, 1.0)
    case_id = _open(database, 1)
    _work(database, settings, ALICE)
    with database.session(write=True) as session:
        appeal(session, case_id, "key:2", "synthetic appeal reason")
        assert session.get_one(Case, case_id).second_review == "none"
    assert _work(database, settings, ALICE) is None  # an appeal needs another reviewer
    assert _work(database, settings, BOB, "keep", "news_reporting") == (case_id, "primary")
    with database.session() as session:
        case = session.get_one(Case, case_id)
        decisions = list(session.scalars(select(Decision).order_by(Decision.id)))
    assert case.second_review == "wanted" and decisions[-1].on_appeal
    # the appeal's second review goes to someone who made neither primary decision
    assert _work(database, settings, ALICE) is None
    assert _work(database, settings, CAROL, "keep", "news_reporting") == (case_id, "second")


def test_the_export_names_each_decision_kind(database: Database, settings: Settings) -> None:
    _share(database, 1.0)
    _open(database, 1)
    _work(database, settings, ALICE)
    _work(database, settings, BOB)
    with database.session() as session:
        rows = list(csv.DictReader(io.StringIO("".join(export_decisions(session, "csv")))))
    assert [row["review_kind"] for row in rows] == ["primary", "second"]
