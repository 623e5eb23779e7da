"""Time buckets for the reports' activity charts: hourly, daily or weekly, chosen by the span of
the times so a chart has enough points to show a shape and few enough to stay readable."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

HOUR = 3600.0
DAY = 86_400.0
WEEK = 7 * DAY
HOURLY_UP_TO_DAYS = 3.0  # a span of at most three days is drawn hour by hour
DAILY_UP_TO_DAYS = 400.0  # up to about a year, day by day; longer, week by week
# Times outside 1970..2100 are typos or hostile values: they are not plotted.
EARLIEST = 0.0
LATEST = 4_102_444_800.0


@dataclass(frozen=True)
class Buckets:
    """Consecutive buckets of `seconds` each, the first starting at `start` (epoch seconds)."""

    unit: str  # "hour" | "day" | "week"
    seconds: float
    start: float
    count: int

    def starts(self) -> list[datetime]:
        return [
            datetime.fromtimestamp(self.start + n * self.seconds, UTC) for n in range(self.count)
        ]

    def labels(self) -> list[str]:
        """Each bucket's start as the charts and the JSON name it."""
        shape = "%Y-%m-%d %H:00" if self.unit == "hour" else "%Y-%m-%d"
        return [start.strftime(shape) for start in self.starts()]

    def index(self, times: NDArray[np.float64]) -> NDArray[np.int64]:
        """The bucket of each time (-1 for NaN or a time outside the buckets)."""
        known = np.isfinite(times)
        found = np.full(times.shape, -1, dtype=np.int64)
        positions = np.floor((times[known] - self.start) / self.seconds).astype(np.int64)
        positions[(positions < 0) | (positions >= self.count)] = -1
        found[known] = positions
        return found

    def count_by(
        self, times: NDArray[np.float64], groups: NDArray[np.int64], group_count: int
    ) -> NDArray[np.int64]:
        """(group_count, count) counts of items per group and bucket; a group < 0 is left out."""
        buckets = self.index(times)
        keep = (buckets >= 0) & (groups >= 0) & (groups < group_count)
        counts = np.zeros((group_count, self.count), dtype=np.int64)
        np.add.at(counts, (groups[keep], buckets[keep]), 1)
        return counts


def plottable(times: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which times can be plotted: known, and between 1970 and 2100."""
    return np.isfinite(times) & (times >= EARLIEST) & (times < LATEST)


def choose_buckets(first: float, last: float) -> Buckets | None:
    """Hourly buckets for a span of up to three days, daily up to 400 days, weekly beyond
    (weeks start on Monday); None when there is no time to plot."""
    if not (math.isfinite(first) and math.isfinite(last)) or last < first:
        return None
    span_days = (last - first) / DAY
    if span_days <= HOURLY_UP_TO_DAYS:
        unit, seconds = "hour", HOUR
        start = math.floor(first / HOUR) * HOUR
    elif span_days <= DAILY_UP_TO_DAYS:
        unit, seconds = "day", DAY
        start = math.floor(first / DAY) * DAY
    else:
        unit, seconds = "week", WEEK
        day = math.floor(first / DAY) * DAY
        start = day - datetime.fromtimestamp(day, UTC).weekday() * DAY
    count = int((last - start) // seconds) + 1
    return Buckets(unit, seconds, start, count)


def buckets_for(times: NDArray[np.float64]) -> Buckets | None:
    """The buckets that cover the plottable `times` (None if none is)."""
    usable = times[plottable(times)]
    if not usable.size:
        return None
    return choose_buckets(float(usable.min()), float(usable.max()))


def epoch_seconds(moments: Iterable[datetime | None]) -> NDArray[np.float64]:
    """Epoch seconds of datetimes (a naive one is UTC; None becomes NaN)."""
    values = [
        math.nan
        if moment is None
        else (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        for moment in moments
    ]
    return np.asarray(values, dtype=np.float64)


def parse_time(value: object, earliest: float = EARLIEST, latest: float = LATEST) -> float:
    """Epoch seconds of an ISO 8601 time (no zone = UTC) or a number of seconds in [earliest,
    latest); NaN for anything else. Strings are cut to 64 characters first: a hostile value
    costs nothing."""
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float):
        seconds = float(value)
        return seconds if math.isfinite(seconds) and earliest <= seconds < latest else math.nan
    if not isinstance(value, str):
        return math.nan
    try:
        when = datetime.fromisoformat(value.strip()[:64])
    except ValueError:
        return math.nan
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def as_timedelta_text(seconds: float | None) -> str:
    """A duration for people: "42 s", "17 min", "3.5 h", "2.1 d" ("" for None)."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < HOUR:
        return f"{seconds / 60:.0f} min"
    if seconds < DAY:
        return f"{seconds / HOUR:.1f} h"
    return f"{timedelta(seconds=seconds) / timedelta(days=1):.1f} d"
