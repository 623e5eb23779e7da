"""The reports' SVG charts and time buckets: labels escaped, shapes laid out, buckets by span."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import numpy as np

from raqib.analysis import charts
from raqib.analysis.timeline import DAY, HOUR, buckets_for, choose_buckets, parse_time

T0 = datetime(2024, 3, 4, 10, 30, tzinfo=UTC).timestamp()  # a Monday
HOSTILE = '<script>alert("x")</script>\u202eevil & "quoted"'


def test_buckets_are_hourly_daily_or_weekly_by_span() -> None:
    hourly = choose_buckets(T0, T0 + 3 * DAY)
    assert hourly is not None and (hourly.unit, hourly.count) == ("hour", 73)
    assert hourly.labels()[0] == "2024-03-04 10:00"
    daily = choose_buckets(T0, T0 + 3 * DAY + 1)
    assert daily is not None and (daily.unit, daily.count) == ("day", 4)
    assert daily.labels()[:2] == ["2024-03-04", "2024-03-05"]
    weekly = choose_buckets(T0 + 2 * DAY, T0 + 500 * DAY)
    assert weekly is not None and weekly.unit == "week"
    assert weekly.labels()[0] == "2024-03-04"  # weeks start on Monday
    assert choose_buckets(math.nan, T0) is None


def test_counting_leaves_out_unknown_times_and_groups() -> None:
    times = np.array([T0, T0 + HOUR, T0 + 2 * HOUR, math.nan, T0 + HOUR])
    groups = np.array([0, 1, 0, 0, -1])
    buckets = buckets_for(times)
    assert buckets is not None and buckets.unit == "hour"
    counts = buckets.count_by(times, groups, 2)
    assert counts.tolist() == [[1, 0, 1], [0, 1, 0]]
    assert buckets_for(np.array([math.nan, -5e12])) is None  # nothing plottable


def test_times_are_parsed_defensively() -> None:
    assert parse_time("2024-03-04T10:30:00+00:00") == T0
    assert parse_time("2024-03-04T10:30:00") == T0  # no zone: UTC
    assert parse_time(T0) == T0
    for bad in ("yesterday", None, True, {"a": 1}, 1e300, "9" * 10_000):
        assert math.isnan(parse_time(bad)), bad


def test_labels_are_escaped_revealed_and_cut() -> None:
    shown = str(charts.label(HOSTILE, 20))
    assert "<" not in shown and '"' not in shown and "\u202e" not in shown
    assert shown.startswith("&lt;script&gt;") and shown.endswith("…")
    svg = str(charts.bar_chart(HOSTILE, [(HOSTILE, 3), ("plain", 1)]))
    assert "<script" not in svg and "&lt;U+202E&gt;" in svg
    assert svg.count('class="bar"') == 2


def test_bars_are_scaled_to_the_largest_value() -> None:
    svg = str(charts.bar_chart("Counts", [("a", 10), ("b", 5), ("c", 0)]))
    widths = [float(w) for w in re.findall(r'class="bar" x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    assert "chart-empty" in str(charts.bar_chart("Nothing", [("a", 0)], empty="None here."))


def test_stacked_percent_bars_fill_the_width() -> None:
    series = charts.series_from(["x", "y"], [[1, 3], [3, 1]])
    svg = str(charts.stacked_bar_chart("Share", ["one", "two"], series, percent=True))
    rows = re.findall(r'<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    ends = [float(x) + float(w) for x, w in rows]
    assert len(rows) == 4 and abs(ends[1] - ends[3]) < 0.2  # both bars end at the same x
    assert "(25.0%)" in svg and "(75.0%)" in svg


def test_time_chart_stacks_areas_and_draws_a_single_bucket_as_a_band() -> None:
    series = charts.series_from(["a", "b"], [[1, 2, 3], [1, 1, 1]])
    svg = str(charts.time_chart("Activity", ["d1", "d2", "d3"], series))
    assert svg.count('<polygon class="area"') == 2
    lines = str(charts.time_chart("Lines", ["d1", "d2", "d3"], series, stacked=False))
    assert lines.count('<polyline class="line"') == 2
    single = str(charts.time_chart("One", ["d1"], charts.series_from(["a"], [[4]])))
    points = re.search(r'points="([^"]+)"', single)
    assert points is not None
    xs = {float(p.split(",")[0]) for p in points.group(1).split()}
    assert len(xs) == 2  # a band across the plot, not a zero-width sliver


def test_network_nodes_are_placed_coloured_and_bridges_ringed() -> None:
    names = ["a", "b", "c", "d"]
    positions = charts.spring_positions(names, [(0, 1, 3.0), (1, 2, 1.0), (2, 3, 1.0)], seed=0)
    assert positions == charts.spring_positions(names, [(0, 1, 3.0), (1, 2, 1.0), (2, 3, 1.0)])
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in positions)
    nodes = [
        charts.NetworkNode(n, x, y, charts.colour(i % 2), f"g{i % 2}", 1.0 + i, i == 1, i < 2)
        for i, (n, (x, y)) in enumerate(zip(names, positions, strict=True))
    ]
    edges = [charts.NetworkEdge(0, 1, 3.0), charts.NetworkEdge(1, 2, 1.0)]
    svg = str(charts.network_chart("Net", nodes, edges))
    assert svg.count("<circle") == 4 and svg.count("<line") == 2
    assert svg.count('class="node bridge"') == 1 and svg.count('class="node-label"') == 2
    assert "chart-empty" in str(charts.network_chart("Net", [], []))


def test_nice_ceilings() -> None:
    assert [charts.nice_ceiling(v) for v in (0, 0.3, 1, 3, 7, 12, 240)] == [
        1.0, 0.5, 1.0, 5.0, 10.0, 20.0, 250.0,
    ]  # fmt: skip
