"""The generic JSONL reader (id, author, time, text, url, media, reply_to, forwarded_from) and
the encodings exports arrive in: UTF-8 with a BOM, UTF-16, Latin-1 lines among UTF-8 ones."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from raqib.sources.items import SourceItem
from raqib.sources.jsonl import read_jsonl
from raqib.sources.telegram import read_telegram
from raqib.synthetic import make_image

POSTS = [
    {
        "id": "p1",
        "author": "@desk_one",
        "time": "2024-05-01T12:00:00+02:00",
        "text": "sample post 1 about the weather #weather_today by @desk_two https://example.org/w.",
        "url": "https://example.org/p1",
        "media": ["media/one.jpg", "https://media.example.org/remote.jpg"],
    },
    {
        "id": 2,
        "author": "desk_two",
        "time": 1714567200,
        "text": "sample post 2 about the markets",
        "reply_to": "p1",
        "forwarded_from": "@desk_three",
        "platform": "forum",
        "chat": "placeholder board",
    },
    {"text": "sample post 3 with no author and no time"},
]


def _write(path: Path, records: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    return path


def test_generic_fields_media_and_links(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    make_image(5, (64, 48)).save(tmp_path / "media" / "one.jpg")
    items = list(read_jsonl(_write(tmp_path / "posts.jsonl", POSTS)))
    assert [i.source for i in items] == ["post", "media", "post", "post"]
    first, photo, second, third = items
    assert first.meta == {
        "external_id": "p1",
        "author": "desk_one",
        "time": "2024-05-01T10:00:00+00:00",
        "url": "https://example.org/p1",
        "hashtags": ["weather_today"],
        "mentions": ["desk_two"],
        "links": ["https://example.org/w"],
        "media_urls": ["https://media.example.org/remote.jpg"],
    }
    assert photo.path == (tmp_path / "media" / "one.jpg").resolve()
    assert photo.meta == {"author": "desk_one", "time": first.meta["time"], "parent": "p1"}
    assert second.meta["reply_to"] == "p1" and second.meta["forwarded_from"] == "desk_three"
    assert second.meta["time"] == "2024-05-01T12:40:00+00:00"
    assert second.meta["platform"] == "forum" and second.meta["chat"] == "placeholder board"
    assert third.text == POSTS[2]["text"] and third.meta == {}  # no author, no time: still read
    assert [i.where.rsplit("#", 1)[-1] for i in (first, second, third)] == ["L1", "L2", "L3"]


def test_bad_lines_are_errors_and_the_rest_still_counts(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"text": "one"}\n{"text": "tw\n[1, 2]\n\n{"text": "five", "media": "../x.jpg"}\n'
    )
    items = list(read_jsonl(path))
    assert [(i.where.rsplit("#", 1)[-1], bool(i.errors)) for i in items[:4]] == [
        ("L1", False),
        ("L2", True),
        ("L3", True),
        ("L5", False),
    ]
    refused = items[4]  # the fifth line's media path climbs out of the folder
    assert refused.source == "media" and refused.path is None
    assert "outside the export" in refused.errors[0]["message"]


def test_an_overlong_line_is_skipped_without_being_held(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("w") as out:
        out.write('{"text": "before"}\n{"text": "' + "x" * (3 << 20) + '"}\n{"text": "after"}\n')
    from raqib.sources.records import read_records

    records = list(read_records(path, jsonl=True, max_record=1 << 20))
    assert [type(r).__name__ for r in records] == ["Record", "RecordError", "Record"]
    assert "longer than" in records[1].message  # type: ignore[union-attr]


def _lines(records: list[object]) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"


ARABIC = [{"id": 1, "author": "مكتب_الطقس", "text": "نشرة الطقس: أجواء معتدلة اليوم"}]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
def test_byte_order_marks_and_utf16_are_decoded(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(bom + _lines(ARABIC).encode(encoding))
    (item,) = read_jsonl(path)
    assert item.text == ARABIC[0]["text"] and item.meta["author"] == "مكتب_الطقس"
    assert not item.errors


def test_latin1_lines_among_utf8_are_decoded_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    utf8 = _lines([{"text": "café in UTF-8"}]).encode("utf-8")
    latin1 = _lines([{"text": "café in Latin-1"}]).encode("latin-1")
    path.write_bytes(utf8 + latin1 + utf8)
    first, second, third = read_jsonl(path)
    assert first.text == "café in UTF-8" and not first.errors and not third.errors
    assert second.text == "café in Latin-1"
    assert second.errors[0]["stage"] == "decode" and "Latin-1" in second.errors[0]["message"]


def test_latin1_bytes_in_a_streamed_export_are_decoded_and_reported(tmp_path: Path) -> None:
    export = {"name": "Desk", "id": 1, "messages": [{"id": 1, "text": "caf\u00e9 sample"}]}
    (tmp_path / "result.json").write_bytes(json.dumps(export, ensure_ascii=False).encode("latin-1"))
    (item,) = read_telegram(tmp_path)
    assert item.text == "café sample"
    assert "Latin-1" in item.errors[0]["message"]


def test_a_file_with_no_posts_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    items: list[SourceItem] = list(read_jsonl(path))
    assert len(items) == 1 and items[0].notes[0]["message"] == "no posts in the file"
