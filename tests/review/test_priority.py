"""Priority: the documented weighted sum of tier, match confidence, text score, reach and
report origin."""

from __future__ import annotations

from typing import Any

import pytest

from raqib.review.priority import confidence, priority, reach


def _finding(
    tier: int | None = None,
    distance: float | None = None,
    signal_type: str = "pdq",
    candidate: float | None = None,
    allow_list: bool = False,
) -> dict[str, Any]:
    matches = []
    if distance is not None:
        labels: dict[str, Any] = {
            "entity": "Group A",
            "behaviours": [],
            "tier": tier,
            "source": "",
            "note": "",
        }
        matches.append(
            {"bank": "known", "signal_type": signal_type, "distance": distance,
             "labels": labels, "allow_list": allow_list, "suppressed_by": None}
        )  # fmt: skip
    scores = {} if candidate is None else {"terrorist_content_candidate": candidate}
    return {
        "item": {"id": "1", "source": "post"},
        "matches": matches,
        "text": {"language": None, "categories": {}, "context_scores": scores},
        "verdict": {"tier": tier, "recommended": "review", "reasons": []},
    }


def test_the_documented_formula() -> None:
    # tier 1 (0.40 * 1.0), exact pdq match (0.25 * 1.0), text 0.5 (0.15 * 0.5),
    # reach 999 followers (0.10 * log10(1000) / 7), reported (0.10)
    got = priority(_finding(1, 0, candidate=0.5), {"reach": 999}, origin="report")
    assert got == pytest.approx(100 * (0.40 + 0.25 + 0.075 + 0.10 * 3 / 7 + 0.10), abs=1e-4)
    assert priority({}, {}) == 0.0


def test_more_severe_tiers_come_first() -> None:
    ranked = [priority(_finding(tier, 10), {}) for tier in (1, 2, 3, 4, None)]
    assert ranked == sorted(ranked, reverse=True) and len(set(ranked)) == 5


def test_closer_matches_are_more_confident() -> None:
    assert confidence(_finding(1, 0)) == 1.0
    assert confidence(_finding(1, 31)) == 0.0
    assert confidence(_finding(1, 0.1, "text_minhash")) == pytest.approx(0.5)
    assert confidence(_finding(1, 10, "vpdq")) == pytest.approx(0.5)
    assert confidence(_finding(1, 0, "md5")) == 1.0
    assert priority(_finding(2, 4), {}) > priority(_finding(2, 20), {})


def test_allow_listed_matches_do_not_count() -> None:
    assert confidence(_finding(1, 0, allow_list=True)) == 0.0


def test_text_score_and_report_origin_raise_priority() -> None:
    base = priority(_finding(), {})
    assert priority(_finding(candidate=0.9), {}) == pytest.approx(base + 13.5)
    assert priority(_finding(), {}, origin="report") == pytest.approx(base + 10)


def test_reach_is_log_scaled_and_capped() -> None:
    assert reach({}) == 0.0
    assert reach({"reach": 9}) == pytest.approx(1 / 7)
    assert reach({"reach": {"followers": 99, "views": 9_999}}) == pytest.approx(4 / 7)
    assert reach({"reach": 10**12}) == 1.0
    assert reach({"reach": "many"}) == 0.0 and reach({"reach": -5}) == 0.0
