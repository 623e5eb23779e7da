"""Reviewer wellbeing: how media is shown (blur, greyscale, muted video, warning screens by
category), set by the organisation and overridable per reviewer; the daily exposure counter and
the gentle break prompt.

Choices live in DisplaySettings rows: scope "org" holds the organisation's defaults, scope
`actor` ("user:alice") the reviewer's own overrides (and, under "last_break_at", when they last
took a break). A reviewer's effective choices are the built-in defaults, overlaid by the org's,
overlaid by their own. "Today" is the current UTC day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raqib.errors import InputError
from raqib.store.models import as_utc as _utc
from raqib.store.models import utcnow
from raqib.store.models_service import DisplaySettings, Exposure
from raqib.text.assess import CATEGORIES as ASSESSMENT_CATEGORIES

ORG_SCOPE = "org"
UNCATEGORISED = "uncategorised"
# Warning screens are chosen per category: the assessment's categories, and one for the rest.
WARNING_CATEGORIES: tuple[str, ...] = (*ASSESSMENT_CATEGORIES, UNCATEGORISED)
BLUR_STEPS: tuple[int, ...] = tuple(range(0, 49, 4))  # CSS classes blur-0 ... blur-48
LAST_BREAK_KEY = "last_break_at"
# A pause this long between two cases counts as a break even if none was recorded.
QUIET_GAP = timedelta(minutes=15)
_MAX_CASES, _MAX_MINUTES = 1000, 24 * 60
_CHOICE_KEYS = (
    "blur_px",
    "greyscale",
    "mute_video",
    "warnings",
    "break_after_cases",
    "break_after_minutes",
)


def _default_warnings() -> dict[str, bool]:
    return {category: True for category in WARNING_CATEGORIES}


@dataclass(frozen=True)
class DisplayChoices:
    """How a reviewer sees media. `warnings[category]`: show a warning screen over the media of
    cases of that category. A break is suggested after `break_after_cases` cases or
    `break_after_minutes` minutes of work without one (0 turns that prompt off)."""

    blur_px: int = 24
    greyscale: bool = True
    mute_video: bool = True
    warnings: dict[str, bool] = field(default_factory=_default_warnings)
    break_after_cases: int = 25
    break_after_minutes: int = 50

    def as_dict(self) -> dict[str, Any]:
        return {
            "blur_px": self.blur_px,
            "greyscale": self.greyscale,
            "mute_video": self.mute_video,
            "warnings": dict(self.warnings),
            "break_after_cases": self.break_after_cases,
            "break_after_minutes": self.break_after_minutes,
        }

    def warn_for(self, category: str | None) -> bool:
        """Whether media of a case of this category is shown behind a warning screen (an
        unknown category is treated as uncategorised)."""
        key = category if category in self.warnings else UNCATEGORISED
        return self.warnings.get(key, True)

    @property
    def blur_class(self) -> str:
        """The CSS class of this blur strength (blur-0 ... blur-48)."""
        return f"blur-{self.blur_px}"


@dataclass(frozen=True)
class ExposureToday:
    """What a reviewer has seen today (UTC): distinct cases, media revealed, minutes of work
    since their last break, and whether to suggest one (after `cases_since_break` cases)."""

    cases: int
    media: int
    since_break_minutes: int
    take_break: bool
    cases_since_break: int = 0


# --- choices -----------------------------------------------------------------------------------


def display_for(session: Session, actor: str) -> DisplayChoices:
    """The reviewer's effective choices: defaults, then the org's, then their own."""
    choices = apply_overrides(DisplayChoices(), _stored(session, ORG_SCOPE))
    return apply_overrides(choices, _stored(session, actor))


def org_display(session: Session) -> DisplayChoices:
    """The organisation's defaults (what a reviewer without overrides sees)."""
    return apply_overrides(DisplayChoices(), _stored(session, ORG_SCOPE))


def own_overrides(session: Session, actor: str) -> dict[str, Any]:
    """The choices this reviewer set themselves (only the keys they set)."""
    stored = _stored(session, actor)
    return {key: stored[key] for key in _CHOICE_KEYS if key in stored}


def apply_overrides(base: DisplayChoices, stored: Mapping[str, Any]) -> DisplayChoices:
    """`base` with the valid values of `stored` laid over it; invalid or unknown values are
    ignored (a stored row is never trusted to be well formed)."""
    changes: dict[str, Any] = {}
    blur = stored.get("blur_px")
    if isinstance(blur, int) and not isinstance(blur, bool) and blur in BLUR_STEPS:
        changes["blur_px"] = blur
    for key in ("greyscale", "mute_video"):
        if isinstance(stored.get(key), bool):
            changes[key] = stored[key]
    for key, limit in (("break_after_cases", _MAX_CASES), ("break_after_minutes", _MAX_MINUTES)):
        value = stored.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit:
            changes[key] = value
    warnings = stored.get("warnings")
    if isinstance(warnings, Mapping):
        merged = dict(base.warnings)
        merged.update(
            {k: v for k, v in warnings.items() if k in WARNING_CATEGORIES and isinstance(v, bool)}
        )
        changes["warnings"] = merged
    return replace(base, **changes)


def set_org_display(session: Session, choices: DisplayChoices) -> None:
    """Replace the organisation's display defaults (the caller audits the change); other keys
    of the organisation's row (e.g. raqib.review.quality's second-review share) are kept."""
    display_keys = set(choices.as_dict())
    others = {k: v for k, v in _stored(session, ORG_SCOPE).items() if k not in display_keys}
    _write(session, ORG_SCOPE, {**others, **choices.as_dict()})


