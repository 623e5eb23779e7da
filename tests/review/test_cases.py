"""Cases: opening routes, scores and links the author; lists filter; a case reads in full."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from raqib.errors import InputError, NotFoundError
from raqib.review import audit
from raqib.review.cases import CaseFields, CaseFilters, get_case, list_cases, open_case
from raqib.review.queues import create_queue, create_rule
from raqib.store.db import Database
from raqib.store.models_service import Case

SUBMITTER = "key:7"


def _finding(
    n: int,
    tier: int | None = 1,
    bank: str = "known",
    entity: str = "Group A",
    language: str | None = None,
    threat: float = 0.0,
) -> dict[str, Any]:
    labels: dict[str, Any] = {
        "entity": entity,
        "behaviours": [],
        "tier": tier,
        "source": "",
        "note": "",
    }
    match = {
        "bank": bank,
        "entry_id": n,
        "signal_type": "pdq",
        "signal": "0" * 64,
        "distance": 4,
        "labels": labels,
        "query_signal": "1" * 64,
        "via_variant": False,
        "allow_list": False,
        "suppressed_by": None,
    }
    return {
        "item": {"id": str(n), "source": "post", "path": f"synthetic test post {n}"},
        "signals": [],
        "matches": [match],
        "text": {
            "language": language,
            "categories": {"threat": threat, "instruction": threat / 2},
            "context_scores": {"terrorist_content_candidate": 0.1},
            "entity": None,
        },
        "verdict": {"tier": tier, "recommended": "review", "reasons": ["synthetic"]},
    }


def _meta(n: int, author: str = "author-1", platform: str = "forum") -> dict[str, Any]:
    return {
        "platform": platform,
        "external_id": f"post-{n}",
        "author_id": author,
        "url": f"https://forum.example/p/{n}",
        "reach": 100,
    }


def _open(database: Database, n: int, **kwargs: Any) -> int:
    author = kwargs.pop("author", "author-1")
    with database.session(write=True) as session:
        return open_case(session, _finding(n, **kwargs), _meta(n, author), SUBMITTER).id


def test_open_case_takes_the_findings_fields_routes_and_audits(database: Database) -> None:
    with database.session(write=True) as session:
        create_queue(session, "tier1", "user:lena")
        create_rule(session, "tier1", {"tier": 1, "category": "threat"}, "user:lena")
    with database.session(write=True) as session:
        case = open_case(session, _finding(1, language="ar", threat=0.8), _meta(1), SUBMITTER)
    assert (case.queue, case.state, case.origin) == ("tier1", "open", "detection")
    assert (case.tier, case.bank, case.entity, case.category) == (1, "known", "Group A", "threat")
    assert (case.language, case.platform, case.external_id) == ("ar", "forum", "post-1")
    assert (case.author, case.url, case.source) == ("author-1", "https://forum.example/p/1", "post")
    assert case.priority > 0 and case.claimed_by is None
    with database.session() as session:
        events = audit.events(session, verb="case.open")
    assert [(e.actor, e.object_id) for e in events] == [(SUBMITTER, str(case.id))]
    assert events[0].details["queue"] == "tier1"


def test_a_report_outranks_the_same_detection(database: Database) -> None:
    with database.session(write=True) as session:
        detected = open_case(session, _finding(1), _meta(1), SUBMITTER)
        reported = open_case(
            session, _finding(1), _meta(1), SUBMITTER, origin="report", reason="synthetic report"
        )
        with pytest.raises(InputError, match="origin"):
            open_case(session, _finding(1), _meta(1), SUBMITTER, origin="rumour")
    assert reported.priority == pytest.approx(detected.priority + 10)
    assert (reported.origin, reported.reporter, reported.reason) == (
        "report",
        SUBMITTER,
        "synthetic report",
    )


def test_metadata_too_long_for_its_column_is_refused(database: Database) -> None:
    with database.session(write=True) as session, pytest.raises(InputError, match="external_id"):
        open_case(session, _finding(1), {"external_id": "x" * 201}, SUBMITTER)


def test_fields_from_a_text_finding_without_matches() -> None:
    finding = {
        "item": {"source": "post", "author": "placeholder_1", "external_id": "demo-1"},
        "matches": [],
        "text": {"language": "ar", "entity": "Group B", "categories": {"threat": 0.0}},
        "verdict": {"tier": None, "recommended": "review"},
    }
    fields = CaseFields.from_finding(finding, {})
    assert fields == CaseFields(
        language="ar", entity="Group B", source="post", external_id="demo-1", author="placeholder_1"
    )


def test_list_filters(database: Database) -> None:
    with database.session(write=True) as session:
        create_queue(session, "other", "user:lena")
        create_rule(session, "other", {"bank": "second"}, "user:lena")
    first = _open(database, 1, tier=1, bank="known", language="ar", author="a1")
    second = _open(database, 2, tier=2, bank="second", entity="Group B", author="a2")
    third = _open(database, 3, tier=2, bank="known", language="fr", author="a1")
    with database.session() as session:
        session.execute(
            update(Case).where(Case.id == third).values(state="decided", created_at=_days_ago(3))
        )

    def ids(**filters: Any) -> list[int]:
        with database.session() as session:
            return [c.id for c in list_cases(session, CaseFilters(**filters))]

    assert ids() == [first, second, third]
    assert ids(queue="other") == [second] and ids(queue="default") == [first, third]
    assert ids(state="open") == [first, second] and ids(state="decided") == [third]
    assert ids(tier=2) == [second, third] and ids(bank="known") == [first, third]
    assert ids(entity="Group B") == [second] and ids(language="ar") == [first]
    assert ids(author="a1") == [first, third] and ids(platform="forum") == [first, second, third]
    assert ids(since=_days_ago(1)) == [first, second] and ids(until=_days_ago(1)) == [third]
    assert ids(tier=2, author="a1", state="decided") == [third]


def test_list_pages_by_id_and_checks_its_arguments(database: Database) -> None:
    opened = [_open(database, n) for n in range(5)]
    with database.session() as session:
        page = list_cases(session, CaseFilters(), limit=2)
        rest = list_cases(session, CaseFilters(), limit=10, after_id=page[-1].id)
        with pytest.raises(InputError, match="limit"):
            list_cases(session, CaseFilters(), limit=0)
        with pytest.raises(InputError, match="state"):
            list_cases(session, CaseFilters(state="lost"))
    assert [c.id for c in page + rest] == opened


def test_get_case_shows_the_finding_and_the_authors_other_cases(database: Database) -> None:
    earlier = _open(database, 1, author="a1")
    _open(database, 2, author="someone-else")
    current = _open(database, 3, author="a1")
    with database.session() as session:
        detail = get_case(session, current)
        with pytest.raises(NotFoundError):
            get_case(session, 999)
    assert detail.case.id == current and detail.finding["item"]["id"] == "3"
    assert detail.decisions == () and detail.appeals == ()
    assert detail.author is not None and detail.author.external_id == "a1"
    assert [c.id for c in detail.author.other_cases] == [earlier]
    assert detail.author.active_strike_weight == 0.0
    shown = json.loads(json.dumps(detail.as_dict()))
    assert shown["author_history"]["other_cases"][0]["state"] == "open"
    assert datetime.fromisoformat(shown["created_at"]).utcoffset() == timedelta(0)


def test_same_author_on_two_platforms_is_two_authors(database: Database) -> None:
    with database.session(write=True) as session:
        one = open_case(session, _finding(1), _meta(1, "same", "forum"), SUBMITTER)
        two = open_case(session, _finding(2), _meta(2, "same", "video"), SUBMITTER)
        again = open_case(session, _finding(3), _meta(3, "same", "forum"), SUBMITTER)
    assert one.author_id == again.author_id != two.author_id


def _days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
