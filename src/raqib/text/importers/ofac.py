"""Indicators from the US Treasury OFAC SDN list: `sdn.csv` (+ `alt.csv` for aliases) or
`sdn.xml`, the two classic publications of the same data.

Names: individuals become "person" indicators (weight 0.4), everything else (entities, vessels,
aircraft) "entity" (0.8); aliases OFAC calls "weak" 0.2 (only the XML marks them). OFAC writes
individuals as "LAST, First"; we store them in reading order, "First LAST", which is how they
appear in running text. Names are kept only for entries in one of `programs` (None: all).

Crypto-asset addresses ("Digital Currency Address - XBT …" in the CSV remarks, id elements in
the XML) are kept from EVERY program, whatever `programs` says: a sanctioned address is worth
flagging whoever it belongs to. Each is checked with raqib.text.crypto and stored in canonical
form (weight 1.0: an address identifies its owner). An address that fails the check, or carries
a currency code we do not know, is an error: by default the import raises ImportFormatError
with the line and returns nothing; a caller that passes a `rejected` list gets those errors
appended there instead and the rest imported.

Not handled: `add.csv` (addresses) and `sdn_comments.csv`, where OFAC continues remarks too long
for sdn.csv; addresses only present there are missed by the CSV reader (use the XML).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from raqib.errors import ImportFormatError
from raqib.text.crypto import OFAC_CURRENCY_CODES, canonical_address
from raqib.text.importers.common import (
    XmlLayout,
    XmlNode,
    clean_name,
    guess_language,
    read_limited,
    read_xml_records,
)
from raqib.text.indicator_records import Indicator

# Terrorism-related OFAC program tags: Specially Designated Global Terrorists, Specially
# Designated Terrorists, Foreign Terrorist Organizations, the Hizballah International Financing
# Prevention Amendments Act, and foreign sanctions evaders under the SDGT program.
TERRORISM_PROGRAMS = frozenset({"SDGT", "SDT", "FTO", "HIFPAA", "FSE-SDGT"})
ENTITY_WEIGHT = 0.8
PERSON_WEIGHT = 0.4
WEAK_ALIAS_WEIGHT = 0.2
ADDRESS_WEIGHT = 1.0
SDN_COLUMNS = (
    "ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, "
    "Vess_flag, Vess_owner, Remarks"
)
ALT_COLUMNS = "ent_num, alt_num, alt_type, alt_name, alt_remarks"

_ADDRESS_LABEL = re.compile(
    r"Digital\s+Currency\s+Address\s*-\s*([A-Za-z0-9]+)(?:[ \t]+([^\s;]+))?", re.IGNORECASE
)
_SKIP_HINT = "; nothing imported (check the list, or import skipping rejected addresses)"
_LAYOUT = XmlLayout(
    root="sdnList",
    records={"sdnEntry": "sdnList"},
    keep=frozenset(
        {"uid", "firstName", "lastName", "sdnType", "programList", "program", "akaList", "aka"}
        | {"category", "idList", "id", "idType", "idNumber"}
    ),
    description="the OFAC SDN list XML",
)


@dataclass
class _Entry:
    """One SDN entry as both formats give it."""

    uid: str
    line: int
    name: str
    person: bool
    programs: frozenset[str]
    aliases: list[tuple[str, bool]] = field(default_factory=list)  # (name, weak)
    addresses: list[tuple[int, str, str | None]] = field(default_factory=list)  # line, code, addr


def read_ofac_sdn_csv(
    path: Path,
    alt_path: Path | None = None,
    programs: frozenset[str] | None = TERRORISM_PROGRAMS,
    *,
    rejected: list[ImportFormatError] | None = None,
) -> list[Indicator]:
    """Indicators from OFAC's sdn.csv (and alt.csv for aliases); all-or-nothing."""
    entries = _csv_entries(path)
    if alt_path is not None:
        _add_csv_aliases(entries, alt_path)
    return _indicators(entries.values(), programs, rejected)


