"""The rules behind a text's context — terrorist content or content about terrorism.

The EU TCO Regulation exempts journalistic, educational, research and counter-speech purposes and
asks for the material's *true purpose*. The rules weigh what the text does with the names it
uses: the group's self-designation stated plainly, an official outlet's byline and a slogan point
one way; the opponents' name for the group (Magdy, Darwish & Weber, 2015), reporting language,
quotation marks and counter-speech point the other. Scores become a distribution over contexts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from raqib.text.indicator_records import Indicator

if TYPE_CHECKING:
    from raqib.text.crypto import CryptoAddress
    from raqib.text.indicators import IndicatorHit

CONTEXTS = (
    "terrorist_content_candidate",
    "news_or_research",
    "counter_speech",
    "religious",
    "unrelated",
)
NAMED_KINDS = frozenset({"entity", "person", "outlet", "slogan", "hashtag", "domain"})
USE_CATEGORIES = (
    "solicitation_recruitment",
    "instruction",
    "threat",
    "fundraising",
    "claim_of_responsibility",
    "sectarian_incitement",
)
SHARPNESS = 1.5  # softmax temperature: higher makes the rules more decisive


@dataclass(frozen=True)
class ContextScores:
    probabilities: dict[str, float]
    stance: str | None
    reasons: tuple[str, ...]
    about: bool  # names a designated entity, outlet, slogan, ... or a listed address


@dataclass(frozen=True)
class _Counts:
    named: int
    self_plain: int  # self-designation outside quotation marks
    opponent: int
    outlet_plain: int
    slogan_plain: int
    quoted: int


def _count(hits: Sequence[IndicatorHit], quoted: Sequence[bool]) -> _Counts:
    def plain(kind: str | None = None, stance: str | None = None) -> int:
        return sum(
            1
            for h, q in zip(hits, quoted, strict=True)
            if not q
            and (kind is None or h.indicator.kind == kind)
            and (stance is None or h.indicator.stance == stance)
        )

    return _Counts(
        named=sum(1 for h in hits if h.indicator.kind in NAMED_KINDS),
        self_plain=plain(stance="self"),
        opponent=sum(1 for h in hits if h.indicator.stance == "opponent"),
        outlet_plain=plain(kind="outlet"),
        slogan_plain=plain(kind="slogan"),
        quoted=sum(quoted),
    )


def score_contexts(
    hits: Sequence[IndicatorHit],
    quoted: Sequence[bool],
    cues: Counter[str],
    sanctioned: Sequence[tuple[CryptoAddress, Indicator]],
    categories: dict[str, float],
) -> ContextScores:
    counts = _count(hits, quoted)
    about = counts.named > 0 or bool(sanctioned)
    uses = max((categories.get(c, 0.0) for c in USE_CATEGORIES), default=0.0)
    raw = {
        "terrorist_content_candidate": (
            1.2 * counts.self_plain
            + 1.0 * counts.outlet_plain
            + 0.8 * counts.slogan_plain
            + 1.5 * len(sanctioned)
            + (0.6 * uses if about else 0.0)
        ),
        "news_or_research": (
            (0.7 if about else 0.25) * cues.get("news", 0)
            + 0.5 * counts.opponent
            + 0.6 * counts.quoted
        ),
        "counter_speech": 0.9 * cues.get("counter", 0) + 0.3 * counts.opponent,
        "religious": 0.6 * cues.get("religious", 0),
        "unrelated": 0.3 if about else 1.0,
    }
    return ContextScores(
        probabilities=_softmax(raw),
        stance=_stance(counts, cues),
        reasons=tuple(_reasons(counts, cues, about)),
        about=about,
    )


def _softmax(raw: dict[str, float]) -> dict[str, float]:
    top = max(raw.values())
    weights = {c: math.exp(SHARPNESS * (v - top)) for c, v in raw.items()}
    total = sum(weights.values())
    return {c: weights[c] / total for c in CONTEXTS}


def _stance(counts: _Counts, cues: Counter[str]) -> str | None:
    if counts.named == 0:
        return None
    supportive = counts.self_plain > 0
    opposing = counts.opponent > 0 or cues.get("counter", 0) > 0
    if supportive and opposing:
        return "mixed"
    if supportive:
        return "supportive"
    if opposing:
        return "opposing"
    return "neutral"


def _reasons(counts: _Counts, cues: Counter[str], about: bool) -> list[str]:
    reasons = []
    if counts.self_plain:
        reasons.append("the group's self-designation is used outside quotation marks (stance cue)")
    if counts.opponent:
        reasons.append("the group is named by its opponents' name (stance cue: opposing)")
    if counts.outlet_plain:
        reasons.append("an official media outlet is named outside quotation marks")
    if counts.quoted:
        reasons.append(f"{counts.quoted} indicator(s) inside quotation marks (reported speech)")
    for cue_class, label in (
        ("news", "reporting or research language"),
        ("counter", "counter-speech language"),
        ("religious", "religious-life vocabulary"),
    ):
        if cues.get(cue_class):
            reasons.append(f"{label}: {cues[cue_class]} cue(s)")
    if not about:
        reasons.append("no designated entity, outlet, slogan or listed address named")
    return reasons
