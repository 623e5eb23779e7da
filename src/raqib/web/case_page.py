"""What the case page shows, built from a case's finding as plain values for the template.

Everything here is data: the template renders it with autoescaping, so ingested text (the item's
text, labels, page-script evidence, URLs) is always shown as text. The item's text becomes
paragraphs of (text, mark) segments, the indicator spans marked; category scores become bar
widths in 5% steps (CSS classes: the page's policy allows no inline style)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from raqib.analysis.scan_report import Segment, highlight_segments
from raqib.errors import NotFoundError
from raqib.exchange import feedback
from raqib.review.priority import counted_matches
from raqib.review.reasons import OUTCOMES, ReasonCode, reasons_for
from raqib.store.banks import BankRepository

# The key that decides each outcome on the case page, and the reason chosen beforehand.
SHORTCUTS = {
    "remove": "r",
    "keep": "k",
    "preserve": "p",
    "escalate": "e",
    "not_terrorist_content": "n",
}
SKIP_KEY = "s"
DEFAULT_REASONS = {
    "remove": "incitement",
    "keep": "news_reporting",
    "preserve": "incitement",
    "escalate": "needs_specialist",
    "not_terrorist_content": "unrelated",
}
OUTCOME_LABELS = {
    "remove": "Remove",
    "keep": "Keep",
    "preserve": "Preserve",
    "escalate": "Escalate",
    "not_terrorist_content": "Not terrorist content",
}


@dataclass(frozen=True)
class OutcomeChoice:
    """One decision button: its outcome, key, label, the reasons that fit and the default."""

    outcome: str
    key: str
    label: str
    reasons: tuple[ReasonCode, ...]
    default: str


def outcome_choices() -> list[OutcomeChoice]:
    return [
        OutcomeChoice(
            outcome,
            SHORTCUTS[outcome],
            OUTCOME_LABELS[outcome],
            tuple(reasons_for(outcome)),
            DEFAULT_REASONS[outcome],
        )
        for outcome in OUTCOMES
    ]


# --- the item's text ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemText:
    """The item's text as paragraphs of segments; `clipped_*`: only an excerpt is kept."""

    paragraphs: tuple[tuple[Segment, ...], ...]
    clipped_before: bool
    clipped_after: bool

    @property
    def empty(self) -> bool:
        return not any(segment.text for paragraph in self.paragraphs for segment in paragraph)


def item_text(finding: Mapping[str, Any]) -> ItemText:
    """The full text kept on the case (`item.text`), else the assessment's excerpt of the
    original text, split into paragraphs at line breaks with the indicator spans marked."""
    text = _mapping(finding.get("text"))
    hits = [h for h in text.get("indicators") or [] if isinstance(h, Mapping)]
    full = _mapping(finding.get("item")).get("text")
    if isinstance(full, str) and full:
        window: Mapping[str, Any] = {"text": full, "start": 0}
        before = after = False
    else:
        window = _mapping(text.get("excerpt"))
        before = int(window.get("start") or 0) > 0
        after = bool(window.get("more"))
    segments = highlight_segments(window, hits)
    return ItemText(tuple(_paragraphs(segments)), before, after)


def _paragraphs(segments: list[Segment]) -> list[tuple[Segment, ...]]:
    """Split segments at line breaks (a marked span across a break is split in two), so each
    line is its own paragraph with its own text direction."""
    paragraphs: list[list[Segment]] = [[]]
    for segment in segments:
        lines = segment.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for index, line in enumerate(lines):
            if index:
                paragraphs.append([])
            if line:
                paragraphs[-1].append(Segment(line, segment.mark))
    return [tuple(p) for p in paragraphs]


# --- matched signals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalRow:
    bank: str
    tlp: str
    signal_type: str
    distance: str
    entity: str
    tier: str
    behaviours: str
    source: str
    counted: bool
    why_not: str  # "allow list" or what suppressed it, when it does not count
    feedback: str  # "confirmed by N partners, disputed by M, seen K times" ("" without entry)


