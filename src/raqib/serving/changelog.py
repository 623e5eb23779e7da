"""How far the service has applied the store's change log, and the holes it still watches.

On SQLite writers take turns, so change numbers become visible in order. On PostgreSQL a
number is drawn when the row is inserted but the row is seen only when its transaction commits:
a transaction that commits late leaves a hole below changes already applied. Holes are watched
(counted by every poll) until their rows appear or `GAP_SECONDS` pass (a rolled-back
transaction, or numbers a crashed server skipped, never fill).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from raqib.serving.store import LoggedChange, Poll

GAP_SECONDS = 3600.0
MAX_GAPS = 256


@dataclass
class _Gap:
    low: int
    high: int
    since: float


class ChangeCursor:
    """The last change number applied, plus the watched holes below it. Not thread-safe: the
    matcher's refresh lock guards it."""

    def __init__(self, seq: int = 0) -> None:
        self.seq = seq
        self._gaps: list[_Gap] = []

    def gaps(self, now: float) -> list[tuple[int, int]]:
        """The holes still watched (inclusive ranges); expired ones are dropped."""
        self._gaps = [g for g in self._gaps if now - g.since < GAP_SECONDS]
        return [(g.low, g.high) for g in self._gaps]

    def behind(self, poll: Poll) -> bool:
        return poll.seq > self.seq or poll.in_gaps > 0

    def advance(self, changes: Iterable[LoggedChange], now: float) -> None:
        """Record changes read after `seq`, in order; numbers skipped become holes."""
        expected = self.seq + 1
        for change in changes:
            if change.seq > expected:
                self._gaps.append(_Gap(expected, change.seq - 1, now))
            expected = max(expected, change.seq + 1)
        self.seq = expected - 1
        if len(self._gaps) > MAX_GAPS:
            self._gaps = self._gaps[-MAX_GAPS:]

    def filled(self, changes: Iterable[LoggedChange]) -> None:
        """Record changes that appeared inside holes: those numbers are no longer watched."""
        seen = sorted({c.seq for c in changes})
        if not seen:
            return
        kept: list[_Gap] = []
        for gap in self._gaps:
            low = gap.low
            for seq in (s for s in seen if gap.low <= s <= gap.high):
                if seq > low:
                    kept.append(_Gap(low, seq - 1, gap.since))
                low = seq + 1
            if low <= gap.high:
                kept.append(_Gap(low, gap.high, gap.since))
        self._gaps = kept
