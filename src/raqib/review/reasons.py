"""Decision outcomes and the reason codes a reviewer gives for them.

Reasons for removal name the category of terrorist content of the EU TCO Regulation
(Regulation (EU) 2021/784, Art. 2(7)); reasons for keeping content name the exemptions of
Art. 1(3) (journalism, research and education, counter-speech, art) or say why the content is
not terrorist content; reasons for escalating say who must look next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from raqib.errors import InputError

OUTCOMES = ("remove", "keep", "preserve", "escalate", "not_terrorist_content")
CONFIRMING = frozenset({"remove", "preserve"})  # the content is terrorist content: strikes
OVERTURNING = frozenset({"keep", "not_terrorist_content"})  # on appeal: strikes are revoked

_REMOVAL = ("remove", "preserve")
_EXEMPT = ("keep", "not_terrorist_content")
_ESCALATE = ("escalate",)


@dataclass(frozen=True)
class ReasonCode:
    """A reason a reviewer may give, the TCO category it names, and the outcomes it fits."""

    code: str
    label: str
    tco_category: str | None
    outcomes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "tco_category": self.tco_category,
            "outcomes": list(self.outcomes),
        }


_CODES = (
    ReasonCode(
        "incitement", "Incites terrorist offences, incl. glorification", "2(7)(a)", _REMOVAL
    ),
    ReasonCode(
        "solicitation", "Solicits terrorist offences, incl. fundraising", "2(7)(b)", _REMOVAL
    ),
    ReasonCode("recruitment", "Solicits participation in a terrorist group", "2(7)(c)", _REMOVAL),
    ReasonCode("instruction", "Instructs on weapons, explosives or methods", "2(7)(d)", _REMOVAL),
    ReasonCode("threat", "Threatens to commit a terrorist offence", "2(7)(e)", _REMOVAL),
    ReasonCode("news_reporting", "Journalistic or news reporting (Art. 1(3))", None, _EXEMPT),
    ReasonCode("research_or_education", "Research or education (Art. 1(3))", None, _EXEMPT),
    ReasonCode("counter_speech", "Counter-speech or prevention (Art. 1(3))", None, _EXEMPT),
    ReasonCode("artistic_expression", "Artistic expression (Art. 1(3))", None, _EXEMPT),
    ReasonCode("unrelated", "Unrelated to terrorism", None, _EXEMPT),
    ReasonCode("insufficient_evidence", "Not enough to call it terrorist content", None, _EXEMPT),
    ReasonCode("legal_review", "Needs legal review", None, _ESCALATE),
    ReasonCode("needs_specialist", "Needs a language or subject specialist", None, _ESCALATE),
    ReasonCode("imminent_threat", "Imminent threat to life: escalate now", None, _ESCALATE),
)

REASON_CODES: dict[str, ReasonCode] = {reason.code: reason for reason in _CODES}


def check_reason(outcome: str, code: str) -> ReasonCode:
    """The reason code, if it exists and fits the outcome; else an InputError naming the fits."""
    if outcome not in OUTCOMES:
        raise InputError(f"unknown outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
    reason = REASON_CODES.get(code)
    if reason is None or outcome not in reason.outcomes:
        fits = [r.code for r in _CODES if outcome in r.outcomes]
        raise InputError(
            f"reason {code!r} does not fit outcome {outcome!r}; use one of: {', '.join(fits)}"
        )
    return reason


def reasons_for(outcome: str) -> list[ReasonCode]:
    """The reason codes that fit an outcome (for the console's picker)."""
    return [reason for reason in _CODES if outcome in reason.outcomes]
