"""A self-contained HTML report of one scan: counts, matches, errors and bar charts.

The page has no external resources and no JavaScript; a Content-Security-Policy meta tag backs
that up. Everything from the findings (file names, bank names, labels, error messages) is
untrusted and escaped by Jinja2's autoescape; bidi override characters are made visible so a
file name cannot disguise itself. No media is shown, only metadata.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined

if TYPE_CHECKING:
    from raqib.scan import ScanSummary

DEFAULT_MAX_ROWS = 5000
VERDICTS = ("remove", "preserve", "review", "none")
_COUNT_KEYS: dict[str, tuple[str, ...]] = {
    "files_scanned": ("files_scanned", "scanned", "files", "items", "total"),
    "with_signals": ("with_signals", "hashed", "signalled"),
    "matched": ("matched", "with_matches", "matched_items"),
    "errors": ("errors", "with_errors", "failed"),
}
_VERDICT_KEYS = ("by_verdict", "verdicts")
# Bidi embeddings, overrides and isolates: shown as <U+202E> so names cannot reorder themselves.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_OTHER_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")

_CHART_WIDTH = 640
_CHART_LABEL_WIDTH = 200
_BAR_HEIGHT = 22
_BAR_GAP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    bar_height: int
    text_y: int


@dataclass(frozen=True)
class MatchRow:
    path: str
    kind: str
    signal_type: str
    bank: str
    distance: str
    entity: str
    tier: str
    recommended: str
    suppressed_by: str


@dataclass(frozen=True)
class Segment:
    """A run of excerpt text; `mark` holds the indicator's label when the run is a hit."""

    text: str
    mark: str


@dataclass(frozen=True)
class TextRow:
    path: str
    language: str
    context: str
    stance: str
    entity: str
    categories: str
    reasons: tuple[str, ...]
    segments: tuple[Segment, ...]
    clipped_before: bool
    clipped_after: bool


@dataclass(frozen=True)
class PageRow:
    path: str
    technique: str
    iocs: str
    evidence: str


@dataclass(frozen=True)
class ErrorRow:
    path: str
    stage: str
    message: str


