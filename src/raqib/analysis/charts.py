"""SVG charts for the HTML reports: bars, stacked bars, columns, areas or lines over time, and a
network drawing. Each function returns one `<figure>` (a caption and an inline `<svg>`) as
Markup for a Jinja2 template.

Hand-written SVG rather than a plotting library: the reports must be single files with no
script and no external resource under a strict Content-Security-Policy, which rules out the
JavaScript charting libraries, and a few hundred lines of geometry are easier to audit than a
library's output. Every label is untrusted (handles, entity names, cluster ids from a file):
it goes through `label`, which makes bidi controls visible, cuts it short and escapes it.
Numbers are formatted here; colours come only from PALETTE. Nothing else reaches the markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
from markupsafe import Markup, escape

from raqib.analysis.scan_report import reveal_controls

# Okabe-Ito and Tableau-like hues that stay apart for colour-blind readers, then a grey for
# "everything else".
PALETTE = (
    "#2f6db3",
    "#e08a1e",
    "#2f9a6e",
    "#c2463a",
    "#7d5bb0",
    "#b89a18",
    "#3fa4c9",
    "#c55b95",
    "#6c7d2e",
    "#8a6247",
)
OTHER_COLOUR = "#9aa3ad"
NONE_COLOUR = "#cfd5dc"
BRIDGE_SWATCH = "#ffffff"
INK = "#1d2430"
MUTED = "#5b6676"
GRID = "#e3e7ec"
MAX_LABEL = 40
FONT = 'font-family="system-ui, Noto Sans, Noto Sans Arabic, sans-serif"'
WIDTH = 760
LEGEND_ITEM = 170  # horizontal room per legend entry
LEGEND_ROW = 18


@dataclass(frozen=True)
class Series:
    """A named row of values (one per category or time bucket) and its colour."""

    name: str
    values: tuple[float, ...]
    colour: str


@dataclass(frozen=True)
class NetworkNode:
    """An account to draw: position in [0, 1]^2, colour (its community's), size weight."""

    name: str
    x: float
    y: float
    colour: str
    group: str  # the community id shown in the tooltip ("" for none)
    degree: float
    bridge: bool
    labelled: bool


@dataclass(frozen=True)
class NetworkEdge:
    source: int  # index into the nodes
    target: int
    weight: float


def colour(index: int) -> str:
    """The palette's colour for the index-th series (grey beyond the palette)."""
    return PALETTE[index] if 0 <= index < len(PALETTE) else OTHER_COLOUR


def label(text: object, limit: int = MAX_LABEL) -> Markup:
    """An untrusted label made safe for SVG text or an attribute: controls revealed, cut to
    `limit` characters, escaped."""
    shown = reveal_controls("" if text is None else text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return escape(shown)


def number(value: float) -> str:
    """A count or figure as shown on a chart: 1,234 / 12.5 / 0.25."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def _n(value: float) -> str:
    """A coordinate: at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _figure(title: str, chart_class: str, svg: str, width: int, height: int) -> Markup:
    caption = label(title, 200)
    return Markup(
        f'<figure class="chart {chart_class}"><figcaption>{caption}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart-svg" width="100%" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" '
        f'aria-label="{caption}" {FONT} font-size="12"><title>{caption}</title>{svg}</svg>'
        "</figure>"
    )


def _empty(title: str, message: str) -> Markup:
    return Markup(
        f'<figure class="chart chart-empty"><figcaption>{label(title, 200)}</figcaption>'
        f'<p class="muted">{escape(message)}</p></figure>'
    )


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power


def _legend(series: Sequence[Series], top: float) -> tuple[str, float]:
    """Legend swatches in rows across the chart; the markup and the height it takes. A series
    coloured BRIDGE_SWATCH is drawn as a ring (the network's mark for bridge accounts)."""
    per_row = max(1, (WIDTH - 20) // LEGEND_ITEM)
    parts = []
    for index, entry in enumerate(series):
        x = 10 + (index % per_row) * LEGEND_ITEM
        y = top + (index // per_row) * LEGEND_ROW
        ring = f' stroke="{INK}" stroke-width="2"' if entry.colour == BRIDGE_SWATCH else ""
        parts.append(
            f'<rect x="{x}" y="{_n(y)}" width="11" height="11" rx="2" fill="{entry.colour}"{ring}/>'
            f'<text x="{x + 16}" y="{_n(y + 10)}" fill="{INK}">{label(entry.name, 24)}</text>'
        )
    rows = math.ceil(len(series) / per_row) if series else 0
    return "".join(parts), rows * LEGEND_ROW + (6 if rows else 0)


# --- bars ------------------------------------------------------------------------------------


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    bar_colour: str = PALETTE[0],
    empty: str = "Nothing to show.",
    label_width: int = 220,
) -> Markup:
    """Horizontal bars, one per (label, value) in the order given, each with its value."""
    if not rows or not any(value > 0 for _label, value in rows):
        return _empty(title, empty)
    top = max(value for _label, value in rows)
    span = WIDTH - label_width - 70
    bar, gap = 20, 8
    parts = []
    for index, (name, value) in enumerate(rows):
        y = index * (bar + gap) + 4
        width = max(span * value / top, 1.0 if value > 0 else 0.0)
        parts.append(
            f'<g class="bar-row"><text x="{label_width - 8}" y="{y + 14}" text-anchor="end" '
            f'fill="{INK}">{label(name)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y}" width="{_n(width)}" height="{bar}" '
            f'rx="2" fill="{bar_colour}"><title>{label(name)}: {number(value)}</title></rect>'
            f'<text x="{_n(label_width + width + 6)}" y="{y + 14}" fill="{MUTED}">'
            f"{number(value)}</text></g>"
        )
    height = len(rows) * (bar + gap) + 8
    return _figure(title, "chart-bars", "".join(parts), WIDTH, height)


def stacked_bar_chart(
    title: str,
    rows: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
    empty: str = "Nothing to show.",
    label_width: int = 200,
) -> Markup:
    """Horizontal bars split by series (row i is made of series[k].values[i]); with `percent`
    every bar is as long as the chart and its parts are shares of its total."""
    totals = [sum(s.values[i] for s in series) for i in range(len(rows))]
    if not rows or not any(total > 0 for total in totals):
        return _empty(title, empty)
    legend, legend_height = _legend(series, 6)
    top = max(totals)
    span = WIDTH - label_width - 80
    bar, gap = 20, 8
    parts = [legend]
    for index, (name, total) in enumerate(zip(rows, totals, strict=True)):
        y = legend_height + index * (bar + gap) + 4
        scale = (span / total if total else 0.0) if percent else span / top
        x = float(label_width)
        parts.append(
            f'<g class="bar-row"><text x="{label_width - 8}" y="{_n(y + 14)}" '
            f'text-anchor="end" fill="{INK}">{label(name)}</text>'
        )
        for entry in series:
            value = entry.values[index]
            if value <= 0:
                continue
            width = value * scale
            share = f" ({100 * value / total:.1f}%)" if total else ""
            parts.append(
                f'<rect class="bar" x="{_n(x)}" y="{_n(y)}" width="{_n(max(width, 1.0))}" '
                f'height="{bar}" fill="{entry.colour}"><title>{label(name)} · '
                f"{label(entry.name)}: {number(value)}{share}</title></rect>"
            )
            x += width
        shown = "100%" if percent else number(total)
        parts.append(f'<text x="{_n(x + 6)}" y="{_n(y + 14)}" fill="{MUTED}">{shown}</text></g>')
    height = int(legend_height + len(rows) * (bar + gap) + 8)
    return _figure(title, "chart-stacked", "".join(parts), WIDTH, height)


def column_chart(
    title: str,
    columns: Sequence[tuple[str, float]],
    *,
    bar_colour: str = PALETTE[0],
    empty: str = "Nothing to show.",
) -> Markup:
    """Vertical bars (a histogram): one per (label, value), the label under it."""
    if not columns or not any(value > 0 for _label, value in columns):
        return _empty(title, empty)
    height, left, bottom, top_pad = 240, 50, 40, 16
    plot_h = height - bottom - top_pad
    ceiling = nice_ceiling(max(value for _label, value in columns))
    slot = (WIDTH - left - 10) / len(columns)
    parts = [_y_axis(left, top_pad, plot_h, ceiling)]
    for index, (name, value) in enumerate(columns):
        bar_h = plot_h * value / ceiling
        x = left + index * slot + slot * 0.15
        y = top_pad + plot_h - bar_h
        parts.append(
            f'<g class="column"><rect class="bar" x="{_n(x)}" y="{_n(y)}" '
            f'width="{_n(slot * 0.7)}" height="{_n(max(bar_h, 1.0 if value else 0.0))}" '
            f'fill="{bar_colour}"><title>{label(name)}: {number(value)}</title></rect>'
            f'<text x="{_n(x + slot * 0.35)}" y="{_n(y - 4)}" text-anchor="middle" '
            f'fill="{MUTED}">{number(value)}</text>'
            f'<text x="{_n(x + slot * 0.35)}" y="{height - bottom + 16}" text-anchor="middle" '
            f'fill="{INK}">{label(name, 16)}</text></g>'
        )
    return _figure(title, "chart-columns", "".join(parts), WIDTH, height)


def _y_axis(left: float, top: float, plot_h: float, ceiling: float, steps: int = 4) -> str:
    parts = []
    for step in range(steps + 1):
        value = ceiling * step / steps
        y = top + plot_h - plot_h * step / steps
        parts.append(
            f'<line x1="{_n(left)}" x2="{WIDTH - 10}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" fill="{MUTED}">'
            f"{number(value)}</text>"
        )
    return "".join(parts)


# --- over time -------------------------------------------------------------------------------


def time_chart(
    title: str,
    bucket_labels: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = True,
    empty: str = "No dated items.",
) -> Markup:
    """Counts per time bucket: stacked areas (parts of one whole), or lines (`stacked=False`,
    for series that overlap, such as entities an item may share)."""
    count = len(bucket_labels)
    if not count or not series or not any(v > 0 for s in series for v in s.values):
        return _empty(title, empty)
    legend, legend_height = _legend(series, 6)
    left, right, bottom = 50.0, 10.0, 44.0
    top = legend_height + 12
    height = int(top + 200 + bottom)
    plot_h = height - top - bottom
    sums = [sum(s.values[i] for s in series) for i in range(count)]
    peak = max(sums) if stacked else max(max(s.values) for s in series)
    ceiling = nice_ceiling(peak)
    xs = _x_positions(count, left, WIDTH - right)
    parts = [legend, _y_axis(left, top, plot_h, ceiling), _x_labels(bucket_labels, xs, height)]

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / ceiling

    base = [0.0] * len(xs)
    for entry in series:
        values = list(entry.values) * (len(xs) // count)  # one bucket: drawn as a band
        upper = [b + v for b, v in zip(base, values, strict=True)] if stacked else None
        points = upper if upper is not None else values
        line = " ".join(f"{_n(x)},{_n(y_of(v))}" for x, v in zip(xs, points, strict=True))
        tip = f"<title>{label(entry.name)}: {number(sum(entry.values))} in all</title>"
        if upper is not None:
            below = " ".join(
                f"{_n(x)},{_n(y_of(v))}" for x, v in reversed(list(zip(xs, base, strict=True)))
            )
            parts.append(
                f'<polygon class="area" points="{line} {below}" fill="{entry.colour}" '
                f'fill-opacity="0.8" stroke="{entry.colour}" stroke-width="1">{tip}</polygon>'
            )
            base = upper
        else:
            parts.append(
                f'<polyline class="line" points="{line}" fill="none" stroke="{entry.colour}" '
                f'stroke-width="2" stroke-linejoin="round">{tip}</polyline>'
            )
    return _figure(title, "chart-time", "".join(parts), WIDTH, height)


def _x_positions(count: int, left: float, right: float) -> list[float]:
    """Bucket x positions; a single bucket spans the plot as two points (a visible band)."""
    if count == 1:
        return [left, right]
    return [left + (right - left) * n / (count - 1) for n in range(count)]


def _x_labels(labels: Sequence[str], xs: Sequence[float], height: int) -> str:
    """Labels under the time axis: as many as fit without overlapping (about 7 px a character
    at 12 px), the first and last aligned to the plot's edges."""
    if len(labels) == 1:
        return (
            f'<text x="{_n((xs[0] + xs[-1]) / 2)}" y="{height - 24}" text-anchor="middle" '
            f'fill="{MUTED}">{label(labels[0])}</text>'
        )
    # the first label is anchored at its start: the next must clear one and a half labels
    widest = int(max(len(text) for text in labels) * 7 * 1.5) + 16
    most = max(2, int((xs[-1] - xs[0]) // widest))
    every = max(1, math.ceil(len(labels) / most))
    shown = list(range(0, len(labels), every))
    parts = []
    for index in shown:
        anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else "middle"
        parts.append(
            f'<text x="{_n(xs[index])}" y="{height - 24}" text-anchor="{anchor}" '
            f'fill="{MUTED}">{label(labels[index])}</text>'
        )
    return "".join(parts)


def series_from(
    names: Sequence[str], rows: Sequence[Sequence[float]], other: str | None = None
) -> list[Series]:
    """Series coloured in order; a series named `other` gets the grey."""
    return [
        Series(name, tuple(float(v) for v in row), OTHER_COLOUR if name == other else colour(i))
        for i, (name, row) in enumerate(zip(names, rows, strict=True))
    ]


# --- the network -----------------------------------------------------------------------------


def spring_positions(
    names: Sequence[str], edges: Sequence[tuple[int, int, float]], seed: int = 0
) -> list[tuple[float, float]]:
    """Positions in [0, 1]^2 for nodes 0..n-1 from networkx's force-directed layout, seeded
    so the same network is always drawn the same way."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(names)))
    graph.add_weighted_edges_from((a, b, math.log1p(w)) for a, b, w in edges if a != b)
    if not names:
        return []
    if len(names) == 1:
        return [(0.5, 0.5)]
    found = nx.spring_layout(graph, seed=seed, weight="weight", iterations=60)
    xs = [float(found[n][0]) for n in range(len(names))]
    ys = [float(found[n][1]) for n in range(len(names))]
    return list(zip(_unit(xs), _unit(ys), strict=True))


def _unit(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    if high - low < 1e-12:
        return [0.5] * len(values)
    return [(v - low) / (high - low) for v in values]


def network_chart(
    title: str,
    nodes: Sequence[NetworkNode],
    edges: Sequence[NetworkEdge],
    legend: Sequence[Series] = (),
    *,
    empty: str = "No account links to draw.",
) -> Markup:
    """Accounts as circles (area by degree, colour by community, bridges ringed and named)
    and their links as lines (width by weight), at the given positions."""
    if not nodes:
        return _empty(title, empty)
    bridge_key = Series("bridge (ringed)", (), BRIDGE_SWATCH)
    legend_svg, legend_height = _legend([*legend, bridge_key], 6)
    pad, plot_w, plot_h = 24.0, WIDTH - 48.0, 520.0
    top = legend_height + 8
    height = int(top + plot_h + 2 * pad)
    peak_degree = max(node.degree for node in nodes) or 1.0
    peak_weight = max((edge.weight for edge in edges), default=1.0) or 1.0

    def place(node: NetworkNode) -> tuple[float, float]:
        return pad + node.x * plot_w, top + pad + node.y * plot_h

    parts = [legend_svg, '<g class="edges" stroke="#8893a0" stroke-opacity="0.45">']
    for edge in edges:
        (x1, y1), (x2, y2) = place(nodes[edge.source]), place(nodes[edge.target])
        width = 0.6 + 2.4 * math.log1p(edge.weight) / math.log1p(peak_weight)
        parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
            f'stroke-width="{width:.2f}"/>'
        )
    parts.append('</g><g class="nodes">')
    for node in nodes:
        parts.append(_node(node, place(node), peak_degree))
    parts.append("</g>")
    return _figure(title, "chart-network", "".join(parts), WIDTH, height)


def _node(node: NetworkNode, at: tuple[float, float], peak_degree: float) -> str:
    x, y = at
    radius = 3.0 + 7.0 * math.sqrt(node.degree / peak_degree)
    ring = f' stroke="{INK}" stroke-width="2.5"' if node.bridge else ' stroke="#ffffff"'
    group = f" · community {label(node.group)}" if node.group else ""
    role = " · bridge" if node.bridge else ""
    tip = f"<title>{label(node.name)}{group} · links {number(node.degree)}{role}</title>"
    circle = (
        f'<circle class="node{" bridge" if node.bridge else ""}" cx="{_n(x)}" cy="{_n(y)}" '
        f'r="{radius:.1f}" fill="{node.colour}"{ring}>{tip}</circle>'
    )
    if not node.labelled:
        return circle
    # names near the right edge go to the left of their node, so they stay inside the drawing
    left = node.x > 0.8
    text_x = x - radius - 3 if left else x + radius + 3
    anchor = "end" if left else "start"
    return circle + (
        f'<text class="node-label" x="{_n(text_x)}" y="{_n(y + 4)}" text-anchor="{anchor}" '
        f'fill="{INK}" font-size="11">{label(node.name, 24)}</text>'
    )
