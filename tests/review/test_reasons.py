"""Reason codes: TCO Art. 2(7) categories for removals, Art. 1(3) exemptions for keeping, and
each code fits only its outcomes."""

from __future__ import annotations

import pytest

from raqib.errors import InputError
from raqib.review.reasons import OUTCOMES, REASON_CODES, check_reason, reasons_for


def test_removal_reasons_name_their_tco_category() -> None:
    expected = {
        "incitement": "2(7)(a)",
        "solicitation": "2(7)(b)",
        "recruitment": "2(7)(c)",
        "instruction": "2(7)(d)",
        "threat": "2(7)(e)",
    }
    for code, category in expected.items():
        for outcome in ("remove", "preserve"):
            assert check_reason(outcome, code).tco_category == category


def test_exemptions_fit_keep_and_not_terrorist_content_only() -> None:
    exemptions = [r.code for r in reasons_for("keep")]
    assert exemptions == [r.code for r in reasons_for("not_terrorist_content")]
    assert {"news_reporting", "research_or_education", "counter_speech"} <= set(exemptions)
    assert all(REASON_CODES[code].tco_category is None for code in exemptions)
    with pytest.raises(InputError, match="does not fit outcome 'remove'"):
        check_reason("remove", "news_reporting")


def test_escalation_reasons_fit_escalate_only() -> None:
    assert {r.code for r in reasons_for("escalate")} == {
        "legal_review",
        "needs_specialist",
        "imminent_threat",
    }
    with pytest.raises(InputError, match="legal_review"):
        check_reason("escalate", "incitement")


def test_unknown_outcome_and_code_are_refused() -> None:
    with pytest.raises(InputError, match="unknown outcome 'delete'"):
        check_reason("delete", "incitement")
    with pytest.raises(InputError, match="'no_such_code'"):
        check_reason("keep", "no_such_code")


def test_every_outcome_has_a_reason_and_every_code_an_outcome() -> None:
    assert all(reasons_for(outcome) for outcome in OUTCOMES)
    assert all(set(r.outcomes) <= set(OUTCOMES) and r.outcomes for r in REASON_CODES.values())
    assert REASON_CODES["threat"].as_dict()["outcomes"] == ["remove", "preserve"]
