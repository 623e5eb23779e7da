"""The transparency report: figures read from cases, decisions, appeals and removal orders made
through the review library, for a period, as HTML and JSON (and through `raqib report`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from raqib.analysis.transparency import parse_period, transparency_report
from raqib.config import Settings
from raqib.errors import InputError
from raqib.review import quality
from raqib.review.cases import open_case
from raqib.review.claims import claim
from raqib.review.decisions import appeal, decide
from raqib.review.orders import enter_order
from raqib.store.db import Database
from raqib.store.models_service import Case, Decision

ALICE, BOB, LEAD = "user:alice", "user:bob", "user:lead"
MINUTE = 60.0
HOUR = 3600.0


def _bank_match() -> dict[str, Any]:
    return {
        "bank": "synthetic-bank",
        "entry_id": 1,
        "signal_type": "pdq",
        "signal": "0" * 64,
        "distance": 4,
        "labels": {"entity": "Synthetic Entity", "tier": 2},
    }


def _open(database: Database, n: int, origin: str = "detection", banked: bool = False) -> int:
    finding = {
        "item": {"id": f"item-{n}", "source": "post", "path": f"synthetic post {n}"},
        "matches": [_bank_match()] if banked else [],
        "verdict": {"tier": 2 if banked else None, "recommended": "review", "reasons": []},
    }
    meta = {"platform": "forum", "external_id": f"post-{n}", "url": f"https://forum.example/p/{n}"}
    reason = "synthetic user report" if origin == "report" else None
    with database.session(write=True) as session:
        return open_case(session, finding, meta, "key:1", origin=origin, reason=reason).id


def _decide(
    database: Database, settings: Settings, case_id: int, outcome: str, reason: str, actor: str
) -> int:
    with database.session(write=True) as session:
        claim(session, case_id, actor, 600)
        return decide(session, case_id, actor, outcome, reason, "synthetic note", settings).id


def _appeal(database: Database, case_id: int) -> None:
    with database.session(write=True) as session:
        appeal(session, case_id, "user:submitter", "synthetic appeal reason")


def _backdate(database: Database, case_id: int, decision_id: int, seconds: float) -> None:
    """Make the case look opened `seconds` before its first decision."""
    with database.session(write=True) as session:
        decided = session.get_one(Decision, decision_id).created_at
        opened = decided - timedelta(seconds=seconds)
        session.execute(update(Case).where(Case.id == case_id).values(created_at=opened))


@dataclass
class Scenario:
    """Ids of what the scenario made, and the period that holds all but the old case."""

    cases: dict[str, int] = field(default_factory=dict)
    period_from: str = ""
    period_to: str = ""


@pytest.fixture
def scenario(database: Database, settings: Settings) -> Scenario:
    """Seven first decisions (10 min to 2 days after opening), an escalation, three appeals
    (one overturned, one upheld, one pending), two removal orders (one item kept, one removed,
    one pending past its deadline) and one case 40 days old, outside the period."""
    with database.session(write=True) as session:
        quality.set_second_review_share(session, 0.0, LEAD)
    made = Scenario()
    first: dict[str, tuple[str, str, float, str]] = {
        "A": ("detection", "remove incitement", 10 * MINUTE, "banked"),
        "B": ("report", "keep news_reporting", 2 * HOUR, ""),
        "C": ("detection", "preserve recruitment", 30 * MINUTE, ""),
        "D": ("detection", "remove threat", 5 * HOUR, "banked"),
        "F": ("report", "remove instruction", 48 * HOUR, ""),
    }
    for number, (name, (origin, decision, seconds, banked)) in enumerate(first.items(), 1):
        case_id = _open(database, number, origin, banked=bool(banked))
        outcome, reason = decision.split()
        decision_id = _decide(database, settings, case_id, outcome, reason, ALICE)
        _backdate(database, case_id, decision_id, seconds)
        made.cases[name] = case_id
    made.cases["E"] = _open(database, 10)
    _decide(database, settings, made.cases["E"], "escalate", "legal_review", ALICE)
    for name in ("C", "D", "F"):
        _appeal(database, made.cases[name])
    _decide(database, settings, made.cases["C"], "keep", "counter_speech", BOB)
    _decide(database, settings, made.cases["D"], "remove", "threat", BOB)
    _orders(database, settings, made)
    _old_case(database, settings, made)
    today = datetime.now(UTC).date()
    made.period_from = (today - timedelta(days=5)).isoformat()
    made.period_to = (today + timedelta(days=1)).isoformat()
    return made


def _orders(database: Database, settings: Settings, made: Scenario) -> None:
    now = datetime.now(UTC)
    items = ["https://elsewhere.example/g1", "https://elsewhere.example/g2"]
    with database.session(write=True) as session:
        order = enter_order(
            session,
            "Synthetic Authority",
            "REF-1",
            items,
            now - timedelta(minutes=10),
            LEAD,
            settings,
        )
        late = enter_order(
            session,
            "Synthetic Authority",
            "REF-2",
            ["https://elsewhere.example/g3"],
            now - timedelta(hours=2),
            LEAD,
            settings,
        )
    g1, g2 = (item.case_id for item in order.items)
    assert g1 is not None and g2 is not None and late.items[0].case_id is not None
    decided = _decide(database, settings, g1, "remove", "incitement", ALICE)
    _backdate(database, g1, decided, 20 * MINUTE)
    decided = _decide(database, settings, g2, "keep", "insufficient_evidence", ALICE)
    _backdate(database, g2, decided, 40 * MINUTE)
    made.cases |= {"G1": g1, "G2": g2, "G3": late.items[0].case_id}


def _old_case(database: Database, settings: Settings, made: Scenario) -> None:
    case_id = _open(database, 40, banked=True)
    decision_id = _decide(database, settings, case_id, "remove", "incitement", ALICE)
    old = datetime.now(UTC) - timedelta(days=40)
    with database.session(write=True) as session:
        session.execute(update(Decision).where(Decision.id == decision_id).values(created_at=old))
        session.execute(
            update(Case).where(Case.id == case_id).values(created_at=old - timedelta(hours=1))
        )
    made.cases["old"] = case_id


def _report(database: Database, made: Scenario) -> Any:
    period = parse_period(made.period_from, made.period_to)
    with database.session() as session:
        return transparency_report(session, period)


def test_the_figures_count_what_the_review_did_in_the_period(
    database: Database, scenario: Scenario
) -> None:
    figures = _report(database, scenario).as_dict()
    items = figures["items"]
    assert items["cases_by_origin"] == {"detection": 4, "report": 2, "order": 3}
    assert (items["cases_opened"], items["matched_known_content"]) == (9, 2)
    decisions = figures["decisions"]
    assert decisions["by_outcome"] == {
        "remove": 5, "keep": 3, "preserve": 1, "escalate": 1, "not_terrorist_content": 0,
    }  # fmt: skip
    assert decisions["total"] == 10 and decisions["escalations"] == 1
    assert decisions["items_removed"] == 5
    assert decisions["items_removed_by_origin"] == {"detection": 3, "report": 1, "order": 1}
    reasons = {
        (r["code"], r["outcome"]): (r["count"], r["tco_article"]) for r in decisions["by_reason"]
    }
    assert reasons[("incitement", "remove")] == (2, "Art. 2(7)(a)")
    assert reasons[("threat", "remove")] == (2, "Art. 2(7)(e)")
    assert reasons[("recruitment", "preserve")] == (1, "Art. 2(7)(c)")
    assert reasons[("counter_speech", "keep")] == (1, "Art. 1(3)")
    assert reasons[("insufficient_evidence", "keep")] == (1, None)
    assert reasons[("legal_review", "escalate")] == (1, None)


def test_appeals_orders_and_time_to_decision(database: Database, scenario: Scenario) -> None:
    figures = _report(database, scenario).as_dict()
    assert figures["appeals"] == {
        "submitted": 3, "decided": 2, "upheld": 1, "overturned": 1, "pending": 1,
        "reinstated": 1, "removed_after_appeal": 0, "overturn_rate": 0.5,
    }  # fmt: skip
    orders = figures["removal_orders"]
    assert {k: orders[k] for k in ("orders", "complete", "items", "acted_on")} == {
        "orders": 2, "complete": 1, "items": 3, "acted_on": 2,
    }  # fmt: skip
    assert (orders["within_one_hour"], orders["late"], orders["removed"]) == (2, 0, 1)
    assert (orders["pending"], orders["pending_overdue"]) == (1, 1)
    assert orders["not_removed"] == {"keep": 1}
    timing = figures["time_to_decision"]
    # first decisions after 10, 20, 30, 40 min, 2 h, 5 h and 48 h
    assert timing["decisions"] == 7
    assert timing["median_seconds"] == pytest.approx(40 * MINUTE, abs=2)
    assert timing["p90_seconds"] == pytest.approx(5 * HOUR + 0.4 * 43 * HOUR, abs=2)
    assert [row["count"] for row in timing["histogram"]] == [1, 3, 1, 1, 1, 0, 0]
    assert timing["by_origin"]["report"]["decisions"] == 2


def test_all_time_includes_the_old_case_and_a_later_period_is_empty(
    database: Database, scenario: Scenario
) -> None:
    with database.session() as session:
        every = transparency_report(session).as_dict()
        later = transparency_report(session, parse_period("2999-01-01", None)).as_dict()
    assert every["decisions"]["by_outcome"]["remove"] == 6
    assert every["items"]["cases_by_origin"]["detection"] == 5
    assert later["items"]["cases_opened"] == 0 and later["decisions"]["total"] == 0
    assert later["appeals"]["overturn_rate"] is None
    assert later["time_to_decision"]["median_seconds"] is None
    page = transparency_report_html(database, "2999-01-01")
    assert "No decision in this period." in page and "<svg" not in page


def transparency_report_html(database: Database, start: str) -> str:
    with database.session() as session:
        return transparency_report(session, parse_period(start, None)).html()


def test_the_page_is_self_contained_has_charts_and_escapes_stored_values(
    database: Database, scenario: Scenario
) -> None:
    with database.session(write=True) as session:  # a value no reviewer could give: hostile
        session.execute(
            insert(Decision).values(
                case_id=scenario.cases["E"],
                reviewer="user:mallory",
                outcome="remove",
                reason_code="<script>window.__pwned=1</script>\u202e",
                note="",
                on_appeal=False,
                created_at=datetime.now(UTC),
                review_kind="primary",
            )
        )
    page = _report(database, scenario).html()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;U+202E&gt;" in page
    assert "default-src 'none'; style-src 'unsafe-inline'" in page
    assert not re.search(r"""\s(src|href)=""", page)
    for chart in ("chart-bars", "chart-stacked", "chart-columns", "chart-time"):
        assert f"chart {chart}" in page, chart
    assert "Art. 2(7)(a)" in page and "TCO Art. 7(2)(d)" in page


def test_bad_periods_say_what_to_give() -> None:
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_period("2024-13-01", None)
    with pytest.raises(InputError, match="swap them"):
        parse_period("2024-05-02", "2024-05-01")
    period = parse_period("2024-05-01", "2024-05-01")  # one whole day
    assert period.start == datetime(2024, 5, 1, tzinfo=UTC)
    assert period.end == datetime(2024, 5, 2, tzinfo=UTC)
    assert parse_period("2024-05-01T12:00:00+02:00", None).start == datetime(
        2024, 5, 1, 10, tzinfo=UTC
    )


def test_the_command_writes_the_page_and_the_same_figures(
    database: Database, scenario: Scenario, cli: Any, tmp_path: Path
) -> None:
    page, figures = tmp_path / "out" / "transparency.html", tmp_path / "figures.json"
    done = cli(
        "report", "--transparency", "--from", scenario.period_from, "--to", scenario.period_to,
        "-o", page, "--json", figures,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    written = json.loads(figures.read_text(encoding="utf-8"))
    expected = _report(database, scenario).as_dict()
    for key in ("items", "decisions", "appeals", "time_to_decision", "removal_orders"):
        assert written[key] == expected[key], key
    assert "<svg" in page.read_text(encoding="utf-8")
    wrong = cli("report", "--transparency", "--from", "yesterday")
    assert wrong.code == 2 and "use YYYY-MM-DD" in wrong.stderr
    mixed = cli("report", "--transparency", str(figures))
    assert mixed.code == 2 and "give no findings or analysis file" in mixed.stderr


def test_orders_without_decisions_count_as_pending(database: Database) -> None:
    with database.session() as session:
        before = transparency_report(session).as_dict()["removal_orders"]
        assert session.scalar(select(Case.id)) is None
    assert before["orders"] == 0 and before["median_minutes_to_action"] is None
