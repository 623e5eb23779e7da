"""The assessment of one text: language, indicator hits with spans, attribution, stance cues,
context (the TCO Regulation's "true purpose" test), category scores and readable reasons.

Rules come first and always explain themselves; a trained context model, when one is loaded,
is blended in and named in the reasons. Raqib recommends; people decide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from raqib.text.context_rules import CONTEXTS, ContextScores, score_contexts
from raqib.text.crypto import CryptoAddress, extract_addresses
from raqib.text.cues import count_cues
from raqib.text.indicator_records import Indicator
from raqib.text.indicators import IndicatorHit, IndicatorMatcher
from raqib.text.language import LanguageGuess, identify
from raqib.text.normalize import normalize
from raqib.text.quotes import is_quoted

if TYPE_CHECKING:
    from raqib.text.model import TextModel

CATEGORIES = (
    "incitement_glorification",
    "solicitation_recruitment",
    "instruction",
    "threat",
    "fundraising",
    "claim_of_responsibility",
    "sectarian_incitement",
)
CHUNK_CHARS = 65_536  # long texts are assessed in windows, so memory stays bounded
CHUNK_OVERLAP = 512  # longer than any indicator name, so none is cut in two
EXCERPT_CHARS = 600
MODEL_CHARS = 20_000  # the model reads the beginning of very long texts only


@dataclass
class TextEvidence:
    """What the rules collected from the text, window by window."""

    hits: list[IndicatorHit] = field(default_factory=list)
    addresses: list[CryptoAddress] = field(default_factory=list)
    cues: Counter[str] = field(default_factory=Counter)
    obfuscation: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Assessment:
    language: LanguageGuess
    hits: tuple[IndicatorHit, ...]
    quoted: tuple[bool, ...]  # per hit: inside quotation marks
    addresses: tuple[CryptoAddress, ...]
    sanctioned: tuple[tuple[CryptoAddress, Indicator], ...]
    entity: str | None
    outlet: str | None
    stance: str | None
    context: str
    context_scores: dict[str, float]
    categories: dict[str, float]
    obfuscation: dict[str, int]
    reasons: tuple[str, ...]
    excerpt: dict[str, Any]
    model: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """The finding's `text` field (ARCHITECTURE.md), extended."""
        return {
            "language": self.language.language,
            "languages": [
                {"language": code, "share": round(share, 3)}
                for code, share in self.language.languages
            ],
            "script": self.language.script,
            "indicators": [_hit_dict(h, q) for h, q in zip(self.hits, self.quoted, strict=True)],
            "crypto_addresses": [_address_dict(a, self.sanctioned) for a in self.addresses],
            "entity": self.entity,
            "outlet": self.outlet,
            "context": self.context,
            "context_scores": self.context_scores,
            "stance": self.stance,
            "categories": self.categories,
            "obfuscation": self.obfuscation,
            "reasons": list(self.reasons),
            "excerpt": self.excerpt,
            "model": self.model,
        }