def render_scan_report(
    findings: list[dict[str, Any]],
    summary: ScanSummary | Mapping[str, Any],
    title: str = "Raqib scan report",
    *,
    generated_at: datetime | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> str:
    """The HTML page for a scan's `findings` (finding dicts) and its `summary`.

    `summary` is a `raqib.scan.ScanSummary` (or any dataclass, object with `as_dict()` or
    attributes) or a mapping; counts it lacks are computed from the findings. Its other scalar
    fields (e.g. elapsed seconds) are listed under Details. At most `max_rows` rows are shown
    per table, with a note of how many were left out.
    """
    matches = list(_match_rows(findings))
    errors = list(_error_rows(findings))
    texts = list(_text_rows(findings))
    pages = list(_page_rows(findings))
    active = [row for row in matches if not row.suppressed_by]
    context = {
        "title": title,
        "generated_at": (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S %Z"),
        "counts": summary_counts(findings, summary),
        "verdicts": _verdict_counts(findings, summary),
        "details": _details(summary),
        "matches": matches[:max_rows],
        "matches_hidden": max(0, len(matches) - max_rows),
        "suppressed": len(matches) - len(active),
        "texts": texts[:max_rows],
        "texts_hidden": max(0, len(texts) - max_rows),
        "pages": pages[:max_rows],
        "pages_hidden": max(0, len(pages) - max_rows),
        "errors": errors[:max_rows],
        "errors_hidden": max(0, len(errors) - max_rows),
        "charts": [
            bar_chart("Matches per bank", Counter(row.bank for row in active)),
            bar_chart("Matches per signal type", Counter(row.signal_type for row in active)),
        ],
    }
    return environment().get_template("scan_report.html").render(context)


def environment() -> Environment:
    """The reports' Jinja2 environment (scan, campaign and transparency reports): autoescape on,
    undefined names are errors, and the `reveal` filter that shows bidi controls as <U+202E>."""
    env = Environment(
        loader=PackageLoader("raqib.analysis", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["reveal"] = reveal_controls
    return env


def reveal_controls(text: object) -> str:
    """`text` with bidi controls shown as <U+XXXX> and other control characters as U+FFFD."""
    value = _BIDI_CONTROLS.sub(lambda m: f"<U+{ord(m.group()):04X}>", str(text))
    return _OTHER_CONTROLS.sub("\ufffd", value)


# ---------------------------------------------------------------------------------------------
# Counts


def summary_counts(findings: list[dict[str, Any]], summary: object) -> dict[str, int]:
    """Files scanned, with signals, matched and with errors: from `summary`, else the findings."""
    values = summary_mapping(summary)
    computed = {
        "files_scanned": len(findings),
        "with_signals": sum(1 for f in findings if f.get("signals")),
        "matched": sum(1 for f in findings if _active_matches(f)),
        "errors": sum(1 for f in findings if f.get("errors")),
    }
    return {key: _first_int(values, names, computed[key]) for key, names in _COUNT_KEYS.items()}


def _verdict_counts(findings: list[dict[str, Any]], summary: object) -> dict[str, int]:
    values = summary_mapping(summary)
    for key in _VERDICT_KEYS:
        given = values.get(key)
        if isinstance(given, Mapping):
            return _ordered_verdicts({str(k): int(v) for k, v in given.items()})
    counted = Counter(_verdict(f).get("recommended") or "none" for f in findings)
    return _ordered_verdicts({str(k): v for k, v in counted.items()})


def _ordered_verdicts(counts: dict[str, int]) -> dict[str, int]:
    ordered = {name: counts.get(name, 0) for name in VERDICTS}
    ordered.update({k: v for k, v in sorted(counts.items()) if k not in ordered})
    return ordered


def _details(summary: object) -> list[tuple[str, str]]:
    """Scalar summary fields not already shown as counts (e.g. elapsed seconds, rate)."""
    shown = {name for names in _COUNT_KEYS.values() for name in names} | set(_VERDICT_KEYS)
    rows = []
    for key, value in summary_mapping(summary).items():
        if key in shown or not isinstance(value, str | int | float | bool):
            continue
        rows.append((key.replace("_", " "), _format_scalar(value)))
    return rows


def summary_mapping(summary: object) -> dict[str, Any]:
    """A summary object as a dict: mappings, dataclasses, `as_dict()` or public attributes."""
    if isinstance(summary, Mapping):
        return {str(k): v for k, v in summary.items()}
    if dataclasses.is_dataclass(summary) and not isinstance(summary, type):
        return {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)}
    as_dict = getattr(summary, "as_dict", None)
    if callable(as_dict):
        return summary_mapping(as_dict())
    return {k: v for k, v in vars(summary).items() if not k.startswith("_")}


def _first_int(values: Mapping[str, Any], names: Iterable[str], default: int) -> int:
    for name in names:
        value = values.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return default


def _format_scalar(value: str | int | float | bool) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# Rows


def _match_rows(findings: list[dict[str, Any]]) -> Iterable[MatchRow]:
    for finding in findings:
        item = _mapping(finding.get("item"))
        recommended = str(_verdict(finding).get("recommended") or "none")
        for match in _list_of_mappings(finding.get("matches")):
            labels = _mapping(match.get("labels"))
            yield MatchRow(
                path=item_location(item),
                kind=str(item.get("kind") or ""),
                signal_type=str(match.get("signal_type") or ""),
                bank=str(match.get("bank") or ""),
                distance=_format_distance(match.get("distance")),
                entity=str(labels.get("entity") or ""),
                tier=_text(labels.get("tier")),
                recommended=recommended,
                suppressed_by=_text(match.get("suppressed_by")),
            )


def _text_rows(findings: list[dict[str, Any]]) -> Iterable[TextRow]:
    """Assessed texts that named an indicator or were not judged unrelated."""
    for finding in findings:
        text = _mapping(finding.get("text"))
        hits = _list_of_mappings(text.get("indicators"))
        if not text.get("context") or (not hits and text.get("context") == "unrelated"):
            continue
        excerpt = _mapping(text.get("excerpt"))
        categories = _mapping(text.get("categories"))
        shown = [f"{k} {float(v):.2f}" for k, v in categories.items() if _positive(v)]
        yield TextRow(
            path=item_location(_mapping(finding.get("item"))),
            language=_text(text.get("language")),
            context=_text(text.get("context")),
            stance=_text(text.get("stance")),
            entity=_text(text.get("entity")),
            categories=", ".join(shown),
            reasons=tuple(_text(r) for r in text.get("reasons") or []),
            segments=tuple(highlight_segments(excerpt, hits)),
            clipped_before=int(excerpt.get("start") or 0) > 0,
            clipped_after=bool(excerpt.get("end") is not None and excerpt.get("more")),
        )


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def highlight_segments(excerpt: Mapping[str, Any], hits: list[Mapping[str, Any]]) -> list[Segment]:
    """Split the excerpt into plain runs and marked indicator spans (offsets are code points
    into the original text; the excerpt starts at `excerpt["start"]`)."""
    body = _text(excerpt.get("text"))
    origin = int(excerpt.get("start") or 0)
    segments: list[Segment] = []
    cursor = 0
    for hit in sorted(hits, key=lambda h: (int(h.get("start") or 0), -int(h.get("end") or 0))):
        start = int(hit.get("start") or 0) - origin
        end = int(hit.get("end") or 0) - origin
        if start < cursor or start >= len(body) or end <= start:
            continue
        end = min(end, len(body))
        if start > cursor:
            segments.append(Segment(body[cursor:start], ""))
        label = f"{_text(hit.get('kind'))}: {_text(hit.get('name'))}"
        segments.append(Segment(body[start:end], label))
        cursor = end
    if cursor < len(body):
        segments.append(Segment(body[cursor:], ""))
    return segments


def _page_rows(findings: list[dict[str, Any]]) -> Iterable[PageRow]:
    for finding in findings:
        path = item_location(_mapping(finding.get("item")))
        page = _mapping(finding.get("page"))
        for script in _list_of_mappings(page.get("injected_scripts")):
            iocs = _list_of_mappings(script.get("iocs"))
            yield PageRow(
                path=path,
                technique=_text(script.get("technique")),
                iocs=", ".join(f"{_text(i.get('type'))} {_text(i.get('value'))}" for i in iocs),
                evidence=_text(script.get("evidence")),
            )


def _error_rows(findings: list[dict[str, Any]]) -> Iterable[ErrorRow]:
    for finding in findings:
        path = item_location(_mapping(finding.get("item")))
        for error in _list_of_mappings(finding.get("errors")):
            yield ErrorRow(path, _text(error.get("stage")), _text(error.get("message")))


def item_location(item: Mapping[str, Any]) -> str:
    """What to call an item: its path, else URL, else external id, else id."""
    for key in ("path", "url", "external_id", "id"):
        value = item.get(key)
        if value not in (None, ""):
            return str(value)
    return "(unnamed item)"


def _active_matches(finding: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [m for m in _list_of_mappings(finding.get("matches")) if not m.get("suppressed_by")]


def _verdict(finding: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(finding.get("verdict"))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list_of_mappings(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list | tuple):
        return []
    return [entry for entry in value if isinstance(entry, Mapping)]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _format_distance(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.3g}"
    return _text(value)


# ---------------------------------------------------------------------------------------------
# Charts


def bar_chart(title: str, counts: Mapping[str, int]) -> Chart:
    """A horizontal bar chart laid out for the template's inline SVG, largest bar first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = max((value for _label, value in ordered), default=0)
    span = _CHART_WIDTH - _CHART_LABEL_WIDTH - 60
    bars = tuple(
        Bar(
            label=_shorten(label or "(none)"),
            value=value,
            y=index * (_BAR_HEIGHT + _BAR_GAP),
            width=round(span * value / top, 1) if top else 0.0,
        )
        for index, (label, value) in enumerate(ordered)
    )
    height = max(1, len(bars)) * (_BAR_HEIGHT + _BAR_GAP)
    text_y = round(_BAR_HEIGHT * 0.7)
    return Chart(title, bars, _CHART_WIDTH, height, _CHART_LABEL_WIDTH, _BAR_HEIGHT, text_y)


def _shorten(label: str, limit: int = 28) -> str:
    label = reveal_controls(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"
