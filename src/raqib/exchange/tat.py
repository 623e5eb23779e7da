"""Tech Against Terrorism's hash-list fields as CSV (`bank export --format tat`), and back.

The columns are the fields of a TAT hash-list record as python-threatexchange's client reads
them from TAT's API (`TATHashListEntry`): id, hash_digest, algorithm, ideology, file_type,
deleted, created_on, updated_on; then Raqib's labels (entity, behaviours, tier, source, note) so
the file reads back into the same entries. Mapping (see docs/exchanges.md):

- algorithm: pdq -> PDQ, md5 -> MD5, sha256 -> SHA256 (TAT's names); the signal types TAT
  has no algorithm for keep their Raqib name in upper case (VPDQ, URL, TEXT_SHA256,
  TEXT_MINHASH), so the file is the whole bank; TAT's tools skip algorithms they do not know;
- id: the Raqib entry id; created_on: when it was added (ISO 8601, UTC); updated_on: the same
  moment as Unix seconds (TAT's form); deleted: false (a removed entry is not listed);
- ideology and file_type: empty (Raqib records neither: fill them in if TAT asks for them).

Written row by row (constant memory); TLP:RED banks are refused, as for MISP (the CSV has no
field that could keep red with its owner).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import TextIO

from raqib.errors import ImportFormatError, InputError
from raqib.records import BankInfo, EntryRecord, Labels, NewEntry, check_tlp
from raqib.signals import SignalRegistry

TAT_FIELDS = (
    "id",
    "hash_digest",
    "algorithm",
    "ideology",
    "file_type",
    "deleted",
    "created_on",
    "updated_on",
)
LABEL_FIELDS = ("entity", "behaviours", "tier", "source", "note")
FIELDS = TAT_FIELDS + LABEL_FIELDS
ALGORITHMS = {"pdq": "PDQ", "md5": "MD5", "sha256": "SHA256"}
_SIGNAL_TYPES = {"PDQ": "pdq", "MD5": "md5", "SHA256": "sha256", "SHA-256": "sha256"}
MAX_FIELD_BYTES = 1 << 20


def write_tat(
    bank: BankInfo, entries: Iterable[EntryRecord], out: TextIO, marked: bool = True
) -> int:
    """Write the bank's entries as TAT hash-list CSV; returns how many. `marked=False`: the
    bank (and so its TLP) is not known, as for any list without a marking."""
    if marked and check_tlp(bank.tlp) == "red":
        raise InputError(
            f"bank {bank.name} is TLP:RED, which never leaves its owner: nothing was exported "
            "for Tech Against Terrorism (lower the TLP with `raqib bank update` if it may be "
            "shared)"
        )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    for entry in entries:
        algorithm = ALGORITHMS.get(entry.signal_type) or entry.signal_type.upper()
        writer.writerow(_row(entry, algorithm))
        count += 1
    return count


def _row(entry: EntryRecord, algorithm: str) -> list[str]:
    added = entry.added_at if entry.added_at.tzinfo else entry.added_at.replace(tzinfo=UTC)
    labels = entry.labels
    return [
        str(entry.id),
        entry.value,
        algorithm,
        "",
        "",
        "false",
        added.astimezone(UTC).isoformat(),
        f"{added.timestamp():.3f}",
        labels.entity,
        ",".join(labels.behaviours),
        "" if labels.tier is None else str(labels.tier),
        labels.source,
        labels.note,
    ]


def read_tat(handle: TextIO, registry: SignalRegistry) -> Iterator[NewEntry]:
    """Entries of a TAT hash-list CSV: rows marked deleted and algorithms Raqib has no signal
    type for are skipped; a bad hash raises ImportFormatError naming the line. Algorithms are
    TAT's names or Raqib signal type names (as write_tat writes them)."""
    csv.field_size_limit(MAX_FIELD_BYTES)
    reader = csv.DictReader(handle)
    missing = {"hash_digest", "algorithm"} - set(reader.fieldnames or [])
    if missing:
        raise ImportFormatError(1, f"TAT CSV header lacks {', '.join(sorted(missing))}")
    try:
        for row in reader:
            if None in row:
                raise ImportFormatError(reader.line_num, "more fields than the header")
            entry = _entry(row, registry, reader.line_num)
            if entry is not None:
                yield entry
    except csv.Error as exc:
        raise ImportFormatError(reader.line_num, f"bad CSV ({exc})") from exc


def _entry(row: dict[str, str], registry: SignalRegistry, line: int) -> NewEntry | None:
    if (row.get("deleted") or "").strip().lower() in ("true", "1", "yes"):
        return None
    algorithm = (row.get("algorithm") or "").strip()
    try:
        signal_type = registry.get(_SIGNAL_TYPES.get(algorithm.upper(), algorithm))
    except ValueError:
        return None  # an algorithm Raqib has no signal type for (e.g. TMK)
    try:
        value = signal_type.normalize(row.get("hash_digest") or "")
        labels = Labels.from_mapping({k: row[k] for k in LABEL_FIELDS if row.get(k)})
    except (ValueError, InputError) as exc:
        raise ImportFormatError(line, str(exc)) from exc
    return NewEntry(signal_type.name, value, labels)
