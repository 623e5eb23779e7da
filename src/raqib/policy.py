"""How matches become a verdict. Raqib recommends; people decide.

Tiers follow the labels of matched entries, 1 being the most severe; the verdict takes the most
severe tier among the matches that count. A match suppressed by an allow-list does not count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from raqib.matching import Match


def verdict(matches: list[Match]) -> dict[str, Any]:
    counted = [m for m in matches if not m.allow_list and m.suppressed_by is None]
    allowing = sorted({m.bank for m in matches if m.allow_list})
    reasons = [f"allow-listed by bank {bank}" for bank in allowing]
    if not counted:
        return {"tier": None, "recommended": "none", "reasons": reasons}
    tiers = [m.labels.tier for m in counted if m.labels.tier is not None]
    reasons = [_reason(m) for m in counted] + reasons
    return {"tier": min(tiers) if tiers else None, "recommended": "review", "reasons": reasons}


def _reason(match: Match) -> str:
    how = " via a rotation or mirror" if match.via_variant else ""
    return f"{match.signal_type} matched bank {match.bank} at distance {match.distance:g}{how}"
