"""raqib.analysis.scan_report: a safe, self-contained HTML scan report."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from raqib.analysis.scan_report import bar_chart, render_scan_report, summary_counts
from raqib.scan import ScanSummary

HOSTILE = "photos/<script>alert(1)</script>صورة_المعرض.jpg"
WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def finding(
    path: str,
    matches: list[dict[str, Any]] | None = None,
    errors: list[dict[str, str]] | None = None,
    recommended: str = "none",
    signals: bool = True,
) -> dict[str, Any]:
    return {
        "item": {
            "id": path,
            "source": "file",
            "path": path,
            "kind": "image",
            "sha256": None,
            "author": None,
            "time": None,
        },
        "signals": [{"signal_type": "pdq", "signal": "0" * 64, "quality": 100}] if signals else [],
        "matches": matches or [],
        "verdict": {"tier": None, "recommended": recommended, "reasons": []},
        "errors": errors or [],
    }


def match(bank: str, distance: int = 12, suppressed_by: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "bank": bank,
        "entry_id": 7,
        "signal_type": "pdq",
        "signal": "f" * 64,
        "distance": distance,
        "labels": {"entity": "Example Entity", "tier": 2},
    }
    if suppressed_by:
        record["suppressed_by"] = suppressed_by
    return record


FINDINGS = [
    finding(HOSTILE, [match("partner-bank"), match("<b>bank</b>")], recommended="review"),
    finding("clean/one.jpg"),
    finding("allowed/logo.png", [match("partner-bank", 3, suppressed_by="known-good")]),
    finding(
        "bad/broken.jpg",
        errors=[{"stage": "hash:pdq", "message": "<img src=x> truncated"}],
        signals=False,
    ),
]


def render(summary: ScanSummary | Mapping[str, Any] | None = None) -> str:
    return render_scan_report(FINDINGS, {} if summary is None else summary, generated_at=WHEN)


def test_hostile_names_are_escaped_and_no_script_anywhere() -> None:
    page = render()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;صورة_المعرض.jpg" in page
    assert "<img" not in page.lower()
    assert "&lt;b&gt;bank&lt;/b&gt;" in page
    assert "javascript:" not in page.lower()
    assert " on" + "error=" not in page.lower()


def test_page_is_self_contained_with_csp() -> None:
    page = render()
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en"' in page
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
    ) in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "<link" not in page
    assert "<svg" in page
    assert 'dir="auto"' in page


def test_counts_computed_from_findings() -> None:
    assert summary_counts(FINDINGS, {}) == {
        "files_scanned": 4,
        "with_signals": 3,
        "matched": 1,
        "errors": 1,
    }
    page = render()
    for label, value in [("Files scanned", 4), ("With signals", 3), ("Matched", 1)]:
        assert f'<span class="n">{value}</span><span class="k">{label}</span>' in page
    assert '<span class="tag review">review</span></td><td class="num">1</td>' in page
    assert '<span class="tag none">none</span></td><td class="num">3</td>' in page


def test_counts_taken_from_the_scan_summary() -> None:
    summary = ScanSummary(files=40, with_signals=30, matched=5, errors=2)
    summary.verdicts.update({"review": 5, "none": 35})
    page = render(summary)
    assert '<span class="n">40</span><span class="k">Files scanned</span>' in page
    assert '<span class="n">2</span><span class="k">With errors</span>' in page
    assert '<span class="tag review">review</span></td><td class="num">5</td>' in page


def test_other_summary_fields_are_listed() -> None:
    page = render({"files_scanned": 9, "elapsed_seconds": 1.25, "source": "<x>"})
    assert '<span class="n">9</span><span class="k">Files scanned</span>' in page
    assert "elapsed seconds" in page and "1.25" in page
    assert "&lt;x&gt;" in page


def test_tables_show_matches_suppression_and_errors() -> None:
    page = render()
    assert "Matched items (3)" in page
    assert "suppressed by allow-list known-good" in page
    assert "Errors (1)" in page
    assert "hash:pdq" in page
    assert "&lt;img src=x&gt; truncated" in page
    assert "Example Entity" in page


def test_bidi_overrides_are_revealed() -> None:
    hostile = finding("invoice\u202egpj.exe", [match("bank")])
    page = render_scan_report([hostile], {}, generated_at=WHEN)
    assert "\u202e" not in page
    assert "invoice&lt;U+202E&gt;gpj.exe" in page


def test_chart_counts_active_matches_per_bank() -> None:
    chart = bar_chart("Matches per bank", {"a": 4, "b": 2})
    assert [(bar.label, bar.value) for bar in chart.bars] == [("a", 4), ("b", 2)]
    assert chart.bars[0].width == 2 * chart.bars[1].width
    page = render()
    assert page.count('class="bar"') == 3  # two banks + one signal type; suppressed not counted


def test_empty_scan_renders() -> None:
    page = render_scan_report([], {}, generated_at=WHEN)
    assert "No matches." in page
    assert "No errors." in page


def _text_finding(text: str, hits: list[tuple[int, int, str]]) -> dict[str, Any]:
    record = finding("posts.jsonl#L1", recommended="review")
    record["text"] = {
        "language": "ar",
        "context": "news_or_research",
        "stance": "opposing",
        "entity": "Example Entity",
        "categories": {"threat": 0.0, "claim_of_responsibility": 0.35},
        "reasons": ["<b>reason</b> with markup"],
        "indicators": [
            {"name": name, "kind": "entity", "start": start, "end": end}
            for start, end, name in hits
        ],
        "excerpt": {"start": 0, "end": len(text), "text": text, "more": False},
    }
    return record


def test_text_excerpts_highlight_spans_right_to_left_and_escape_everything() -> None:
    text = "قال مسؤولون إن داعش <script>x</script> خسر \u202eمواقع"
    start = text.index("داعش")
    html = render_scan_report(
        [_text_finding(text, [(start, start + 4, "داعش")])], {}, generated_at=WHEN
    )
    assert '<p class="excerpt" dir="auto">' in html
    assert '<mark title="entity: داعش">داعش</mark>' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert "&lt;U+202E&gt;" in html and "\u202e" not in html
    assert "&lt;b&gt;reason&lt;/b&gt;" in html
    assert "claim_of_responsibility 0.35" in html and "threat 0.00" not in html


def test_page_findings_list_techniques_and_iocs() -> None:
    record = finding("pages/loader.html", recommended="review")
    record["page"] = {
        "injected_scripts": [
            {
                "technique": "eval_atob",
                "iocs": [{"type": "url", "value": "http://192.0.2.1/x.js"}],
                "evidence": "eval(atob('<svg onload=1>'))",
            }
        ]
    }
    html = render_scan_report([record], {}, generated_at=WHEN)
    assert "eval_atob" in html and "url http://192.0.2.1/x.js" in html
    assert "&lt;svg onload=1&gt;" in html and "<svg onload" not in html
