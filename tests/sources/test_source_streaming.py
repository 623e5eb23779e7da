"""Large exports are read in constant memory: the peak traced while reading every item of a
generated ~24 MB export stays a small fraction of the file (the same holds at 1 GB: memory
depends on the largest message, not on the file)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from raqib.sources.items import SourceItem
from raqib.sources.jsonl import read_jsonl
from raqib.sources.telegram import read_telegram
from raqib.sources.twitter import read_x

MESSAGES = 12_000
FILLER = "sample post about the weather and the trains, nothing else. " * 30  # ~1.8 KB


def _message(number: int) -> dict[str, object]:
    return {
        "id": number,
        "type": "message",
        "date_unixtime": str(1_704_067_200 + number * 60),
        "from": f"Placeholder Desk {number % 7}",
        "from_id": f"channel{number % 7}",
        "text": [f"sample post {number} ", {"type": "hashtag", "text": "#weather"}, FILLER],
    }


def _write_telegram(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('{"name": "Placeholder Desk", "type": "public_channel", "id": 5, "messages": [')
        for number in range(1, MESSAGES + 1):
            out.write(("," if number > 1 else "") + json.dumps(_message(number)) + "\n")
        out.write("]}")


def _write_x(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for number in range(1, MESSAGES + 1):
            tweet = {
                "id": str(number),
                "text": f"sample post {number} {FILLER}",
                "author": {"id": "9", "username": "placeholder_desk", "name": "Desk"},
                "created_at": "2024-01-01T00:00:00.000Z",
            }
            out.write(json.dumps(tweet) + "\n")


def _peak_while_reading(items: Iterator[SourceItem]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in items)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


@pytest.mark.slow
@pytest.mark.parametrize(
    ("write", "read"),
    [
        (_write_telegram, lambda path: read_telegram(path)),
        (_write_x, lambda path: read_x(path)),
        (_write_x, lambda path: read_jsonl(path)),
    ],
    ids=["telegram", "x-jsonl", "generic-jsonl"],
)
def test_reading_a_large_export_keeps_memory_flat(
    tmp_path: Path,
    write: Callable[[Path], None],
    read: Callable[[Path], Iterator[SourceItem]],
) -> None:
    path = tmp_path / "export.json"
    write(path)
    size = path.stat().st_size
    assert size > 20 << 20
    count, peak = _peak_while_reading(read(path))
    assert count == MESSAGES
    assert peak < size / 20, f"peak {peak:,} bytes while reading {size:,}"
