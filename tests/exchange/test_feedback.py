"""Feedback both ways: a reviewer's decision on a matched case becomes STIX opinions and
sightings (kept as our own feedback, queued for the partner a pulled bank came from), partners'
opinions and sightings are recorded (idempotent, newest wins, hostile input refused with a
reason), and the counts per indicator add them up."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stix2
from sqlalchemy import select

from case_data import open_post_case
from raqib.config import Settings
from raqib.exchange import feedback
from raqib.exchange.partners import add_partner, share_bank
from raqib.matching import Match
from raqib.records import NewEntry
from raqib.review import audit
from raqib.review.claims import claim
from raqib.review.decisions import appeal, decide
from raqib.review.quality import make_golden
from raqib.stixids import stix_id
from raqib.store.banks import BankRepository
from raqib.store.db import Database
from raqib.store.models_service import EntryFeedback, FeedbackOutbox

ALICE, BOB, ADMIN = "user:alice", "user:bob", "system:test"
PULLED, LOCAL = "pulled-from-alpha", "local-bank"
NOTE = "synthetic reviewer note 41"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _md5(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _bank(database: Database, name: str, count: int = 1, partner: str | None = None) -> list[int]:
    """A bank of synthetic md5 entries (pulled from `partner` when given): their entry ids."""
    rng = random.Random(name)
    with database.session(write=True) as session:
        banks = BankRepository(session)
        banks.create(name, tlp="amber")
        added = banks.add_entries(name, [NewEntry("md5", _md5(rng)) for _ in range(count)])
        if partner:
            banks.set_origin(name, partner, f"collection-of-{partner}")
    return list(added.added_ids)


def _stix_ids(database: Database, entry_ids: list[int]) -> list[str]:
    with database.session() as session:
        found = BankRepository(session).by_ids(entry_ids)
    return [found[i][0].stix_id for i in entry_ids]


def _open(database: Database, entry_ids: list[int], tier: int | None = 1, n: int = 1) -> int:
    """A case whose item matched the entries (matches shaped as the matcher writes them)."""
    with database.session() as session:
        found = BankRepository(session).by_ids(entry_ids)
    matches = [
        Match(bank.name, entry.id, entry.signal_type, entry.value, 0, entry.labels, entry.value)
        for entry, bank in (found[i] for i in entry_ids)
    ]
    return open_post_case(database, n, tier, matches=matches)


def _decide(
    database: Database,
    settings: Settings,
    case_id: int,
    outcome: str = "remove",
    reason: str = "incitement",
    actor: str = ALICE,
) -> int:
    with database.session(write=True) as session:
        claim(session, case_id, actor, 600)
        return decide(session, case_id, actor, outcome, reason, NOTE, settings).id


def _outbox(database: Database) -> list[FeedbackOutbox]:
    with database.session() as session:
        rows = list(session.scalars(select(FeedbackOutbox).order_by(FeedbackOutbox.id)))
        session.expunge_all()
    return rows


def _counts(database: Database, ids: list[str]) -> dict[str, feedback.FeedbackCounts]:
    with database.session() as session:
        return feedback.counts(session, ids)


def _record(database: Database, objects: list[Any], partner: str) -> dict[str, str | None]:
    with database.session(write=True) as session:
        return feedback.record_objects(session, objects, partner)


def _opinion(indicator: str, value: str, modified: datetime, n: int = 1) -> dict[str, Any]:
    when = modified.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "type": "opinion",
        "spec_version": "2.1",
        "id": stix_id("opinion", f"partner opinion {n}"),
        "created": when,
        "modified": when,
        "opinion": value,
        "explanation": "synthetic partner explanation",
        "object_refs": [indicator],
    }


def _sighting(indicator: str, count: int | None, modified: datetime, n: int = 1) -> dict[str, Any]:
    when = modified.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sighting = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": stix_id("sighting", f"partner sighting {n}"),
        "created": when,
        "modified": when,
        "sighting_of_ref": indicator,
    }
    return sighting if count is None else sighting | {"count": count}


# --- out: decisions ----------------------------------------------------------------------------


def test_a_decision_on_a_pulled_bank_match_queues_strict_stix_for_the_partner(
    database: Database, settings: Settings
) -> None:
    entry_ids = _bank(database, PULLED, count=2, partner="alpha")
    indicators = _stix_ids(database, entry_ids)
    case_id = _open(database, entry_ids, tier=1)
    decision_id = _decide(database, settings, case_id)
    rows = _outbox(database)
    assert [(r.partner, r.collection) for r in rows] == [("alpha", "collection-of-alpha")] * 4
    parsed = [stix2.parse(r.stix_object, allow_custom=False) for r in rows]
    opinions = [p for p in parsed if p.type == "opinion"]
    sightings = [p for p in parsed if p.type == "sighting"]
    assert sorted(o.object_refs[0] for o in opinions) == sorted(indicators)
    assert {o.opinion for o in opinions} == {"strongly-agree"}
    assert "2(7)(a)" in opinions[0].explanation and "incitement" in opinions[0].explanation
    assert sorted(s.sighting_of_ref for s in sightings) == sorted(indicators)
    assert {(s.count, s.first_seen == s.last_seen) for s in sightings} == {(1, True)}
    text = str([r.stix_object for r in rows])
    assert NOTE not in text and "alice" not in text and "post-1" not in text
    assert all(r.sent_at is None and r.attempts == 0 for r in rows)
    counts = _counts(database, indicators)
    assert {(c.sightings, c.own_agrees, c.confirmed) for c in counts.values()} == {(1, True, 0)}
    with database.session() as session:
        event = audit.events(session, verb="case.decide")[-1]
    assert event.details["decision_id"] == decision_id
    assert event.details["feedback"] == {"opinion": "strongly-agree", "indicators": 2, "outbox": 4}


def test_a_local_bank_match_keeps_our_feedback_and_queues_nothing(
    database: Database, settings: Settings
) -> None:
    entry_ids = _bank(database, LOCAL)
    (indicator,) = _stix_ids(database, entry_ids)
    _decide(database, settings, _open(database, entry_ids, tier=2), "keep", "unrelated")
    assert _outbox(database) == []
    counts = _counts(database, [indicator])[indicator]
    assert (counts.own_opinion, counts.own_agrees, counts.sightings) == (
        "strongly-disagree",
        False,
        1,
    )
    assert (counts.confirmed, counts.disputed) == (0, 0)  # our own view is no partner's


@pytest.mark.parametrize(
    ("outcome", "reason", "tier", "expected"),
    [
        ("remove", "incitement", 1, "strongly-agree"),
        ("remove", "threat", 2, "agree"),
        ("preserve", "instruction", None, "agree"),
        ("keep", "news_reporting", 1, "disagree"),
        ("not_terrorist_content", "insufficient_evidence", 1, "disagree"),
        ("not_terrorist_content", "unrelated", 3, "strongly-disagree"),
        ("escalate", "legal_review", 1, None),
    ],
)
def test_outcomes_map_to_stix_opinions(
    outcome: str, reason: str, tier: int | None, expected: str | None
) -> None:
    assert feedback.opinion_value(outcome, reason, tier) == expected


def test_escalations_golden_answers_and_appeals(database: Database, settings: Settings) -> None:
    entry_ids = _bank(database, PULLED, partner="alpha")
    (indicator,) = _stix_ids(database, entry_ids)
    case_id = _open(database, entry_ids)
    _decide(database, settings, case_id, "escalate", "needs_specialist")
    assert _outbox(database) == []  # nothing judged yet
    _decide(database, settings, case_id, actor=BOB)
    assert len(_outbox(database)) == 2
    with database.session(write=True) as session:
        golden = make_golden(session, case_id, "remove", ADMIN).id
    _decide(database, settings, golden, "keep", "news_reporting")
    assert len(_outbox(database)) == 2  # a golden answer sends nothing
    with database.session(write=True) as session:
        appeal(session, case_id, "author:author-1", "synthetic appeal reason")
    _decide(database, settings, case_id, "not_terrorist_content", "unrelated")
    rows = _outbox(database)
    assert [r.stix_object["type"] for r in rows] == ["opinion", "sighting", "opinion"]
    assert rows[2].stix_object["opinion"] == "strongly-disagree"
    assert rows[2].stix_object["id"] != rows[0].stix_object["id"]
    counts = _counts(database, [indicator])[indicator]
    assert (counts.own_opinion, counts.sightings) == ("strongly-disagree", 1)  # no new sighting


def test_a_match_whose_entry_was_removed_gives_no_feedback(
    database: Database, settings: Settings
) -> None:
    entry_ids = _bank(database, PULLED, partner="alpha")
    case_id = _open(database, entry_ids)
    with database.session(write=True) as session:
        (entry, _bank_info) = BankRepository(session).by_ids(entry_ids)[entry_ids[0]]
        BankRepository(session).remove_signal(PULLED, entry.signal_type, entry.value)
    _decide(database, settings, case_id)
    assert _outbox(database) == []


# --- in: partners' opinions and sightings ------------------------------------------------------


def _shared(database: Database, partners: tuple[str, ...] = ("alpha",)) -> str:
    """A local bank shared with the partners: its one indicator id."""
    entry_ids = _bank(database, LOCAL)
    with database.session(write=True) as session:
        for partner in partners:
            add_partner(session, partner, ADMIN)
            share_bank(session, LOCAL, partner, ADMIN)
    return _stix_ids(database, entry_ids)[0]


def test_a_newer_opinion_replaces_an_older_one_and_the_same_one_is_idempotent(
    database: Database,
) -> None:
    indicator = _shared(database)
    agree = _opinion(indicator, "agree", T0, 1)
    assert _record(database, [agree], "alpha") == {agree["id"]: None}
    assert _record(database, [agree], "alpha") == {agree["id"]: None}
    older = _opinion(indicator, "strongly-disagree", T0 - timedelta(days=1), 2)
    assert _record(database, [older], "alpha") == {older["id"]: None}
    counts = _counts(database, [indicator])[indicator]
    assert (counts.confirmed, counts.disputed) == (1, 0)
    newer = _opinion(indicator, "disagree", T0 + timedelta(seconds=1), 3)
    _record(database, [newer], "alpha")
    counts = _counts(database, [indicator])[indicator]
    assert (counts.confirmed, counts.disputed) == (0, 1)
    with database.session() as session:
        row = session.scalars(select(EntryFeedback).where(EntryFeedback.partner == "alpha")).one()
        recorded = audit.events(session, verb="feedback.opinion")
    assert (row.opinion, row.explanation) == ("disagree", "synthetic partner explanation")
    assert len(recorded) == 2  # the repeat and the older one changed nothing


def test_sightings_count_once_per_version(database: Database) -> None:
    indicator = _shared(database)

    def total() -> int:
        return _counts(database, [indicator])[indicator].sightings

    first = _sighting(indicator, 3, T0, 1)
    assert _record(database, [first, first], "alpha") == {first["id"]: None}
    assert total() == 3
    _record(database, [first], "alpha")
    assert total() == 3
    _record(database, [_sighting(indicator, 5, T0 + timedelta(hours=1), 1)], "alpha")
    assert total() == 5  # the newer version of the same sighting adds the difference
    _record(database, [_sighting(indicator, 1, T0 - timedelta(hours=1), 1)], "alpha")
    assert total() == 5  # an older version is ignored
    _record(database, [_sighting(indicator, None, T0, 2)], "alpha")
    assert total() == 6  # another sighting without a count counts once


def test_counts_add_up_partners_and_our_reviewers(database: Database, settings: Settings) -> None:
    indicator = _shared(database, ("alpha", "beta", "gamma", "delta"))
    for number, (partner, value) in enumerate(
        [
            ("alpha", "agree"),
            ("beta", "strongly-agree"),
            ("gamma", "disagree"),
            ("delta", "neutral"),
        ]
    ):
        objects = [_opinion(indicator, value, T0, number), _sighting(indicator, 2, T0, number)]
        assert set(_record(database, objects, partner).values()) == {None}
    local_ids = list(_bank_ids(database, LOCAL))
    _decide(database, settings, _open(database, local_ids), "keep", "news_reporting")
    counts = _counts(database, [indicator, "indicator--00000000-0000-4000-8000-000000000000"])
    assert counts[indicator] == feedback.FeedbackCounts(2, 1, 9, "disagree")
    assert counts[indicator].as_dict() == {"confirmed": 2, "disputed": 1, "sightings": 9}
    assert counts["indicator--00000000-0000-4000-8000-000000000000"] == feedback.FeedbackCounts()


def _bank_ids(database: Database, name: str) -> list[int]:
    with database.session() as session:
        return [e.id for e in BankRepository(session).entries(name)]


def test_feedback_on_unknown_or_unshared_indicators_is_refused_alike(
    database: Database,
) -> None:
    indicator = _shared(database, ("alpha", "beta"))
    hidden = _stix_ids(database, _bank(database, "not-shared"))[0]
    unknown = "indicator--00000000-0000-4000-8000-000000000000"
    objects = [_opinion(hidden, "agree", T0, 1), _opinion(unknown, "agree", T0, 2)]
    reasons = _record(database, objects, "alpha")
    assert reasons[objects[0]["id"]] == reasons[objects[1]["id"]].replace(unknown, hidden)
    assert "shared with you" in str(reasons[objects[0]["id"]])
    pulled = _stix_ids(database, _bank(database, PULLED, partner="beta"))[0]
    assert set(_record(database, [_opinion(pulled, "agree", T0, 3)], "beta").values()) == {None}
    assert set(_record(database, [_opinion(pulled, "agree", T0, 4)], "alpha").values()) != {None}
    with database.session(write=True) as session:  # a removed entry is still known
        entry = next(BankRepository(session).entries(LOCAL))
        BankRepository(session).remove_signal(LOCAL, entry.signal_type, entry.value)
    assert _record(database, [_sighting(indicator, 1, T0, 5)], "alpha") == {
        _sighting(indicator, 1, T0, 5)["id"]: None
    }
    assert _counts(database, [indicator, hidden])[hidden].confirmed == 0


def test_hostile_objects_get_reasons_not_exceptions(database: Database) -> None:
    indicator = _shared(database)

    def opinion(n: int, **changes: Any) -> dict[str, Any]:
        return _opinion(indicator, "agree", T0, n) | changes

    def sighting(n: int, **changes: Any) -> dict[str, Any]:
        return _sighting(indicator, 1, T0, n) | changes

    hostile: list[Any] = [
        "not an object",
        None,
        {"type": ["opinion"]},
        opinion(3, type="indicator"),
        opinion(4, id=12),
        opinion(5, id="opinion--" + "x" * 5000),
        opinion(6, id=sighting(6)["id"]),
        opinion(7, opinion="maybe"),
        opinion(8, explanation={"nested": [1, 2]}),
        opinion(9, explanation="x" * 6000),
        opinion(10, modified=[2026]),
        opinion(11, object_refs="indicator"),
        opinion(12, object_refs=[{"id": indicator}]),
        opinion(13, object_refs=["identity--00000000-0000-4000-8000-000000000000"]),
        opinion(14, object_refs=[indicator] * 101),
        opinion(15, padding="y" * 30_000),
        sighting(16, count="5"),
        sighting(17, count=True),
        sighting(18, count=-1),
        sighting(19, count=10**15),
        sighting(20, sighting_of_ref="malware--00000000-0000-4000-8000-000000000000"),
        sighting(21, first_seen="2026-03-02T00:00:00Z", last_seen="2026-03-01T00:00:00Z"),
    ]
    reasons = _record(database, hostile, "alpha")
    assert len(reasons) == len(hostile)
    assert all(isinstance(r, str) and r for r in reasons.values()), reasons
    assert reasons["objects[0]"] == "not a STIX object: send a JSON object"
    assert "not feedback" in str(reasons["objects[2]"])
    assert reasons[hostile[8]["id"]] == "explanation must be a string"
    assert reasons[hostile[16]["id"]] == "count must be an integer"
    assert "at most 100" in str(reasons[hostile[14]["id"]])
    assert "larger than" in str(reasons[hostile[15]["id"]])
    assert "'maybe'" in str(reasons[hostile[7]["id"]])
    assert _counts(database, [indicator])[indicator] == feedback.FeedbackCounts()
    refused = _record(database, [opinion(22)], "")
    assert "partner" in str(refused[opinion(22)["id"]])


# --- the outbox --------------------------------------------------------------------------------


def test_the_outbox_offers_pending_rows_until_sent_or_failed_too_often(
    database: Database, settings: Settings
) -> None:
    for n, entry_id in enumerate(_bank(database, PULLED, count=3, partner="alpha")):
        _decide(database, settings, _open(database, [entry_id], n=n))
    with database.session(write=True) as session:
        rows = feedback.pending(session, "alpha", 10)
        assert len(rows) == 6 and [r.id for r in rows] == sorted(r.id for r in rows)
        assert feedback.pending(session, "beta", 10) == []
        first, second, *_ = (int(r.id) for r in rows)
        assert feedback.mark_sent(session, [first]) == 1
        assert feedback.mark_sent(session, [first]) == 0  # already sent
        assert feedback.mark_failed(session, [second], "HTTP 503 from partner " + "e" * 5000) == 1
    with database.session(write=True) as session:
        left = feedback.pending(session, "alpha", 2)
        assert [int(r.id) for r in left] == [second, second + 1]
        failed = session.get_one(FeedbackOutbox, second)
        assert (failed.attempts, failed.last_error[:8], len(failed.last_error)) == (
            1,
            "HTTP 503",
            2000,
        )
        assert int(second) not in [int(r.id) for r in feedback.pending(session, "alpha", 10, 1)]
        sent = session.get_one(FeedbackOutbox, first)
        assert sent.sent_at is not None and sent.attempts == 1
