"""The platform transparency report (`raqib report --transparency`): what the service's review
did in a period, laid out like the peers' public transparency reports and the items the EU TCO
Regulation (2021/784) Art. 7(2) asks a hosting service to publish: (a) measures to identify and
remove terrorist content, (b) measures against its reappearance, (c) items removed, following
removal orders or otherwise, and orders where content was not removed with the grounds, (d)
complaints (appeals) and their outcome, (f)/(g) content reinstated. Time to decision and the
one-hour removal-order deadline are shown too. The same figures are written as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from markupsafe import Markup
from sqlalchemy.orm import Session

from raqib.analysis import charts
from raqib.analysis import transparency_figures as figures
from raqib.analysis.scan_report import environment
from raqib.analysis.timeline import Buckets, as_timedelta_text, buckets_for, epoch_seconds
from raqib.analysis.transparency_figures import Period
from raqib.errors import InputError
from raqib.review.reasons import OUTCOMES

DEFAULT_TITLE = "Transparency report"
OUTCOME_LABELS = {
    "remove": "removed",
    "preserve": "removed and preserved",
    "keep": "kept (exempt or not terrorist content)",
    "not_terrorist_content": "not terrorist content",
    "escalate": "escalated",
}


def parse_period(date_from: str | None, date_to: str | None) -> Period:
    """The period of `--from` and `--to`: a day (YYYY-MM-DD, UTC; `--to` includes its whole
    day) or an ISO 8601 time (no zone = UTC; `--to` excludes it). Raises InputError."""
    start = _moment(date_from, "--from", end=False)
    end = _moment(date_to, "--to", end=True)
    if start is not None and end is not None and end <= start:
        raise InputError(f"--to ({date_to}) is not after --from ({date_from}); swap them")
    return Period(start, end)


def _moment(value: str | None, option: str, end: bool) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()[:64]
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise InputError(
            f"{option} {text!r} is not a date; use YYYY-MM-DD (UTC) or an ISO 8601 time"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class TransparencyReport:
    """The figures of one period (see raqib.analysis.transparency_figures for each)."""

    period: Period
    generated_at: datetime
    title: str
    intake: dict[str, Any]
    decisions: dict[str, Any]
    appeals: dict[str, Any]
    timing: dict[str, Any]
    orders: dict[str, Any]
    activity: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, Markup] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": "transparency",
            "title": self.title,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "period": {"from": _iso(self.period.start), "to": _iso(self.period.end)},
            "items": self.intake,
            "decisions": self.decisions,
            "appeals": self.appeals,
            "time_to_decision": self.timing,
            "removal_orders": self.orders,
            "activity": self.activity,
        }

    def html(self) -> str:
        page = environment().get_template("transparency_report.html")
        return page.render(
            title=self.title,
            report=self,
            period_text=period_text(self.period),
            duration=as_timedelta_text,
            outcome_labels=OUTCOME_LABELS,
        )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def period_text(period: Period) -> str:
    start = period.start.strftime("%Y-%m-%d %H:%M UTC") if period.start else "the first record"
    end = (
        (period.end - timedelta(microseconds=1)).strftime("%Y-%m-%d %H:%M UTC")
        if period.end
        else "now"
    )
    return f"{start} to {end}"


def transparency_report(
    session: Session,
    period: Period | None = None,
    title: str = DEFAULT_TITLE,
    now: datetime | None = None,
) -> TransparencyReport:
    """Every figure of the report for `period` (all time when None), read in `session`."""
    period = period or Period()
    now = now or datetime.now(UTC)
    report = TransparencyReport(
        period=period,
        generated_at=now,
        title=title[:200],
        intake=figures.intake(session, period),
        decisions=figures.decisions(session, period),
        appeals=figures.appeals(session, period),
        timing=figures.time_to_decision(session, period),
        orders=figures.removal_orders(session, period, now),
    )
    report.activity = _activity(session, period)
    report.charts = _charts(report)
    return report


def _activity(session: Session, period: Period) -> dict[str, Any]:
    """Cases opened per bucket by origin and decisions per bucket by outcome."""
    opened, origins = figures.case_times(session, period)
    decided, outcomes = figures.decision_times(session, period)
    times = epoch_seconds([*opened, *decided])
    buckets = buckets_for(times)
    if buckets is None:
        return {}
    origin_names = list(dict.fromkeys([*figures.ITEM_ORIGINS, *sorted(set(origins))]))
    outcome_names = list(dict.fromkeys([*OUTCOMES, *sorted(set(outcomes))]))
    return {
        "unit": buckets.unit,
        "buckets": buckets.labels(),
        "cases_by_origin": _counts(buckets, opened, origins, origin_names),
        "decisions_by_outcome": _counts(buckets, decided, outcomes, outcome_names),
    }


def _counts(
    buckets: Buckets, moments: list[datetime], keys: list[str], names: list[str]
) -> dict[str, list[int]]:
    index = {name: n for n, name in enumerate(names)}
    groups = np.asarray([index[k] for k in keys], dtype=np.int64)
    counts = buckets.count_by(epoch_seconds(moments), groups, len(names))
    return {name: counts[n].tolist() for n, name in enumerate(names) if counts[n].any()}


def _charts(report: TransparencyReport) -> dict[str, Markup]:
    intake, decisions, appeals = report.intake, report.decisions, report.appeals
    orders, timing, activity = report.orders, report.timing, report.activity
    found = {
        "origin": charts.bar_chart(
            "Cases opened, by how the item came in",
            [(origin, n) for origin, n in intake["cases_by_origin"].items()],
            empty="No case was opened in this period.",
        ),
        "outcome": charts.bar_chart(
            "Decisions by outcome",
            [(OUTCOME_LABELS.get(k, k), n) for k, n in decisions["by_outcome"].items()],
            empty="No decision in this period.",
        ),
        "reason": charts.bar_chart(
            "Decisions by reason",
            [(_reason_label(row), row["count"]) for row in decisions["by_reason"][:15]],
            bar_colour=charts.PALETTE[4],
            empty="No decision in this period.",
        ),
        "appeals": charts.stacked_bar_chart(
            "Appeals and their outcome",
            ["Appeals"],
            charts.series_from(
                ["upheld", "overturned", "pending"],
                [[appeals["upheld"]], [appeals["overturned"]], [appeals["pending"]]],
            ),
            empty="No appeal in this period.",
        ),
        "timing": charts.column_chart(
            "Time from a case's opening to its first decision",
            [(row["bucket"], row["count"]) for row in timing["histogram"]],
            bar_colour=charts.PALETTE[2],
            empty="No first decision in this period.",
        ),
        "orders": charts.stacked_bar_chart(
            "Removal order items: acted on within one hour",
            ["Items"],
            charts.series_from(
                ["within one hour", "late", "pending"],
                [[orders["within_one_hour"]], [orders["late"]], [orders["pending"]]],
            ),
            empty="No removal order in this period.",
        ),
    }
    if activity:
        found["activity"] = _time_chart(
            "Decisions over time, by outcome", activity, "decisions_by_outcome"
        )
        found["opened"] = _time_chart(
            "Cases opened over time, by origin", activity, "cases_by_origin"
        )
    return found


def _time_chart(title: str, activity: dict[str, Any], key: str) -> Markup:
    rows: dict[str, list[int]] = activity[key]
    names = [OUTCOME_LABELS.get(name, name) for name in rows]
    unit = activity["unit"]
    return charts.time_chart(
        f"{title} (per {unit})",
        activity["buckets"],
        charts.series_from(names, list(rows.values())),
    )


def _reason_label(row: dict[str, Any]) -> str:
    article = f" ({row['tco_article']})" if row["tco_article"] else ""
    return f"{row['code']}{article}"
