"""Hash-list files: python-threatexchange lines (`te`), CSV with a header, JSONL, STIX 2.1
bundles (`stix`, see raqib.exchange.stix), MISP events (`misp`, raqib.exchange.misp) and Tech
Against Terrorism hash-list CSV (`tat`, raqib.exchange.tat).

Reading is all-or-nothing: the first bad line raises ImportFormatError naming the line and why,
before anything is stored.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from raqib.errors import ImportFormatError, InputError
from raqib.exchange import misp, stix, tat
from raqib.records import BankInfo, EntryRecord, Labels, NewEntry
from raqib.signals import SignalRegistry
from raqib.signals.raw_text import RAW_TEXT, raw_text_signals

CSV_FIELDS = ("signal_type", "signal", "entity", "behaviours", "tier", "source", "note")
LABEL_FIELDS = ("entity", "behaviours", "tier", "source", "note")
# What `bank export --format jsonl` writes; id, bank and added_at are the exporter's, not ours.
JSONL_FIELDS = frozenset({"signal_type", "signal", *LABEL_FIELDS, "id", "bank", "added_at"})
MAX_LINE_BYTES = 8 << 20  # a 4-hour vPDQ frame list is about 1 MB
MAX_FILE_BYTES = 4 << 30


class ListFormat(StrEnum):
    TE = "te"
    CSV = "csv"
    JSONL = "jsonl"
    STIX = "stix"
    MISP = "misp"
    TAT = "tat"


def guess_format(path: Path) -> ListFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "jsonl", "stix"):
        return ListFormat(suffix)
    if suffix == "ndjson":
        return ListFormat.JSONL
    return ListFormat.TE


def read_entries(path: Path, fmt: ListFormat, registry: SignalRegistry) -> list[NewEntry]:
    """Every entry of a hash-list file, validated; raises on the first bad line."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: {size} bytes is over the 4 GiB limit for one list file")
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            return list(_READERS[fmt](handle, registry))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _lines(handle: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(handle, start=1):
        if len(line) > MAX_LINE_BYTES:
            raise ImportFormatError(number, "line longer than 8 MiB")
        text = line.strip()
        if text and not text.startswith("#"):
            yield number, text


def _read_te(handle: TextIO, registry: SignalRegistry) -> Iterator[NewEntry]:
    for number, text in _lines(handle):
        yield from _entries(number, registry, *_split_te(number, text), {})


def _split_te(number: int, text: str) -> tuple[str, str]:
    name, _, value = text.partition(" ")
    if not value.strip():
        raise ImportFormatError(number, f"want '<signal_type> <signal>', got {text[:60]!r}")
    return name, value.strip()


def _read_jsonl(handle: TextIO, registry: SignalRegistry) -> Iterator[NewEntry]:
    for number, text in _lines(handle):
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(number, f"not JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise ImportFormatError(number, "want a JSON object")
        unknown = set(record) - JSONL_FIELDS
        if unknown:
            raise ImportFormatError(number, f"unknown field(s) {', '.join(sorted(unknown))}")
        labels = {k: record[k] for k in LABEL_FIELDS if k in record}
        yield from _entries(
            number, registry, record.get("signal_type"), record.get("signal"), labels
        )


def _read_csv(handle: TextIO, registry: SignalRegistry) -> Iterator[NewEntry]:
    csv.field_size_limit(MAX_LINE_BYTES)
    reader = csv.DictReader(handle)
    header = reader.fieldnames or []
    missing = {"signal_type", "signal"} - set(header)
    if missing:
        raise ImportFormatError(1, f"CSV header lacks {', '.join(sorted(missing))}")
    unknown = set(header) - set(CSV_FIELDS)
    if unknown:
        raise ImportFormatError(1, f"CSV header has unknown column(s) {', '.join(sorted(unknown))}")
    try:
        for row in reader:
            if None in row:
                raise ImportFormatError(reader.line_num, "more fields than the header")
            labels = {k: row[k] for k in LABEL_FIELDS if row.get(k)}
            yield from _entries(
                reader.line_num, registry, row["signal_type"], row["signal"], labels
            )
    except csv.Error as exc:
        raise ImportFormatError(reader.line_num, f"bad CSV ({exc})") from exc


def _entries(
    number: int, registry: SignalRegistry, name: Any, value: Any, labels: dict[str, Any]
) -> list[NewEntry]:
    """The entries of one line: one, or for a python-threatexchange `raw_text` line the text's
    text_sha256 and text_minhash (Raqib keeps signals, not the raw text)."""
    if not isinstance(name, str) or not isinstance(value, str) or not value.strip():
        raise ImportFormatError(number, "needs a signal_type and a signal")
    try:
        if name.strip().lower() == RAW_TEXT:
            return [
                NewEntry(s.signal_type, s.value, Labels.from_mapping(labels))
                for s in raw_text_signals(value)
            ]
        signal_type = registry.get(name)
        normalized = signal_type.normalize(value)
        return [NewEntry(signal_type.name, normalized, Labels.from_mapping(labels))]
    except (ValueError, InputError) as exc:
        raise ImportFormatError(number, str(exc)) from exc


def _read_stix(handle: TextIO, registry: SignalRegistry) -> Iterator[NewEntry]:
    """A STIX bundle (or TAXII envelope, or a JSON list of objects); indicators Raqib cannot map
    are skipped (see stix.import_objects)."""
    try:
        document = json.load(handle)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(exc.lineno, f"not JSON ({exc.msg})") from exc
    objects = document.get("objects") if isinstance(document, dict) else document
    if not isinstance(objects, list):
        raise ImportFormatError(1, "want a STIX bundle (an object with an 'objects' list)")
    yield from stix.objects_to_entries(objects, registry)


def _read_misp(handle: TextIO, registry: SignalRegistry) -> Iterator[NewEntry]:
    """A MISP event (see misp.read_entries)."""
    try:
        document = json.load(handle)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(exc.lineno, f"not JSON ({exc.msg})") from exc
    yield from misp.read_entries(document, registry)


_READERS = {
    ListFormat.TE: _read_te,
    ListFormat.CSV: _read_csv,
    ListFormat.JSONL: _read_jsonl,
    ListFormat.STIX: _read_stix,
    ListFormat.MISP: _read_misp,
    ListFormat.TAT: tat.read_tat,
}


def write_entries(
    entries: Iterable[EntryRecord], fmt: ListFormat, out: TextIO, bank: BankInfo | None = None
) -> int:
    """Write entries in a list format; returns how many were written. STIX marks the objects
    with the bank's TLP; without the bank it marks them TLP:RED (never less than the truth).
    MISP and TAT refuse a TLP:RED bank; without the bank, MISP's event is for your
    organisation only, with no TLP tag."""
    if fmt in (ListFormat.STIX, ListFormat.MISP, ListFormat.TAT):
        entries = iter(entries)
        first = next(entries, None)
        if first is not None:
            entries = itertools.chain([first], entries)
        target = bank or _unknown_bank(first)
        if fmt is ListFormat.STIX:
            return _write_stix(target, entries, out)
        marked = bank is not None
        if fmt is ListFormat.MISP:
            return misp.write_event(target, entries, out, marked)
        return tat.write_tat(target, entries, out, marked)
    return _WRITERS[fmt](entries, out)


def _unknown_bank(first: EntryRecord | None) -> BankInfo:
    created = first.added_at if first else datetime.now(UTC)
    name = first.bank if first else "unknown"
    return BankInfo(0, name, "", "red", True, False, True, {}, created)


def _write_stix(bank: BankInfo, entries: Iterable[EntryRecord], out: TextIO) -> int:
    """A STIX bundle, written object by object (memory stays flat for a large bank)."""
    counted = _Counter(entries)
    out.write(f'{{"type": "bundle", "id": "{stix.bundle_id(bank)}", "objects": [')
    for number, obj in enumerate(stix.bank_objects(bank, counted)):
        out.write(("\n" if number == 0 else ",\n") + json.dumps(obj, ensure_ascii=False))
    out.write("\n]}\n")
    return counted.count


class _Counter:
    """Counts the entries an iterable yields as it is consumed."""

    def __init__(self, entries: Iterable[EntryRecord]) -> None:
        self.entries = entries
        self.count = 0

    def __iter__(self) -> Iterator[EntryRecord]:
        for entry in self.entries:
            self.count += 1
            yield entry


def _write_te(entries: Iterable[EntryRecord], out: TextIO) -> int:
    count = 0
    for entry in entries:
        out.write(f"{entry.signal_type} {entry.value}\n")
        count += 1
    return count


def _write_csv(entries: Iterable[EntryRecord], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    count = 0
    for entry in entries:
        labels = entry.labels
        behaviours = ",".join(labels.behaviours)
        tier = "" if labels.tier is None else str(labels.tier)
        writer.writerow(
            [
                entry.signal_type,
                entry.value,
                labels.entity,
                behaviours,
                tier,
                labels.source,
                labels.note,
            ]
        )
        count += 1
    return count


def _write_jsonl(entries: Iterable[EntryRecord], out: TextIO) -> int:
    count = 0
    for entry in entries:
        out.write(json.dumps(entry.as_dict(), ensure_ascii=False) + "\n")
        count += 1
    return count


_WRITERS = {ListFormat.TE: _write_te, ListFormat.CSV: _write_csv, ListFormat.JSONL: _write_jsonl}


def entries_to_text(entries: Iterable[EntryRecord], fmt: ListFormat) -> str:
    buffer = io.StringIO()
    write_entries(entries, fmt, buffer)
    return buffer.getvalue()
