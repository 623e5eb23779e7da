"""How the Hamming index splits 256 bits into tables, and what a query plan costs.

Multi-index hashing: the hash is cut into `m` consecutive bit fields, one table each. If
two hashes differ in at most `t = m*r + a` bits (`0 <= a < m`), then one of any `a + 1` chosen
fields differs in at most `r` bits or one of the other fields differs in at most `r - 1` (else
the total would be at least `(a+1)(r+1) + (m-a-1)r > t`). Probing those neighbourhoods and
verifying every candidate finds every match: exact recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import comb

import numpy as np

# Relative costs of probing a bucket, verifying a candidate row (both mostly cache misses)
# and comparing one row in a sequential scan. Measured with bench/match.py on x86-64.
PROBE_COST = 0.4
CANDIDATE_COST = 1.0
SCAN_COST = 0.05
# Table counts considered: 11 tables of 23-24 bits suit ~10M rows, 16 of 16 bits ~100k.
TABLE_COUNTS = tuple(range(10, 21))
# Smaller segments are only ever scanned; their tables would not pay for themselves.
MIN_TABLE_ROWS = 16_384
# Direct-address offsets may take at most this many bytes per row (memory bound).
OFFSET_BYTES_PER_ROW = 48
MAX_WIDTH = 28
DESIGN_THRESHOLD = 31


@dataclass(frozen=True)
class Layout:
    """`m` tables keyed by consecutive bit fields; the first `256 % m` are one bit wider."""

    m: int

    @cached_property
    def widths(self) -> np.ndarray:
        base, extra = divmod(256, self.m)
        return np.array([base + 1 if i < extra else base for i in range(self.m)], np.int64)

    @cached_property
    def fields(self) -> np.ndarray:
        """int64[m, 3]: first bit, width, start of the table's offsets in the offsets array."""
        starts = np.concatenate(([0], np.cumsum(self.widths)[:-1]))
        sizes = (1 << self.widths) + 1
        bases = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        return np.stack([starts, self.widths, bases], axis=1).astype(np.int64)

    @property
    def offsets_len(self) -> int:
        return int(((1 << self.widths) + 1).sum())


def _ball(width: int, radius: int) -> int:
    """Keys within `radius` bits of a `width`-bit key."""
    return sum(comb(width, i) for i in range(min(radius, width) + 1)) if radius >= 0 else 0


def _table_cost(width: int, radius: int, rows: int) -> float:
    probes = _ball(width, radius)
    return probes * (PROBE_COST + CANDIDATE_COST * rows / float(1 << width))


def radii(layout: Layout, threshold: int, rows: int) -> np.ndarray:
    """Probe radius per table for `threshold` (pigeonhole split, cheapest tables get `r`)."""
    r, a = divmod(threshold, layout.m)
    widths = [int(w) for w in layout.widths]
    extra = [_table_cost(w, r, rows) - _table_cost(w, r - 1, rows) for w in widths]
    out = np.full(layout.m, r - 1, dtype=np.int64)
    out[np.argsort(extra, kind="stable")[: a + 1]] = r
    return out


def max_probes(layout: Layout, rs: np.ndarray) -> int:
    """The most keys any one table is probed at with radii `rs`."""
    return max(_ball(int(w), int(r)) for w, r in zip(layout.widths, rs, strict=True))


def probe_cost(layout: Layout, threshold: int, rows: int) -> float:
    """Estimated cost of one multi-index query at `threshold`."""
    rs = radii(layout, threshold, rows)
    return sum(_table_cost(int(w), int(r), rows) for w, r in zip(layout.widths, rs, strict=True))


def scan_cost(rows: int) -> float:
    return SCAN_COST * rows


@dataclass(frozen=True)
class QueryPlan:
    """How to answer a query: through the tables (with these radii) or by a scan."""

    use_tables: bool
    radii: np.ndarray
    max_probes: int


@lru_cache(maxsize=1024)
def query_plan(m: int, threshold: int, rows: int) -> QueryPlan:
    """The plan for `m` tables, `threshold` and `rows`, cached: working it out costs ~75 us
    in Python, as much as a query itself at 10M rows (measured with bench/serve.py)."""
    layout = Layout(m)
    rs = radii(layout, threshold, rows)
    cheaper = probe_cost(layout, threshold, rows) < scan_cost(rows)
    return QueryPlan(cheaper, rs, max_probes(layout, rs))


def choose_layout(rows: int) -> Layout | None:
    """The cheapest layout at the design threshold within the memory bound; None: scan only."""
    if rows < MIN_TABLE_ROWS:
        return None
    fits = [
        Layout(m)
        for m in TABLE_COUNTS
        if Layout(m).offsets_len * 4 <= OFFSET_BYTES_PER_ROW * rows
        and int(Layout(m).widths.max()) <= MAX_WIDTH
    ]
    if not fits:
        return None
    best = min(fits, key=lambda lay: probe_cost(lay, DESIGN_THRESHOLD, rows))
    if probe_cost(best, DESIGN_THRESHOLD, rows) >= scan_cost(rows):
        return None
    return best