def read_ofac_sdn_xml(
    path: Path,
    programs: frozenset[str] | None = TERRORISM_PROGRAMS,
    *,
    rejected: list[ImportFormatError] | None = None,
) -> list[Indicator]:
    """Indicators from OFAC's sdn.xml, whatever its namespace; all-or-nothing."""
    entries: list[_Entry] = []
    read_xml_records(path, _LAYOUT, lambda node: entries.append(_xml_entry(node)))
    return _indicators(entries, programs, rejected)


# --- CSV -------------------------------------------------------------------------------------


def decode_list_bytes(data: bytes) -> str:
    """Text of a list file: UTF-8 (BOM or not) when the bytes are valid UTF-8, else
    Windows-1252 (OFAC's historical encoding), else Latin-1, which maps every byte (cp1252
    leaves five byte values undefined). Never fails."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _csv_rows(path: Path, width: int, columns: str) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of each non-blank row, "-0-" turned into ""; checks the field count."""
    text = decode_list_bytes(read_limited(path, f"OFAC {path.name}"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            fields = [_field(value) for value in row]
            if not any(fields):  # blank line, or the DOS end-of-file mark OFAC appends
                continue
            if len(fields) != width:
                reason = f"{len(fields)} fields, expected {width} ({columns}) in {path.name}"
                raise ImportFormatError(reader.line_num, reason)
            yield reader.line_num, fields
    except csv.Error as exc:
        raise ImportFormatError(reader.line_num, f"bad CSV in {path.name} ({exc})") from exc


def _field(value: str) -> str:
    value = value.strip(" \t\r\n\x1a")
    return "" if value == "-0-" else value


def _csv_entries(path: Path) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    for line, fields in _csv_rows(path, 12, SDN_COLUMNS):
        uid, name, sdn_type, program = fields[:4]
        _check_uid(uid, line, path.name)
        if uid in entries:
            raise ImportFormatError(line, f"ent_num {uid} appears twice in {path.name}")
        if not name:
            raise ImportFormatError(line, f"ent_num {uid} has no SDN_Name in {path.name}")
        person = sdn_type.casefold() == "individual"
        entry = _Entry(uid, line, _reading_order(name, person), person, _programs(program))
        entry.addresses = _remark_addresses(fields[11], line)
        entries[uid] = entry
    return entries


def _add_csv_aliases(entries: dict[str, _Entry], alt_path: Path) -> None:
    for line, fields in _csv_rows(alt_path, 5, ALT_COLUMNS):
        uid, alt_name = fields[0], fields[3]
        _check_uid(uid, line, alt_path.name)
        entry = entries.get(uid)
        if entry is None:
            reason = (
                f"ent_num {uid} in {alt_path.name} is not in the SDN file: "
                "use sdn.csv and alt.csv from the same publication"
            )
            raise ImportFormatError(line, reason)
        if alt_name:
            entry.aliases.append((_reading_order(alt_name, entry.person), False))


def _check_uid(uid: str, line: int, filename: str) -> None:
    if not uid.isascii() or not uid.isdigit():
        reason = f"ent_num {uid[:40]!r} is not a number in {filename}: is this an OFAC file?"
        raise ImportFormatError(line, reason)


def _programs(value: str) -> frozenset[str]:
    """Program tags from "SDGT", "[SDGT]" or "SDGT] [IFSR" (brackets may be unbalanced)."""
    return frozenset(tag for part in re.split(r"[\[\]]", value) if (tag := clean_name(part)))


def _remark_addresses(remarks: str, line: int) -> list[tuple[int, str, str | None]]:
    found: list[tuple[int, str, str | None]] = []
    for match in _ADDRESS_LABEL.finditer(remarks):
        address = match.group(2).rstrip(".,)") if match.group(2) else None
        found.append((line, match.group(1).upper(), address))
    return found


def _reading_order(name: str, person: bool) -> str:
    """ "LAST, First" → "First LAST" for individuals; other names only blank-cleaned."""
    name = clean_name(name)
    if person and name.count(", ") == 1:
        last, first = name.split(", ")
        return f"{first} {last}"
    return name


# --- XML -------------------------------------------------------------------------------------


def _xml_entry(node: XmlNode) -> _Entry:
    uid = node.child_text("uid")
    _check_uid(uid, node.line, "the SDN XML")
    person = node.child_text("sdnType").casefold() == "individual"
    name = _xml_name(node)
    if not name:
        raise ImportFormatError(node.line, f"sdnEntry uid {uid} has no lastName")
    programs = frozenset(p.text for p in node.all("programList", "program") if p.text)
    entry = _Entry(uid, node.line, name, person, programs)
    for aka in node.all("akaList", "aka"):
        if alias := _xml_name(aka):
            entry.aliases.append((alias, aka.child_text("category").casefold() == "weak"))
    for id_node in node.all("idList", "id"):
        if match := _ADDRESS_LABEL.fullmatch(id_node.child_text("idType")):
            number = id_node.child_text("idNumber") or None
            entry.addresses.append((id_node.line, match.group(1).upper(), number))
    return entry


def _xml_name(node: XmlNode) -> str:
    return clean_name(f"{node.child_text('firstName')} {node.child_text('lastName')}")


# --- indicators ------------------------------------------------------------------------------


def _indicators(
    entries: Iterable[_Entry],
    programs: frozenset[str] | None,
    rejected: list[ImportFormatError] | None,
) -> list[Indicator]:
    out: list[Indicator] = []
    for entry in entries:
        found = _address_indicators(entry, rejected)
        if programs is None or entry.programs & programs:
            found = _name_indicators(entry) + found
        out.extend(dict.fromkeys(found))  # drop exact repeats, keep order
    return out


def _source(entry: _Entry) -> str:
    tags = ", ".join(sorted(entry.programs)) or "no program"
    return f"OFAC SDN List, entry {entry.uid} ({tags})"


def _name_indicators(entry: _Entry) -> list[Indicator]:
    base = PERSON_WEIGHT if entry.person else ENTITY_WEIGHT
    best: dict[str, float] = {entry.name: base}
    for alias, weak in entry.aliases:
        best[alias] = max(best.get(alias, 0.0), WEAK_ALIAS_WEIGHT if weak else base)
    kind = "person" if entry.person else "entity"
    return [
        _indicator(entry, name, kind, weight, guess_language(name), None)
        for name, weight in best.items()
    ]


def _address_indicators(entry: _Entry, rejected: list[ImportFormatError] | None) -> list[Indicator]:
    out = []
    for line, code, address in entry.addresses:
        try:
            chain, canonical = _checked_address(entry, line, code, address)
        except ImportFormatError as exc:
            if rejected is None:
                raise
            rejected.append(exc)
            continue
        out.append(_indicator(entry, canonical, "crypto_address", ADDRESS_WEIGHT, None, chain))
    return out


def _checked_address(entry: _Entry, line: int, code: str, address: str | None) -> tuple[str, str]:
    where = f"entry {entry.uid} ({entry.name[:60]})"
    chain = OFAC_CURRENCY_CODES.get(code)
    if chain is None:
        known = ", ".join(sorted(OFAC_CURRENCY_CODES))
        reason = f"{where}: unknown digital currency code {code!r} (known: {known}){_SKIP_HINT}"
        raise ImportFormatError(line, reason)
    if not address:
        reason = f"{where}: 'Digital Currency Address - {code}' without an address{_SKIP_HINT}"
        raise ImportFormatError(line, reason)
    try:
        return chain, canonical_address(chain, address)
    except ValueError as exc:
        raise ImportFormatError(line, f"{where}: bad {code} address: {exc}{_SKIP_HINT}") from exc


def _indicator(
    entry: _Entry, name: str, kind: str, weight: float, language: str | None, chain: str | None
) -> Indicator:
    return Indicator(
        name=name,
        kind=kind,
        entity=entry.name,
        language=language,
        source=_source(entry),
        weight=weight,
        reference=f"OFAC SDN {entry.uid}",
        chain=chain,
    )
