"""The HTML reports in a real browser (Debian's Chromium driven by Playwright, opened from the
file as a person would): the charts render with real sizes, the network has its accounts, the
page raises no console error or CSP violation, and a script in a post is shown as text and
never runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import CSP_RECORDER, TIMEOUT_MS, VIEWPORT, browser
from playwright.sync_api import Browser, Page

from raqib.analysis.campaign_report import report_from_findings
from raqib.analysis.transparency import transparency_report
from raqib.config import Settings
from raqib.review import quality
from raqib.review.cases import open_case
from raqib.review.claims import claim
from raqib.review.decisions import appeal, decide
from raqib.store.db import Database

__all__ = ["browser"]  # a fixture, imported for pytest

PAYLOAD = (
    '<script>window.__raqibInjected = 1</script><img src=x onerror="window.__raqibInjected = 2">'
)
START = datetime(2024, 6, 1, 8, tzinfo=UTC)


@dataclass
class Opened:
    """A report page and what it did: console errors, page errors, requests it made."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def opened(browser: Browser) -> Iterator[Any]:
    """Opens a report file in a fresh context (fixed viewport, UTC, English)."""
    context = browser.new_context(
        viewport=VIEWPORT,  # type: ignore[arg-type]
        device_scale_factor=1,
        locale="en-US",
        timezone_id="UTC",
        java_script_enabled=True,  # on, so that an injected script would run if it could
    )
    context.add_init_script(CSP_RECORDER)

    def open_file(path: Path) -> Opened:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        seen = Opened(page)
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.errors.append(str(e)))
        page.on("request", lambda r: seen.requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        return seen

    try:
        yield open_file
    finally:
        context.close()


def _finding(
    number: int, author: str, day: float, signals: list[dict[str, Any]], **item: Any
) -> dict[str, Any]:
    return {
        "item": {
            "id": f"post-{number}",
            "source": "post",
            "kind": "text",
            "external_id": f"post-{number}",
            "platform": "synthetic",
            "author": author,
            "time": (START + timedelta(days=day)).isoformat(),
            **item,
        },
        "signals": signals,
        "matches": [],
        "verdict": {"tier": None, "recommended": "none", "reasons": []},
        "errors": [],
    }


def campaign_findings() -> list[dict[str, Any]]:
    """Forty synthetic accounts in two groups that forward and mention each other; three texts
    and one known image posted again and again over ten days; one text carries a script."""
    found = []
    for number in range(240):
        group, member = number % 2, number % 20
        author = f"group{group}_account_{member}"
        piece = number % 4
        kind = "image" if piece == 3 else "text"
        signal = {
            "signal_type": "pdq" if kind == "image" else "text_sha256",
            "signal": f"{piece + 1:064x}",
        }
        item: dict[str, Any] = {
            "kind": kind,
            "mentions": [f"group{group}_account_{(member + 1) % 20}"],
            "forwarded_from": f"group{1 - group}_account_0" if member == 5 else None,
        }
        if kind == "image":
            item["sha256"] = f"{number:064x}"
        else:
            item["text"] = (
                PAYLOAD if piece == 0 else f"Placeholder bulletin {piece}: market weather."
            )
        record = _finding(number, author, number / 24, [signal], **item)
        if kind == "image":  # the image is known: it matches a bank, naming an entity
            labels = {"entity": "Synthetic Entity", "tier": 2}
            record["matches"] = [{"bank": "synthetic-bank", "signal_type": "pdq", "labels": labels}]
        found.append(record)
    return found


def _check_charts(page: Page, least: int) -> None:
    charts = page.locator("svg.chart-svg")
    assert charts.count() >= least
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 40, index


def _assert_quiet(seen: Opened) -> None:
    assert seen.errors == []
    assert seen.page.evaluate("window.__cspViolations") == []
    assert [url for url in seen.requests if not url.startswith("file://")] == []


def test_the_campaign_report_renders_its_charts_and_keeps_scripts_inert(
    opened: Any, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    report.write_text(report_from_findings(campaign_findings()).html(), encoding="utf-8")
    seen = opened(report)
    page = seen.page
    _check_charts(page, 4)  # by cluster, by entity, known-bank share, network
    nodes = page.locator("#network circle.node")
    assert nodes.count() == 40
    box = nodes.first.bounding_box()
    assert box is not None and box["width"] > 2 and box["height"] > 2
    area = page.locator("figure.chart-time polygon.area").first.bounding_box()
    assert area is not None and area["width"] > 100 and area["height"] > 0
    assert page.evaluate("window.__raqibInjected") is None
    shown = page.locator(".sample .text").all_inner_texts()
    assert any(PAYLOAD in text for text in shown)
    placeholder = page.locator(".media-placeholder").first
    assert "image not shown" in placeholder.inner_text() and page.locator("img").count() == 0
    _assert_quiet(seen)


def test_the_transparency_report_renders_its_charts(
    opened: Any, database: Database, settings: Settings, tmp_path: Path
) -> None:
    with database.session(write=True) as session:
        quality.set_second_review_share(session, 0.0, "user:lead")
    outcomes = [("remove", "incitement"), ("keep", "news_reporting"), ("preserve", "threat")]
    for number, (outcome, reason) in enumerate(outcomes):
        finding = {"item": {"id": f"i{number}", "source": "post"}, "matches": []}
        meta = {"platform": "forum", "external_id": f"post-{number}"}
        with database.session(write=True) as session:
            case_id = open_case(session, finding, meta, "key:1").id
        with database.session(write=True) as session:
            claim(session, case_id, "user:alice", 600)
            decide(session, case_id, "user:alice", outcome, reason, "", settings)
    with database.session(write=True) as session:
        appeal(session, case_id, "user:submitter", "synthetic appeal")
    with database.session() as session:
        page_text = transparency_report(session).html()
    report = tmp_path / "transparency.html"
    report.write_text(page_text, encoding="utf-8")
    seen = opened(report)
    _check_charts(seen.page, 5)
    bars = seen.page.locator("figure.chart-bars rect.bar")
    assert bars.count() >= 3
    assert "Appeals" in seen.page.locator("#appeals").inner_text()
    _assert_quiet(seen)