def signal_rows(session: Session, finding: Mapping[str, Any]) -> list[SignalRow]:
    counted = {id(m) for m in counted_matches(finding)}
    tlps: dict[str, str] = {}
    feedback_of = _feedback(session, finding)
    rows = []
    for match in finding.get("matches") or []:
        if not isinstance(match, dict):
            continue
        bank = _text(match.get("bank"))
        if bank not in tlps:
            tlps[bank] = _tlp(session, bank)
        labels = _mapping(match.get("labels"))
        behaviours = labels.get("behaviours")
        rows.append(
            SignalRow(
                bank=bank,
                tlp=tlps[bank],
                signal_type=_text(match.get("signal_type")),
                distance=_text(match.get("distance")),
                entity=_text(labels.get("entity")),
                tier=_text(labels.get("tier")),
                behaviours=", ".join(map(str, behaviours)) if isinstance(behaviours, list) else "",
                source=_text(labels.get("source")),
                counted=id(match) in counted,
                why_not=_why_not(match),
                feedback=feedback_of.get(_entry_id(match) or 0, ""),
            )
        )
    return rows


def _feedback(session: Session, finding: Mapping[str, Any]) -> dict[int, str]:
    """Entry id -> what partners and our reviewers said of its indicator, for each matched entry
    that still exists."""
    ids = [i for i in (_entry_id(m) for m in finding.get("matches") or []) if i is not None]
    entries = BankRepository(session).by_ids(list(dict.fromkeys(ids))) if ids else {}
    found = feedback.counts(session, (entry.stix_id for entry, _bank in entries.values()))
    return {i: feedback_text(found[entry.stix_id]) for i, (entry, _bank) in entries.items()}


def feedback_text(counts: feedback.FeedbackCounts) -> str:
    """The row's feedback text: "confirmed by N partners, disputed by M, seen K times", and
    whether our reviewers agree when they said."""
    partners = "partner" if counts.confirmed == 1 else "partners"
    times = "time" if counts.sightings == 1 else "times"
    text = f"confirmed by {counts.confirmed} {partners}, disputed by {counts.disputed}, "
    text += f"seen {counts.sightings} {times}"
    if counts.own_agrees is not None:
        text += "; our reviewers " + ("agree" if counts.own_agrees else "disagree")
    return text


def _entry_id(match: Any) -> int | None:
    found = match.get("entry_id") if isinstance(match, Mapping) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def _tlp(session: Session, bank: str) -> str:
    try:
        return BankRepository(session).get(bank).tlp
    except NotFoundError:
        return "unknown"


def _why_not(match: Mapping[str, Any]) -> str:
    if match.get("allow_list"):
        return "allow list"
    suppressed = match.get("suppressed_by")
    return f"suppressed by {suppressed}" if suppressed else ""


# --- the assessment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreBar:
    name: str
    score: str  # two decimals
    width: int  # percent in 5% steps: CSS class w-<width>


@dataclass(frozen=True)
class Assessment:
    language: str
    context: str
    stance: str
    entity: str
    reasons: tuple[str, ...]
    categories: tuple[ScoreBar, ...]
    context_scores: tuple[ScoreBar, ...]


def assessment(finding: Mapping[str, Any]) -> Assessment:
    text = _mapping(finding.get("text"))
    return Assessment(
        language=_text(text.get("language")),
        context=_text(text.get("context")),
        stance=_text(text.get("stance")),
        entity=_text(text.get("entity")),
        reasons=tuple(_text(r) for r in text.get("reasons") or []),
        categories=tuple(score_bars(text.get("categories"))),
        context_scores=tuple(score_bars(text.get("context_scores"))),
    )


def score_bars(scores: Any) -> list[ScoreBar]:
    """Scores in [0, 1] as bars, highest first; anything not a number is left out."""
    if not isinstance(scores, Mapping):
        return []
    numbers = {
        str(k): min(1.0, max(0.0, float(v)))
        for k, v in scores.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    ranked = sorted(numbers.items(), key=lambda kv: (-kv[1], kv[0]))
    return [ScoreBar(name, f"{value:.2f}", width_step(value)) for name, value in ranked]


def width_step(value: float) -> int:
    """A share in [0, 1] as a percentage rounded to 5% steps (0 ... 100)."""
    return round(min(1.0, max(0.0, value)) * 20) * 5


# --- page scripts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageScript:
    technique: str
    iocs: str
    evidence: str


def page_scripts(finding: Mapping[str, Any]) -> list[PageScript]:
    """Scripts injected into a saved page, as evidence text (never run, never markup)."""
    page = _mapping(finding.get("page"))
    rows = []
    for script in page.get("injected_scripts") or []:
        if not isinstance(script, Mapping):
            continue
        iocs = [i for i in script.get("iocs") or [] if isinstance(i, Mapping)]
        rows.append(
            PageScript(
                technique=_text(script.get("technique")),
                iocs=", ".join(f"{_text(i.get('type'))} {_text(i.get('value'))}" for i in iocs),
                evidence=_text(script.get("evidence")),
            )
        )
    return rows


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)
