"""A case's priority: how soon a person should look at it. Higher comes first.

    priority = 100 * (0.40 * severity + 0.25 * confidence + 0.15 * text + 0.10 * reach
                      + 0.10 * reported)

- severity: the verdict's tier: 1 -> 1.0, 2 -> 0.7, 3 -> 0.4, 4 -> 0.2, no tier -> 0.
- confidence: the best counted match, 1 - distance / threshold of its signal type, in [0, 1]
  (exact types, whose threshold is 0, give 1.0); 0 without matches.
- text: the text's terrorist_content_candidate score (text.context_scores), in [0, 1].
- reach: log10(1 + max(followers, views)) / 7, capped at 1 (ten million reaches 1.0); meta
  "reach" is a number or {"followers": n, "views": n}.
- reported: 1 when a person reported the item (origin "report"), else 0.

The result lies in [0, 100], rounded to 4 places. Age breaks ties when a queue is read
(ORDER BY priority DESC, created_at ASC): among equals, the oldest case comes first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from raqib.signals.pdq import PDQ_THRESHOLD
from raqib.signals.text_minhash import MINHASH_THRESHOLD
from raqib.signals.vpdq import MATCH_PERCENT

WEIGHTS = {"severity": 0.40, "confidence": 0.25, "text": 0.15, "reach": 0.10, "reported": 0.10}
TIER_SEVERITY = {1: 1.0, 2: 0.7, 3: 0.4, 4: 0.2}
REACH_DECADES = 7.0
# the default match threshold per signal type (a vpdq distance is 100 - match percent)
THRESHOLDS: dict[str, float] = {
    "pdq": float(PDQ_THRESHOLD),
    "vpdq": 100.0 - MATCH_PERCENT,
    "text_minhash": MINHASH_THRESHOLD,
}


def priority(
    finding: Mapping[str, Any], meta: Mapping[str, Any], origin: str = "detection"
) -> float:
    """The documented weighted sum of the finding's parts (see the module docstring)."""
    parts = {
        "severity": severity(finding),
        "confidence": confidence(finding),
        "text": text_score(finding),
        "reach": reach(meta),
        "reported": 1.0 if origin == "report" else 0.0,
    }
    return round(100.0 * sum(WEIGHTS[name] * value for name, value in parts.items()), 4)


def severity(finding: Mapping[str, Any]) -> float:
    tier = (finding.get("verdict") or {}).get("tier")
    return TIER_SEVERITY.get(tier, 0.0) if isinstance(tier, int) else 0.0


def counted_matches(finding: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The matches that count towards the verdict: not allow-listed, not suppressed."""
    matches = finding.get("matches") or []
    return [
        m
        for m in matches
        if isinstance(m, dict) and not m.get("allow_list") and not m.get("suppressed_by")
    ]


def match_confidence(match: Mapping[str, Any]) -> float:
    """1 - distance / threshold of the match's signal type, in [0, 1]."""
    distance = match.get("distance")
    if not isinstance(distance, int | float):
        return 0.0
    threshold = THRESHOLDS.get(str(match.get("signal_type")), 0.0)
    if threshold <= 0:
        return 1.0 if distance <= 0 else 0.0
    return _unit(1.0 - float(distance) / threshold)


def confidence(finding: Mapping[str, Any]) -> float:
    return max((match_confidence(m) for m in counted_matches(finding)), default=0.0)


def text_score(finding: Mapping[str, Any]) -> float:
    scores = (finding.get("text") or {}).get("context_scores") or {}
    value = scores.get("terrorist_content_candidate") if isinstance(scores, dict) else None
    return _unit(float(value)) if isinstance(value, int | float) else 0.0


def reach(meta: Mapping[str, Any]) -> float:
    raw = meta.get("reach")
    if isinstance(raw, dict):
        counts = [v for k, v in raw.items() if k in ("followers", "views")]
    else:
        counts = [raw]
    audience = max((float(v) for v in counts if _is_number(v)), default=0.0)
    return _unit(math.log10(1.0 + max(audience, 0.0)) / REACH_DECADES)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))
