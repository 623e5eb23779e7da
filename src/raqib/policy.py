"""How matches become a verdict. Raqib recommends; people decide.

Tiers follow the labels of matched entries, 1 being the most severe; the verdict takes the most
severe tier among the matches that count. A match suppressed by an allow-list does not count.
A text assessed as a terrorist-content candidate, a listed crypto address and a page carrying an
injected loader each send the item to review; text never sets a tier or recommends removal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from raqib.matching import Match


def verdict(
    matches: list[Match],
    text: dict[str, Any] | None = None,
    page: dict[str, Any] | None = None,
) -> dict[str, Any]:
    counted = [m for m in matches if not m.allow_list and m.suppressed_by is None]
    allowing = sorted({m.bank for m in matches if m.allow_list})
    reasons = [f"allow-listed by bank {bank}" for bank in allowing]
    flagged = _text_reasons(text) + _page_reasons(page)
    if allowing and not counted:
        flagged = []  # allow-listed content is known benign
    if not counted and not flagged:
        return {"tier": None, "recommended": "none", "reasons": reasons}
    tiers = [m.labels.tier for m in counted if m.labels.tier is not None]
    reasons = [_reason(m) for m in counted] + flagged + reasons
    return {"tier": min(tiers) if tiers else None, "recommended": "review", "reasons": reasons}


def _text_reasons(text: dict[str, Any] | None) -> list[str]:
    if not text:
        return []
    reasons = []
    if text.get("context") == "terrorist_content_candidate":
        score = text.get("context_scores", {}).get("terrorist_content_candidate")
        shown = f" ({score:.2f})" if isinstance(score, float) else ""
        reasons.append(f"text assessed as terrorist_content_candidate{shown}")
    for address in text.get("crypto_addresses", []):
        if address.get("listed"):
            reasons.append(f"listed {address['chain']} address {address['address']}")
    return reasons


def _page_reasons(page: dict[str, Any] | None) -> list[str]:
    scripts = (page or {}).get("injected_scripts") or []
    return [f"page carries an injected script ({s['technique']})" for s in scripts]


def _reason(match: Match) -> str:
    how = " via a rotation or mirror" if match.via_variant else ""
    return f"{match.signal_type} matched bank {match.bank} at distance {match.distance:g}{how}"