class TextAnalyzer:
    """Assesses texts against a fixed set of indicators (and, optionally, a context model)."""

    def __init__(self, indicators: Sequence[Indicator], model: TextModel | None = None) -> None:
        names = [i for i in indicators if i.kind != "crypto_address"]
        self.matcher = IndicatorMatcher(names)
        self.addresses: dict[str, list[Indicator]] = {}
        for indicator in indicators:
            if indicator.kind == "crypto_address":
                self.addresses.setdefault(_address_key(indicator.name), []).append(indicator)
        self.model = model
        self.indicator_count = len(indicators)

    def assess(self, text: str) -> Assessment:
        evidence = self._collect(text)
        hits = _dedupe(evidence.hits)
        quoted = tuple(is_quoted(text, h.start, h.end) for h in hits)
        sanctioned = tuple(
            (a, i)
            for a in evidence.addresses
            for i in self.addresses.get(_address_key(a.address), [])
        )
        language = identify(text)
        categories = _categories(evidence.cues, hits, evidence.addresses, sanctioned)
        scores = score_contexts(hits, quoted, evidence.cues, sanctioned, categories)
        model_view = self._model_view(text)
        context, final_scores = _decide(scores, model_view)
        return Assessment(
            language=language,
            hits=hits,
            quoted=quoted,
            addresses=tuple(evidence.addresses),
            sanctioned=sanctioned,
            entity=_attributed_entity(hits, sanctioned),
            outlet=next((h.indicator.name for h in hits if h.indicator.kind == "outlet"), None),
            stance=scores.stance,
            context=context,
            context_scores=final_scores,
            categories=categories,
            obfuscation=dict(evidence.obfuscation),
            reasons=tuple(_reasons(scores, hits, quoted, sanctioned, evidence, model_view)),
            excerpt=_excerpt(text, hits),
            model=model_view,
        )

    def _collect(self, text: str) -> TextEvidence:
        evidence = TextEvidence()
        for offset, chunk in _chunks(text):
            normalized = normalize(chunk)
            evidence.hits.extend(_shift(h, offset) for h in self.matcher.find(normalized))
            evidence.cues.update(count_cues(normalized.plain.text))
            evidence.obfuscation.update(normalized.evidence)
        evidence.addresses = extract_addresses(text)
        return evidence

    def _model_view(self, text: str) -> dict[str, Any] | None:
        if self.model is None:
            return None
        probabilities = self.model.predict_proba([text[:MODEL_CHARS]])[0]
        by_class = {
            c: round(float(p), 4) for c, p in zip(self.model.classes, probabilities, strict=True)
        }
        return {"version": self.model.version, "probabilities": by_class}


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Windows of at most CHUNK_CHARS overlapping by CHUNK_OVERLAP, cut at white space."""
    if len(text) <= CHUNK_CHARS:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = min(len(text), start + CHUNK_CHARS)
        if end < len(text):
            space = text.rfind(" ", start + CHUNK_CHARS // 2, end)
            end = space if space > 0 else end
        yield start, text[start:end]
        if end >= len(text):
            return
        start = max(start + 1, end - CHUNK_OVERLAP)


def _shift(hit: IndicatorHit, offset: int) -> IndicatorHit:
    if offset == 0:
        return hit
    return IndicatorHit(hit.indicator, hit.start + offset, hit.end + offset, hit.view, hit.clitic)


def _dedupe(hits: list[IndicatorHit]) -> tuple[IndicatorHit, ...]:
    seen: dict[tuple[Indicator, int, int], IndicatorHit] = {}
    for hit in hits:
        seen.setdefault((hit.indicator, hit.start, hit.end), hit)
    return tuple(sorted(seen.values(), key=lambda h: (h.start, -h.end, h.indicator.name)))


def _address_key(address: str) -> str:
    return address.lower() if address.lower().startswith(("0x", "bc1", "ltc1")) else address


def _categories(
    cues: Counter[str],
    hits: Sequence[IndicatorHit],
    addresses: Sequence[CryptoAddress],
    sanctioned: Sequence[tuple[CryptoAddress, Indicator]],
) -> dict[str, float]:
    """Category scores 0..1 from cue counts; addresses and slogans add their own weight."""
    scores = {c: min(1.0, 0.35 * cues.get(c, 0)) for c in CATEGORIES}
    if addresses:
        scores["fundraising"] = min(1.0, scores["fundraising"] + 0.3)
    if sanctioned:
        scores["fundraising"] = 1.0
    slogans = sum(1 for h in hits if h.indicator.kind == "slogan")
    scores["incitement_glorification"] = min(
        1.0, scores["incitement_glorification"] + 0.25 * slogans
    )
    return {c: round(v, 3) for c, v in scores.items()}


def _decide(
    scores: ContextScores, model_view: dict[str, Any] | None
) -> tuple[str, dict[str, float]]:
    """Blend the rules' context distribution with the model's, half and half. News that names
    nothing the lists know is not news *about terrorism*: the model's weight for
    `news_or_research` then goes to `unrelated`."""
    final = dict(scores.probabilities)
    if model_view is not None:
        model = {c: float(model_view["probabilities"].get(c, 0.0)) for c in CONTEXTS}
        if not scores.about:
            model["unrelated"] += model["news_or_research"]
            model["news_or_research"] = 0.0
        final = {c: 0.5 * final[c] + 0.5 * model[c] for c in CONTEXTS}
    context = max(CONTEXTS, key=lambda c: (final[c], -CONTEXTS.index(c)))
    return context, {c: round(v, 3) for c, v in final.items()}


def _attributed_entity(
    hits: Sequence[IndicatorHit], sanctioned: Sequence[tuple[CryptoAddress, Indicator]]
) -> str | None:
    weights: dict[str, float] = {}
    for hit in hits:
        if hit.indicator.entity:
            entity = hit.indicator.entity
            weights[entity] = weights.get(entity, 0.0) + hit.indicator.weight
    for _address, indicator in sanctioned:
        if indicator.entity:
            weights[indicator.entity] = weights.get(indicator.entity, 0.0) + indicator.weight
    return max(weights, key=lambda e: (weights[e], e)) if weights else None


def _reasons(
    scores: ContextScores,
    hits: Sequence[IndicatorHit],
    quoted: Sequence[bool],
    sanctioned: Sequence[tuple[CryptoAddress, Indicator]],
    evidence: TextEvidence,
    model_view: dict[str, Any] | None,
) -> Iterator[str]:
    for hit, in_quotes in zip(hits, quoted, strict=True):
        how = " after de-obfuscation" if hit.view == "deobfuscated" else ""
        where = " inside quotation marks" if in_quotes else ""
        entity = f" ({hit.indicator.entity})" if hit.indicator.entity else ""
        yield f"{hit.indicator.kind} {hit.indicator.name!r}{entity} named{where}{how}"
    for address, indicator in sanctioned:
        yield f"{address.chain} address {address.address} is listed: {indicator.source}"
    if evidence.obfuscation:
        tactics = ", ".join(f"{k} x{v}" for k, v in sorted(evidence.obfuscation.items()))
        yield f"evasion evidence: {tactics}"
    yield from scores.reasons
    if model_view is not None:
        top = max(model_view["probabilities"].items(), key=lambda kv: kv[1])
        yield f"model {model_view['version']}: {top[0]} {top[1]:.2f}"


def _excerpt(text: str, hits: Sequence[IndicatorHit]) -> dict[str, Any]:
    """A window of the original text around the first hit (or its start), for reviewers."""
    centre = hits[0].start if hits else 0
    start = max(0, centre - EXCERPT_CHARS // 3)
    end = min(len(text), start + EXCERPT_CHARS)
    return {"start": start, "end": end, "text": text[start:end], "more": end < len(text)}


def _hit_dict(hit: IndicatorHit, quoted: bool) -> dict[str, Any]:
    indicator = hit.indicator
    return {
        "name": indicator.name,
        "kind": indicator.kind,
        "entity": indicator.entity,
        "start": hit.start,
        "end": hit.end,
        "view": hit.view,
        "quoted": quoted,
        "stance": indicator.stance,
        "weight": indicator.weight,
        "source": indicator.source,
    }


def _address_dict(
    address: CryptoAddress, sanctioned: Sequence[tuple[CryptoAddress, Indicator]]
) -> dict[str, Any]:
    listed = [i for a, i in sanctioned if a == address]
    return {
        "chain": address.chain,
        "address": address.address,
        "start": address.start,
        "end": address.end,
        "checksum": address.checksum,
        "listed": [
            {"entity": i.entity, "source": i.source, "reference": i.reference} for i in listed
        ],
    }
