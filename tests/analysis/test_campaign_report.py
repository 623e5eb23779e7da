"""The campaign report: activity, known-bank share, clusters with samples, the account network
and re-spawn chains, from findings or an analysis JSON; hostile strings stay inert text."""

from __future__ import annotations

import json
import random
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from campaign_data import (
    at,
    bank_match,
    bulk_findings,
    finding,
    pdq_signal,
    random_pdq,
    respawn_scenario,
    text_signals,
    write_findings,
)

from raqib.analysis.campaign import analyse_findings
from raqib.analysis.campaign_network import MAX_NODES
from raqib.analysis.campaign_report import (
    load_analysis,
    report_from_analysis,
    report_from_findings,
)
from raqib.errors import InputError

CHAIN = ["acct_alpha", "acct_alpha2", "acct_alpha_3"]
PAYLOAD = "<script>window.__raqibInjected = 1</script>"
BIDI = "\u202e"
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "main",
    "section", "div", "span", "table", "thead", "tbody", "tr", "th", "td", "figure",
    "figcaption", "svg", "g", "rect", "text", "line", "polygon", "polyline", "circle", "br",
    "ul", "li", "details", "summary", "dl", "dt", "dd", "code",
}  # fmt: skip


class Tags(HTMLParser):
    """Every start tag and attribute name of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _value in attrs)


def hostile_findings(seed: int = 3) -> list[dict[str, Any]]:
    """Two clusters of a hostile account: a text posted six times (a script, a bidi override
    and a megabyte of padding in it) and an image posted five times; the account forwards and
    mentions others, so it is in the network too."""
    rng = random.Random(seed)
    handle = f"<b>bold</b>{BIDI}evil_account"
    name = "<img src=x onerror=alert(1)>"
    body = f"Placeholder {PAYLOAD} {BIDI}reversed {'x' * 1_000_000}"
    signals = text_signals("placeholder text that stands for the hostile post")
    image, digest = random_pdq(rng), f"{rng.getrandbits(256):064x}"
    found = [
        finding(f"hostile-text-{n}", handle, at(n * 0.1), signals, author_name=name, text=body)
        for n in range(6)
    ]
    found += [
        finding(
            f"hostile-image-{n}", handle, at(n * 0.1, 1), [pdq_signal(image)], kind="image",
            sha256=digest, mentions=[f"viewer_{n}"], forwarded_from="hub_account",
        )
        for n in range(5)
    ]  # fmt: skip
    return found


def scenario() -> list[dict[str, Any]]:
    """The planted re-spawn chain, hostile posts, five items matching a bank and three only
    flagged by the assessment."""
    found = respawn_scenario() + hostile_findings()
    for record in found[:5]:
        record["matches"] = [bank_match("Synthetic Entity")]
    for record in found[5:8]:
        record["verdict"] = {"tier": None, "recommended": "review", "reasons": []}
    return found


@pytest.fixture(scope="module")
def report_and_findings() -> tuple[Any, list[dict[str, Any]]]:
    found = scenario()
    return report_from_findings(found), found


def test_the_planted_chain_is_shown_with_scores_and_evidence(
    report_and_findings: tuple[Any, list[dict[str, Any]]],
) -> None:
    report, _found = report_and_findings
    chains = report.as_dict()["respawn_chains"]
    assert [c["accounts"] for c in chains] == [CHAIN]
    for link in chains[0]["links"]:
        assert 0.5 <= link["score"] <= 1.0
        assert link["evidence"]["shared_count"] >= 2 and link["evidence"]["gap_days"] >= 0
    page = report.html()
    assert page.count('class="account"') == 3 and "acct_alpha_3" in page


def test_activity_and_the_known_bank_share(
    report_and_findings: tuple[Any, list[dict[str, Any]]],
) -> None:
    report, found = report_and_findings
    figures = report.as_dict()
    activity = figures["activity"]
    assert activity["unit"] == "day" and activity["buckets"][0] == "2024-03-01"
    clustered = figures["summary"]["clustered_items"]
    assert sum(sum(counts) for counts in activity["by_cluster"].values()) == clustered
    entity = activity["by_entity"]["Synthetic Entity"]
    assert sum(entity) == 5
    share = figures["bank_share"]["rows"][0]
    assert share == {
        "name": "All items",
        "matched_known_bank": 5,
        "flagged_by_assessment_only": 3,
        "not_flagged": len(found) - 8,
    }
    kinds = {row["name"]: row for row in figures["bank_share"]["rows"]}
    assert sum(kinds["kind: image"][k] for k in ("matched_known_bank", "not_flagged")) >= 5
    page = report.html()
    for chart in ("chart-time", "chart-stacked", "chart-network"):
        assert f"chart {chart}" in page, chart


def test_hostile_strings_are_inert_capped_and_media_never_embedded(
    report_and_findings: tuple[Any, list[dict[str, Any]]],
) -> None:
    report, found = report_and_findings
    page = report.html()
    parsed = Tags()
    parsed.feed(page)
    assert parsed.tags <= ALLOWED_TAGS, parsed.tags - ALLOWED_TAGS
    assert not {a for a in parsed.attributes if a.startswith("on") or a in ("src", "href")}
    assert f'content="{CSP}"' in page
    assert "&lt;script&gt;window.__raqibInjected = 1&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;&lt;U+202E&gt;evil_account" in page
    assert BIDI not in page
    assert len(page) < 600_000  # six megabyte-long posts, cut to excerpts
    digest = next(f["item"]["sha256"] for f in found if f["item"]["id"] == "hostile-image-0")
    assert f"sha256 {digest[:16]}…" in page and digest[:17] not in page
    assert "media-placeholder" in page
    samples = [s for c in report.as_dict()["clusters"] for s in c["samples"]]
    image = next(s for s in samples if s["kind"] == "image")
    assert image["text"] == "" and image["media"] == {"kind": "image", "sha256_prefix": digest[:16]}
    text = next(s for s in samples if s["item"].startswith("hostile-text"))
    assert len(text["text"]) == 280 and text["text_clipped"]


def test_the_network_draws_at_most_300_accounts_and_counts_the_rest() -> None:
    report = report_from_findings(list(bulk_findings(1500)))
    network = report.as_dict()["network"]
    assert network["drawn_accounts"] == MAX_NODES < network["accounts"]
    assert network["hidden_accounts"] == network["accounts"] - MAX_NODES
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in network["nodes"])
    linked = {n["account"] for n in network["nodes"]}
    assert len(linked) == MAX_NODES
    page = report.html()
    assert page.count('<circle class="node') == MAX_NODES
    assert f"{network['hidden_accounts']:,} accounts are not drawn" in page
    again = report_from_findings(list(bulk_findings(1500))).as_dict()["network"]["nodes"]
    assert again == network["nodes"]  # the seeded layout draws the same network the same way


def contract_analysis() -> dict[str, Any]:
    """An analysis JSON with only the contract's three lists, some entries broken."""
    return {
        "clusters": [
            {"id": "c1", "size": 3, "items": ["p1", "p2", "p3"], "accounts": ["old_acct"]},
            "not a cluster",
        ],
        "communities": [{"id": "g1", "size": 2, "accounts": ["old_acct", "new_acct"]}],
        "respawn": [
            {"from": "old_acct", "to": "new_acct", "score": 0.81, "evidence": {"gap_days": 2}},
            {"from": "new_acct", "to": "newer_acct", "score": 0.7, "evidence": ["odd"]},
            {"from": "x_acct", "to": "x_acct", "score": 0.9},
            {"from": 5, "to": None, "score": "high"},
            "not a link",
        ],
    }


