"""Untrusted bytes to text: replacement and a report for invalid UTF-8, BOMs, size cuts."""

from __future__ import annotations

import codecs
from pathlib import Path

from raqib.content.text import decode_text, read_text_file


def test_valid_utf8_decodes_without_errors() -> None:
    decoded = decode_text("الطقس معتدل اليوم".encode())
    assert decoded.text == "الطقس معتدل اليوم"
    assert decoded.errors == []


def test_invalid_utf8_is_replaced_and_reported() -> None:
    decoded = decode_text(b"weather \xff\xfe report \xc3")
    assert decoded.text.startswith("weather \ufffd")
    assert decoded.text.count("\ufffd") == 3
    assert len(decoded.errors) == 1
    assert "first at byte 8" in decoded.errors[0]


def test_genuine_replacement_characters_are_not_counted_as_invalid() -> None:
    decoded = decode_text("a \ufffd b".encode() + b"\xff")
    assert "1 invalid sequence" in decoded.errors[0]


def test_byte_order_marks_choose_the_encoding() -> None:
    text = "النقل العام يعمل كالمعتاد"
    assert decode_text(codecs.BOM_UTF8 + text.encode()).text == text
    assert decode_text(codecs.BOM_UTF16_LE + text.encode("utf-16-le")).text == text
    decoded = decode_text(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    assert decoded.text == text and decoded.encoding == "utf-16-be"


def test_a_file_over_the_limit_is_cut_at_a_character_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("ب" * 100, encoding="utf-8")  # two bytes a letter
    decoded = read_text_file(path, max_bytes=51)
    assert decoded.text == "ب" * 25
    assert len(decoded.errors) == 1 and "larger than 51 bytes" in decoded.errors[0]
