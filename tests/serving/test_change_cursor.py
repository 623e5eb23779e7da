"""The change cursor: numbers skipped while reading the log become watched holes, filled when
their rows appear and forgotten once they are too old to be a transaction still running."""

from __future__ import annotations

from raqib.serving.changelog import GAP_SECONDS, MAX_GAPS, ChangeCursor
from raqib.serving.store import LoggedChange, Poll


def _changes(*seqs: int) -> list[LoggedChange]:
    return [LoggedChange(seq, "pdq", 1000 + seq, "add") for seq in seqs]


def test_skipped_numbers_become_holes_until_filled() -> None:
    cursor = ChangeCursor(10)
    cursor.advance(_changes(11, 14, 15, 19), now=0.0)
    assert cursor.seq == 19
    assert cursor.gaps(now=1.0) == [(12, 13), (16, 18)]
    cursor.filled(_changes(12, 17))
    assert cursor.gaps(now=1.0) == [(13, 13), (16, 16), (18, 18)]
    cursor.filled(_changes(13, 16, 18))
    assert cursor.gaps(now=1.0) == []


def test_behind_when_the_head_moved_or_a_hole_filled() -> None:
    cursor = ChangeCursor(5)
    assert not cursor.behind(Poll(5, ()))
    assert cursor.behind(Poll(6, ()))
    assert cursor.behind(Poll(5, (), in_gaps=1))


def test_old_holes_expire_and_their_number_is_bounded() -> None:
    cursor = ChangeCursor(0)
    cursor.advance(_changes(3), now=0.0)
    cursor.advance(_changes(6), now=100.0)
    assert cursor.gaps(now=GAP_SECONDS + 50) == [(4, 5)]
    cursor.advance(_changes(*range(8, 8 + 2 * (MAX_GAPS + 10), 2)), now=200.0)
    gaps = cursor.gaps(now=201.0)
    assert len(gaps) == MAX_GAPS and gaps[-1] == (cursor.seq - 1, cursor.seq - 1)


def test_an_empty_read_changes_nothing() -> None:
    cursor = ChangeCursor(7)
    cursor.advance([], now=0.0)
    assert cursor.seq == 7 and cursor.gaps(now=0.0) == []