def test_a_hand_built_analysis_is_reported_without_findings() -> None:
    report = report_from_analysis(contract_analysis())
    figures = report.as_dict()
    assert [c["accounts"] for c in figures["respawn_chains"]] == [
        ["old_acct", "new_acct", "newer_acct"]
    ]
    assert figures["respawn_chains"][0]["links"][0]["evidence"] == {"gap_days": 2.0}
    assert figures["activity"] is None and figures["bank_share"] is None
    assert any("--findings" in note for note in figures["notes"])
    page = report.html()
    assert "No account links to draw." in page and "c1" in page
    loops = report_from_analysis(
        {
            "respawn": [
                {"from": "a", "to": "b", "score": 0.9},
                {"from": "b", "to": "a", "score": 0.8},
            ]
        }
    )
    assert sorted(c["accounts"] for c in loops.as_dict()["respawn_chains"]) == [
        ["a", "b"],
        ["b", "a"],
    ]


def test_a_hand_built_analysis_with_its_findings_has_activity() -> None:
    found = [finding(f"p{n}", "old_acct", at(2 * n, 12), []) for n in (1, 2, 3)]
    found.append(finding("p4", "other", at(1), []))
    figures = report_from_analysis(contract_analysis(), found).as_dict()
    assert figures["activity"]["unit"] == "day"  # a span of over three days
    assert figures["activity"]["by_cluster"] == {"c1": [0, 1, 0, 1, 0, 1]}
    assert figures["summary"]["findings"] == 4