def set_own_display(session: Session, actor: str, choices: DisplayChoices) -> None:
    """Store the reviewer's own choices: those that differ from the organisation's defaults
    (the rest keep following the organisation's)."""
    org = org_display(session).as_dict()
    own: dict[str, Any] = {}
    for key, value in choices.as_dict().items():
        if key == "warnings":
            changed = {c: v for c, v in value.items() if org["warnings"].get(c) != v}
            if changed:
                own["warnings"] = changed
        elif value != org[key]:
            own[key] = value
    _write(session, actor, {**_kept(_stored(session, actor)), **own})


def reset_own_display(session: Session, actor: str) -> None:
    """Forget the reviewer's own choices: they follow the organisation's defaults again."""
    _write(session, actor, _kept(_stored(session, actor)))


def choices_from_form(form: Mapping[str, Any]) -> DisplayChoices:
    """Choices from a settings form: blur_px, greyscale/mute_video ("on" when ticked),
    warn_<category> ticks, break_after_cases, break_after_minutes. InputError if out of range."""
    blur = _form_int(form, "blur_px", 0, max(BLUR_STEPS))
    if blur not in BLUR_STEPS:
        raise InputError(f"blur_px must be one of {', '.join(map(str, BLUR_STEPS))}")
    return DisplayChoices(
        blur_px=blur,
        greyscale=form.get("greyscale") == "on",
        mute_video=form.get("mute_video") == "on",
        warnings={c: form.get(f"warn_{c}") == "on" for c in WARNING_CATEGORIES},
        break_after_cases=_form_int(form, "break_after_cases", 0, _MAX_CASES),
        break_after_minutes=_form_int(form, "break_after_minutes", 0, _MAX_MINUTES),
    )


def _form_int(form: Mapping[str, Any], name: str, low: int, high: int) -> int:
    raw = form.get(name)
    try:
        value = int(str(raw).strip())
    except ValueError as exc:
        raise InputError(f"{name} must be a whole number from {low} to {high}") from exc
    if not low <= value <= high:
        raise InputError(f"{name} must be a whole number from {low} to {high}")
    return value


def _kept(stored: Mapping[str, Any]) -> dict[str, Any]:
    """What a reviewer's row keeps when their choices change: their last break."""
    return {LAST_BREAK_KEY: stored[LAST_BREAK_KEY]} if LAST_BREAK_KEY in stored else {}


def _stored(session: Session, scope: str) -> dict[str, Any]:
    row = session.get(DisplaySettings, scope)
    return dict(row.settings) if row is not None and isinstance(row.settings, dict) else {}


def _write(session: Session, scope: str, values: dict[str, Any]) -> None:
    row = session.get(DisplaySettings, scope)
    if row is None:
        session.add(DisplaySettings(scope=scope, settings=values, updated_at=utcnow()))
    else:
        row.settings = values
        row.updated_at = utcnow()
    session.flush()


# --- exposure ----------------------------------------------------------------------------------


def record_exposure(session: Session, actor: str, case_id: int, media_revealed: int = 0) -> None:
    """Record that `actor` was shown case `case_id` (a page view), or revealed
    `media_revealed` of its media. Cases are counted once a day however often they are seen."""
    session.add(Exposure(actor=actor, case_id=case_id, media=max(0, media_revealed), at=utcnow()))
    session.flush()


def record_break(session: Session, actor: str, at: datetime | None = None) -> None:
    """The reviewer took (or dismissed the prompt for) a break: the break clock starts again."""
    stored = _stored(session, actor)
    stored[LAST_BREAK_KEY] = (at or utcnow()).astimezone(UTC).isoformat()
    _write(session, actor, stored)


def exposure_today(session: Session, actor: str, now: datetime | None = None) -> ExposureToday:
    """Today's counts for `actor`, and whether a break is due by their display choices."""
    now = (now or utcnow()).astimezone(UTC)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = session.execute(
        select(Exposure.case_id, Exposure.media, Exposure.at)
        .where(Exposure.actor == actor, Exposure.at >= day_start)
        .order_by(Exposure.at, Exposure.id)
    ).all()
    seen = [(int(case_id), int(media), _utc(at)) for case_id, media, at in rows]
    stretch = _since_break(seen, max(day_start, _last_break(session, actor) or day_start), now)
    cases_since = len({case_id for case_id, _media, _at in stretch})
    minutes = int((now - stretch[0][2]).total_seconds() // 60) if stretch else 0
    choices = display_for(session, actor)
    due_cases = 0 < choices.break_after_cases <= cases_since
    due_minutes = 0 < choices.break_after_minutes <= minutes
    return ExposureToday(
        cases=len({case_id for case_id, _media, _at in seen}),
        media=sum(media for _case, media, _at in seen),
        since_break_minutes=minutes,
        take_break=due_cases or due_minutes,
        cases_since_break=cases_since,
    )


_Seen = tuple[int, int, datetime]


def _since_break(seen: Sequence[_Seen], start: datetime, now: datetime) -> list[_Seen]:
    """The exposures of the current stretch of work: after `start` (the day's start or the last
    recorded break) and after the last quiet gap, which counts as a break too."""
    stretch: list[_Seen] = []
    previous: datetime | None = None
    for item in seen:
        if item[2] < start:
            continue
        if previous is not None and item[2] - previous >= QUIET_GAP:
            stretch = []
        stretch.append(item)
        previous = item[2]
    if previous is not None and now - previous >= QUIET_GAP:
        return []
    return stretch


def _last_break(session: Session, actor: str) -> datetime | None:
    value = _stored(session, actor).get(LAST_BREAK_KEY)
    if not isinstance(value, str):
        return None
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        return None
