"""Decisions, strikes, appeals, webhook actions and the decision export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from case_data import open_post_case
from raqib.config import Settings
from raqib.errors import ConflictError, InputError
from raqib.review import audit
from raqib.review.cases import get_case
from raqib.review.claims import claim, next_case, reassign
from raqib.review.decisions import appeal, decide, export_decisions, stream_decisions
from raqib.store.db import Database
from raqib.store.models_service import Case, Decision, OutboxAction, Strike

ALICE, BOB = "user:alice", "user:bob"


def _open(database: Database, n: int, tier: int | None = 1, author: str = "author-1") -> int:
    return open_post_case(database, n, tier, author, with_url=True)


def _decide(
    database: Database,
    settings: Settings,
    case_id: int,
    actor: str = ALICE,
    outcome: str = "remove",
    reason: str = "incitement",
    note: str = "synthetic note",
) -> int:
    with database.session(write=True) as session:
        claim(session, case_id, actor, 600)
        return decide(session, case_id, actor, outcome, reason, note, settings).id


def _weight(database: Database, case_id: int) -> float:
    with database.session() as session:
        author = get_case(session, case_id).author
    assert author is not None
    return author.active_strike_weight


def test_decide_needs_a_live_claim_of_the_decider(database: Database, settings: Settings) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session, pytest.raises(ConflictError, match="claim case"):
        decide(session, case_id, ALICE, "remove", "incitement", "", settings)
    with database.session(write=True) as session:
        claim(session, case_id, BOB, 600)
    with database.session(write=True) as session, pytest.raises(ConflictError, match=BOB):
        decide(session, case_id, ALICE, "remove", "incitement", "", settings)
    with database.session() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(Case).where(Case.id == case_id).values(claim_expires_at=past))
    with database.session(write=True) as session, pytest.raises(ConflictError, match="expired"):
        decide(session, case_id, BOB, "remove", "incitement", "", settings)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_a_decision_closes_the_case_once(database: Database, settings: Settings) -> None:
    case_id = _open(database, 1)
    decision_id = _decide(database, settings, case_id, note="synthetic note, with comma")
    with database.session() as session:
        detail = get_case(session, case_id)
        event = audit.events(session, verb="case.decide")[0]
    assert detail.case.state == "decided" and detail.case.claimed_by is None
    assert detail.case.decided_at is not None
    assert [d.id for d in detail.decisions] == [decision_id]
    assert detail.decisions[0].tco_category == "2(7)(a)" and not detail.decisions[0].on_appeal
    assert (event.actor, event.details["decision_id"]) == (ALICE, decision_id)
    with (
        database.session(write=True) as session,
        pytest.raises(ConflictError, match=r"is decided"),
    ):
        claim(session, case_id, BOB, 600)
    with (
        database.session(write=True) as session,
        pytest.raises(ConflictError, match="already decided"),
    ):
        decide(session, case_id, ALICE, "keep", "unrelated", "", settings)


def test_a_reason_that_does_not_fit_is_refused(database: Database, settings: Settings) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        claim(session, case_id, ALICE, 600)
        with pytest.raises(InputError, match="does not fit"):
            decide(session, case_id, ALICE, "remove", "counter_speech", "", settings)
        with pytest.raises(InputError, match="outcome"):
            decide(session, case_id, ALICE, "ban", "incitement", "", settings)
    with database.session() as session:
        assert get_case(session, case_id).case.state == "open"


@pytest.mark.parametrize(("tier", "weight"), [(1, 3.0), (2, 2.0), (3, 1.0), (None, 1.0)])
def test_confirmed_decisions_strike_by_tier(
    database: Database, settings: Settings, tier: int | None, weight: float
) -> None:
    case_id = _open(database, 1, tier=tier)
    _decide(database, settings, case_id, outcome="preserve", reason="threat")
    assert _weight(database, case_id) == weight


def test_keeping_strikes_nothing_and_expired_strikes_stop_counting(
    database: Database, settings: Settings
) -> None:
    kept, removed, later = (_open(database, n, tier=2) for n in (1, 2, 3))
    _decide(database, settings, kept, outcome="keep", reason="news_reporting")
    assert _weight(database, later) == 0.0
    _decide(database, settings, removed)
    assert _weight(database, later) == 2.0
    with database.session() as session:
        strike = session.scalars(select(Strike)).one()
        assert strike.expires_at is not None
        session.execute(update(Strike).values(expires_at=datetime.now(UTC) - timedelta(days=1)))
    assert _weight(database, later) == 0.0
    with database.session() as session:
        shown = get_case(session, later).as_dict()["author_history"]
    assert [s["revoked"] for s in shown["strikes"]] == [False]
    assert [(c["id"], c["outcome"]) for c in shown["other_cases"]] == [
        (removed, "remove"),
        (kept, "keep"),
    ]


def test_strikes_last_the_configured_days(database: Database, settings: Settings) -> None:
    case_id = _open(database, 1)
    _decide(database, settings.with_changes(strike_days=7), case_id)
    with database.session() as session:
        strike = session.scalars(select(Strike)).one()
        days = strike.expires_at - strike.created_at
    assert days == timedelta(days=7)


def test_an_appeal_goes_to_another_reviewer_and_an_overturn_revokes_strikes(
    database: Database, settings: Settings
) -> None:
    case_id = _open(database, 1)
    first = _decide(database, settings, case_id)
    assert _weight(database, case_id) == 3.0
    with database.session(write=True) as session:
        reopened = appeal(session, case_id, "key:1", "the user says it is synthetic news")
    assert reopened.state == "open" and reopened.appealed
    with database.session(write=True) as session:
        with pytest.raises(ConflictError, match="another reviewer"):
            claim(session, case_id, ALICE, 600)
        with pytest.raises(ConflictError, match="another reviewer"):
            reassign(session, case_id, ALICE, "user:lena")
        assert next_case(session, "default", ALICE, 600) is None
        taken = next_case(session, "default", BOB, 600)
    assert taken is not None and taken.id == case_id
    with database.session(write=True) as session:
        second = decide(session, case_id, BOB, "not_terrorist_content", "unrelated", "", settings)
    assert second.on_appeal
    assert _weight(database, case_id) == 0.0
    with database.session() as session:
        detail = get_case(session, case_id)
        event = audit.events(session, verb="case.decide")[-1]
        appealed = audit.events(session, verb="case.appeal")[0]
    assert [d.id for d in detail.decisions] == [first, second.id]
    assert [a.decision_id for a in detail.appeals] == [first]
    assert event.details["revoked_strikes"] and appealed.actor == "key:1"


def test_an_upheld_appeal_keeps_one_strike(database: Database, settings: Settings) -> None:
    case_id = _open(database, 1, tier=2)
    _decide(database, settings, case_id)
    with database.session(write=True) as session:
        appeal(session, case_id, "key:1", "synthetic appeal")
    _decide(database, settings, case_id, actor=BOB, outcome="remove", reason="threat")
    assert _weight(database, case_id) == 2.0


def test_only_a_decided_case_can_be_appealed(database: Database, settings: Settings) -> None:
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        with pytest.raises(ConflictError, match="not decided"):
            appeal(session, case_id, "key:1", "synthetic appeal")
        with pytest.raises(InputError, match="reason"):
            appeal(session, case_id, "key:1", "  ")
    _decide(database, settings, case_id)
    with database.session(write=True) as session:
        appeal(session, case_id, "key:1", "synthetic appeal")
    with database.session(write=True) as session, pytest.raises(ConflictError, match="not decided"):
        appeal(session, case_id, "key:1", "synthetic appeal again")


def test_escalating_records_a_decision_and_leaves_the_case_open(
    database: Database, settings: Settings
) -> None:
    case_id = _open(database, 1)
    _decide(database, settings, case_id, outcome="escalate", reason="legal_review")
    with database.session() as session:
        detail = get_case(session, case_id)
    assert detail.case.state == "open" and detail.case.escalated
    assert detail.case.claimed_by is None and [d.outcome for d in detail.decisions] == ["escalate"]
    _decide(database, settings, case_id, actor=BOB, outcome="remove", reason="instruction")
    assert _weight(database, case_id) == 3.0


def test_a_webhook_action_is_written_with_the_decision(
    database: Database, settings: Settings
) -> None:
    hooked = settings.with_changes(webhook_url="http://127.0.0.1:9/hook")
    silent, sent = _open(database, 1), _open(database, 2)
    _decide(database, settings, silent)
    decision_id = _decide(database, hooked, sent, reason="recruitment", note="synthetic")
    with database.session() as session:
        action = session.scalars(select(OutboxAction)).one()
        event = audit.events(session, verb="case.decide")[-1]
    assert action.decision_id == decision_id and action.target == "http://127.0.0.1:9/hook"
    assert action.idempotency_key == f"decision-{decision_id}"
    assert event.details["outbox_id"] == action.id
    payload = action.payload
    assert {k: payload[k] for k in ("event", "case_id", "outcome", "tco_category")} == {
        "event": "decision",
        "case_id": sent,
        "outcome": "remove",
        "tco_category": "2(7)(c)",
    }
    assert (payload["platform"], payload["external_id"], payload["author_id"]) == (
        "forum",
        "post-2",
        "author-1",
    )
    assert payload["reviewer"] == ALICE and payload["on_appeal"] is False
    assert datetime.fromisoformat(payload["decided_at"]).utcoffset() == timedelta(0)


def test_a_failed_decision_leaves_nothing_behind(database: Database, settings: Settings) -> None:
    bad_target = settings.with_changes(webhook_url="ftp://example.invalid/hook")
    case_id = _open(database, 1)
    with database.session(write=True) as session:
        claim(session, case_id, ALICE, 600)
    with pytest.raises(InputError), database.session(write=True) as session:  # rolls back
        decide(session, case_id, ALICE, "remove", "incitement", "", bad_target)
    with database.session() as session:
        assert get_case(session, case_id).case.state == "open"
        counts = [
            session.scalar(select(func.count()).select_from(model))
            for model in (Decision, Strike, OutboxAction)
        ]
    assert counts == [0, 0, 0]


def test_export_streams_every_decision_in_id_order(database: Database, settings: Settings) -> None:
    note = 'synthetic "quoted" note,\nover two lines'
    ids = [_decide(database, settings, _open(database, n), note=note) for n in range(5)]
    with database.session() as session:
        csv_lines = list(export_decisions(session, "csv", chunk=2))
        jsonl_lines = list(export_decisions(session, "jsonl", chunk=2))
        with pytest.raises(InputError, match="format"):
            export_decisions(session, "xml")
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines))))
    assert len(csv_lines) == 6 and csv_lines[0].startswith("id,case_id,reviewer,outcome")
    assert [int(r["id"]) for r in rows] == ids and rows[0]["note"] == note
    assert rows[0]["tco_category"] == "2(7)(a)" and rows[0]["author_id"] == "author-1"
    records: list[dict[str, Any]] = [json.loads(line) for line in jsonl_lines]
    assert [r["id"] for r in records] == ids and records[4]["external_id"] == "post-4"
    assert all(line.endswith("\n") for line in jsonl_lines)
    assert list(stream_decisions(database, "jsonl", chunk=3)) == jsonl_lines
    with pytest.raises(InputError, match="chunk"):
        stream_decisions(database, "csv", chunk=0)


def test_the_audit_chain_holds_after_a_review(database: Database, settings: Settings) -> None:
    case_id = _open(database, 1)
    _decide(database, settings, case_id)
    with database.session(write=True) as session:
        appeal(session, case_id, "key:1", "synthetic appeal")
    _decide(database, settings, case_id, actor=BOB, outcome="keep", reason="counter_speech")
    with database.session() as session:
        verbs = [e.verb for e in audit.events(session, object_type="case")]
        assert audit.verify(session).ok
    assert verbs == [
        "case.open", "case.claim", "case.decide", "case.appeal", "case.claim", "case.decide",
    ]  # fmt: skip