ODD_ANALYSES: list[dict[str, Any]] = [
    {},
    {"clusters": "x", "respawn": {"a": 1}, "network": [], "communities": [None], "bridges": "x"},
    {"clusters": [{"id": ["c1"], "size": -4, "items": [1, None, {}]}], "summary": []},
    {"network": {"edge_list": [{"from": "a", "to": "b", "weight": "heavy"}, {"from": "a"}]}},
]
ODD_FINDINGS: list[Any] = [
    {"item": {"id": 1, "time": "not a time", "kind": ["x"]}, "signals": "no", "matches": "x"},
    {"item": {"time": 1e300, "sha256": "<not hex>", "kind": "image"}, "verdict": [], "text": 5},
    "not a finding",
]


@pytest.mark.parametrize("analysis", ODD_ANALYSES)
def test_odd_analyses_and_findings_never_stop_a_report(analysis: dict[str, Any]) -> None:
    report = report_from_analysis(analysis, ODD_FINDINGS)
    page = report.html()
    assert "Summary" in page and report.as_dict()["summary"]["findings"] == 3
    assert report.as_dict()["activity"] is None  # no usable time among them
    assert report_from_findings(ODD_FINDINGS[:2]).as_dict()["summary"]["findings"] == 2


def test_analysis_files_are_checked(tmp_path: Path) -> None:
    truncated = tmp_path / "analysis.json"
    truncated.write_text('{"clusters": [', encoding="utf-8")
    with pytest.raises(InputError, match="not a findings file nor an analysis JSON"):
        load_analysis(truncated)
    other = tmp_path / "other.json"
    other.write_text('{"something": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="without clusters, communities or respawn"):
        load_analysis(other)


def test_the_command_writes_html_and_json(cli: Any, tmp_path: Path) -> None:
    findings = write_findings(tmp_path / "findings.jsonl", respawn_scenario())
    page, figures = tmp_path / "out" / "report.html", tmp_path / "report.json"
    done = cli("report", findings, "-o", page, "--json", figures)
    assert done.code == 0, done.stderr
    written = json.loads(figures.read_text(encoding="utf-8"))
    assert [c["accounts"] for c in written["respawn_chains"]] == [CHAIN]
    assert written["activity"]["unit"] == "day"
    assert "chart-network" in page.read_text(encoding="utf-8")
    analysis = tmp_path / "analysis.json"
    analysis.write_text(json.dumps(analyse_findings(respawn_scenario()).as_dict()), "utf-8")
    again = cli(
        "report", analysis, "--findings", findings, "-o", tmp_path / "r2.html", "--json", "-"
    )
    assert again.code == 0, again.stderr
    from_analysis = json.loads(again.stdout)
    assert from_analysis["activity"]["by_cluster"] == written["activity"]["by_cluster"]
    assert from_analysis["respawn_chains"] == written["respawn_chains"]


def test_the_command_says_what_to_give(cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"clusters": [{"id": ', encoding="utf-8")
    cases = [
        (("report",), "give a findings file"),
        (("report", tmp_path / "missing.jsonl"), "no such file"),
        (("report", broken), "not a findings file nor an analysis JSON"),
        (("report", broken, "--from", "2024-01-01"), "are for --transparency"),
    ]
    for args, message in cases:
        done = cli(*args)
        assert done.code == 2 and message in done.stderr, (args, done.stderr)
