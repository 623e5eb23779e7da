from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from raqib.errors import ImportFormatError, InputError
from raqib.exchange.formats import ListFormat, read_entries, write_entries
from raqib.records import EntryRecord, Labels
from raqib.signals import SignalRegistry

PDQ_A = "a" * 64
PDQ_B = "0123456789abcdef" * 4
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_threatexchange_lines(tmp_path: Path, registry: SignalRegistry) -> None:
    path = _write(tmp_path, "l.te", f"# comment\npdq {PDQ_A.upper()}\n\nvideo_md5 {MD5}\n")
    entries = read_entries(path, ListFormat.TE, registry)
    assert [(e.signal_type, e.value) for e in entries] == [("pdq", PDQ_A), ("md5", MD5)]


def test_reads_csv_with_labels(tmp_path: Path, registry: SignalRegistry) -> None:
    text = (
        "signal_type,signal,entity,behaviours,tier,source,note\n"
        f'pdq,{PDQ_A},ISIS,"propaganda,recruitment",1,unit-test,"a note, with comma"\n'
        f"url,HTTP://Example.ORG/x?utm_source=y,,,,,\n"
    )
    entries = read_entries(_write(tmp_path, "l.csv", text), ListFormat.CSV, registry)
    assert entries[0].labels == Labels(
        "ISIS", ("propaganda", "recruitment"), 1, "unit-test", "a note, with comma"
    )
    assert entries[1].value == "http://example.org/x"


def test_reads_jsonl(tmp_path: Path, registry: SignalRegistry) -> None:
    text = f'{{"signal_type": "pdq", "signal": "{PDQ_B}", "tier": 2, "behaviours": ["a"]}}\n'
    (entry,) = read_entries(_write(tmp_path, "l.jsonl", text), ListFormat.JSONL, registry)
    assert entry.labels.tier == 2 and entry.labels.behaviours == ("a",)


@pytest.mark.parametrize(
    ("fmt", "text", "line", "why"),
    [
        (ListFormat.TE, f"pdq {PDQ_A}\npdq nothex\n", 2, "PDQ"),
        (ListFormat.TE, f"pdq {PDQ_A}\n\nnosuchtype abc\n", 3, "unknown signal type"),
        (ListFormat.TE, "pdq\n", 1, "signal_type"),
        (ListFormat.CSV, f"signal_type,signal,tier\npdq,{PDQ_A},9\n", 2, "tier"),
        (ListFormat.CSV, "signal,entity\nx,y\n", 1, "signal_type"),
        (ListFormat.CSV, f"signal_type,signal,colour\npdq,{PDQ_A},red\n", 1, "colour"),
        (ListFormat.JSONL, f'{{"signal_type":"pdq","signal":"{PDQ_A}"}}\n{{bad\n', 2, "JSON"),
        (ListFormat.JSONL, "[1,2]\n", 1, "object"),
        (ListFormat.JSONL, f'{{"signal_type":"pdq","signal":"{PDQ_A}","shade":1}}\n', 1, "shade"),
    ],
)
def test_a_bad_line_names_its_number_and_why(
    tmp_path: Path, registry: SignalRegistry, fmt: ListFormat, text: str, line: int, why: str
) -> None:
    with pytest.raises(ImportFormatError, match=why) as caught:
        read_entries(_write(tmp_path, "bad", text), fmt, registry)
    assert caught.value.line_number == line
    assert str(caught.value).startswith(f"line {line}:")


def test_non_utf8_file_is_an_input_error(tmp_path: Path, registry: SignalRegistry) -> None:
    path = tmp_path / "latin1.te"
    path.write_bytes(b"pdq " + b"a" * 64 + b"\n# caf\xe9\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_entries(path, ListFormat.TE, registry)


@pytest.mark.parametrize("fmt", list(ListFormat))
def test_write_then_read_gives_the_same_entries(
    tmp_path: Path, registry: SignalRegistry, fmt: ListFormat
) -> None:
    now = datetime.now(UTC)
    labels = Labels("ISIS", ("propaganda",), 2, "src", 'note, "quoted"\nline')
    records = [
        EntryRecord(1, "b", "pdq", PDQ_A, labels, now),
        EntryRecord(2, "b", "md5", MD5, Labels(), now),
        EntryRecord(3, "b", "url", "https://example.org/ا", Labels(entity="داعش"), now),
    ]
    buffer = io.StringIO()
    assert write_entries(records, fmt, buffer) == 3
    path = _write(tmp_path, f"out.{fmt}", buffer.getvalue())
    back = read_entries(path, fmt, registry)
    assert [(e.signal_type, e.value) for e in back] == [(r.signal_type, r.value) for r in records]
    if fmt is not ListFormat.TE:
        assert [e.labels for e in back] == [r.labels for r in records]
