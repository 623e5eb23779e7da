"""MISP event and Tech Against Terrorism hash-list exports: their shape, TLP handling, and
reading them back into the same entries (through `raqib bank export/import`)."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from raqib import banking
from raqib.errors import ImportFormatError, InputError
from raqib.exchange import tat
from raqib.exchange.formats import ListFormat, read_entries, write_entries
from raqib.records import BankInfo, EntryRecord, Labels, NewEntry
from raqib.signals import SignalRegistry
from raqib.signals.raw_text import raw_text_signals
from raqib.stixids import indicator_id
from raqib.store.banks import BankRepository
from raqib.store.db import Database

RNG = random.Random(44)
WHEN = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
TEXT = "synthetic placeholder paragraph 9: the library extends its opening hours in winter."
VPDQ = json.dumps([f"{RNG.getrandbits(256):064x},100,{i}.000" for i in range(3)])
LABELS = [
    Labels('Placeholder "Group" \\ A', ("behaviour-a", "behaviour-b"), 1, "unit-test", "a note"),
    Labels("", (), None, "", ""),
    Labels("Placeholder Group B", ("behaviour-c",), 4, "", "line one\nline two"),
]


def _signals() -> list[tuple[str, str]]:
    return [
        ("pdq", f"{RNG.getrandbits(256):064x}"),
        ("pdq", f"{RNG.getrandbits(256):064x}"),
        ("vpdq", VPDQ),
        ("md5", f"{RNG.getrandbits(128):032x}"),
        ("sha256", f"{RNG.getrandbits(256):064x}"),
        ("url", "https://example.org/a'b\\c/synthetic-9"),
        *((s.signal_type, s.value) for s in raw_text_signals(TEXT)),
    ]


def _new_entries(registry: SignalRegistry) -> list[NewEntry]:
    return [
        NewEntry(name, registry.get(name).normalize(value), LABELS[number % len(LABELS)])
        for number, (name, value) in enumerate(_signals())
    ]


def _bank(tlp: str = "amber", allow_list: bool = False) -> BankInfo:
    return BankInfo(3, "bank-m", "synthetic test bank", tlp, True, allow_list, True, {}, WHEN)


def _records(registry: SignalRegistry) -> list[EntryRecord]:
    return [
        EntryRecord(
            number,
            "bank-m",
            e.signal_type,
            e.value,
            e.labels,
            WHEN,
            indicator_id("bank-m", e.signal_type, e.value),
        )
        for number, e in enumerate(_new_entries(registry), start=1)
    ]


def _event(records: list[EntryRecord], bank: BankInfo) -> dict[str, Any]:
    out = io.StringIO()
    assert write_entries(records, ListFormat.MISP, out, bank) == len(records)
    document = json.loads(out.getvalue())
    assert set(document) == {"Event"}
    event: dict[str, Any] = document["Event"]
    return event


def _stored(database: Database, bank: str) -> set[tuple[str, str, Labels, str]]:
    with database.session() as session:
        return {
            (e.signal_type, e.value, e.labels, e.stix_id)
            for e in BankRepository(session).entries(bank)
        }


def test_misp_and_tat_exports_read_back_through_the_cli(
    cli: Any, database: Database, registry: SignalRegistry
) -> None:
    with database.session(write=True) as session:
        banking.create_bank(session, "test", "source-bank", "", "green", False)
        banking.add_to_bank(session, "test", "source-bank", _new_entries(registry))
        banking.create_bank(session, "test", "from-misp", "", "amber", False)
        banking.create_bank(session, "test", "from-tat", "", "amber", False)

    exported = cli("bank", "export", "source-bank", "--format", "misp", "-o", "event.json")
    assert exported.code == 0, exported.stderr
    imported = cli("bank", "import", "from-misp", "event.json", "--format", "misp", "--json")
    assert imported.code == 0, imported.stderr
    assert json.loads(imported.stdout)["added"] == len(_signals())
    # Same signals, labels and STIX indicator ids (MISP attribute uuid = indicator uuid).
    assert _stored(database, "from-misp") == _stored(database, "source-bank")

    listing = cli("bank", "export", "source-bank", "--format", "tat", "-o", "tat.csv")
    assert listing.code == 0, listing.stderr
    entries = read_entries(cli.cwd / "tat.csv", ListFormat.TAT, registry)
    with database.session(write=True) as session:
        banking.add_to_bank(session, "test", "from-tat", entries)
    wanted = {(t, v, lab) for t, v, lab, _ in _stored(database, "source-bank")}
    assert {(t, v, lab) for t, v, lab, _ in _stored(database, "from-tat")} == wanted


@pytest.mark.parametrize(
    ("tlp", "distribution"), [("clear", "3"), ("green", "2"), ("amber", "1"), ("amber+strict", "0")]
)
def test_misp_event_follows_the_core_format(
    registry: SignalRegistry, tlp: str, distribution: str
) -> None:
    records = _records(registry)
    event = _event(records, _bank(tlp))
    assert event["distribution"] == distribution
    assert event["info"] == "Raqib bank bank-m: synthetic test bank"
    assert (event["date"], event["threat_level_id"], event["analysis"]) == ("2026-02-03", "4", "2")
    assert event["attribute_count"] == str(len(records))
    assert event["timestamp"] == str(int(WHEN.timestamp()))
    assert event["published"] is False and event["sharing_group_id"] == "0"
    tags = [t["name"] for t in event["Tag"]]
    assert tags[0] == f"tlp:{tlp}"
    assert 'raqib:entity="Placeholder \\"Group\\" \\\\ A"' in tags
    by_type = {a["value"]: a for a in event["Attribute"]}
    for record in records:
        attribute = by_type[record.value]
        kind = {"md5": "md5", "sha256": "sha256", "url": "url"}.get(record.signal_type, "other")
        assert attribute["type"] == kind
        category = "Network activity" if kind == "url" else "Payload delivery"
        assert attribute["category"] == category
        assert attribute["uuid"] == record.stix_id.partition("--")[2]
        assert attribute["to_ids"] is True and attribute["distribution"] == "5"
        signal_tag = {"name": f'raqib:signal-type="{record.signal_type}"'}
        assert signal_tag in attribute["Tag"]
        note = record.labels.note or f"Raqib {record.signal_type} signal"
        assert attribute["comment"] == note
    assert _event(records, _bank(tlp)) == event  # deterministic


def test_allow_list_attributes_are_not_for_detection(registry: SignalRegistry) -> None:
    event = _event(_records(registry), _bank("green", allow_list=True))
    assert {a["to_ids"] for a in event["Attribute"]} == {False}


@pytest.mark.parametrize("fmt", [ListFormat.MISP, ListFormat.TAT])
def test_tlp_red_never_leaves(registry: SignalRegistry, fmt: ListFormat) -> None:
    out = io.StringIO()
    with pytest.raises(InputError, match="TLP:RED"):
        write_entries(_records(registry), fmt, out, _bank("red"))
    assert out.getvalue() == ""


def test_entries_without_their_bank_stay_in_the_organisation(registry: SignalRegistry) -> None:
    out = io.StringIO()
    write_entries(_records(registry), ListFormat.MISP, out)
    event = json.loads(out.getvalue())["Event"]
    assert event["distribution"] == "0"
    assert not [t for t in event["Tag"] if t["name"].startswith("tlp:")]


def test_reads_an_event_as_a_misp_instance_writes_it(
    tmp_path: Path, registry: SignalRegistry
) -> None:
    md5, sha = f"{RNG.getrandbits(128):032x}", f"{RNG.getrandbits(256):064x}"
    attribute_uuid = "5d2c3a1e-0b4f-4c7e-9a21-3f2e1d0c9b8a"
    event = {
        "uuid": "0f0e0d0c-0b0a-4909-8807-060504030201",
        "info": "synthetic test event",
        "Attribute": [
            {
                "type": "md5",
                "category": "Payload delivery",
                "value": md5.upper(),
                "uuid": attribute_uuid,
                "comment": "seen in a test",
                "Tag": [{"name": 'misp-galaxy:threat-actor="Placeholder Actor"'}],
            },
            {"type": "ip-dst", "category": "Network activity", "value": "192.0.2.1"},
            {"type": "md5", "value": f"{RNG.getrandbits(128):032x}", "deleted": True},
            {"type": "filename|sha256", "value": f"report.pdf|{sha}"},
        ],
        "Object": [{"Attribute": [{"type": "url", "value": "HTTP://Example.NET/p?utm_x=1"}]}],
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"response": [{"Event": event}]}), encoding="utf-8")
    entries = read_entries(path, ListFormat.MISP, registry)
    assert [(e.signal_type, e.value) for e in entries] == [
        ("md5", md5),
        ("sha256", sha),
        ("url", "http://example.net/p"),
    ]
    assert entries[0].labels == Labels("Placeholder Actor", (), None, "", "seen in a test")
    assert entries[0].stix_id == f"indicator--{attribute_uuid}"

    event["Attribute"][0]["value"] = "not-a-hash"
    path.write_text(json.dumps({"Event": event}), encoding="utf-8")
    with pytest.raises(InputError, match=f"MISP attribute 1 {attribute_uuid}"):
        read_entries(path, ListFormat.MISP, registry)
    path.write_text(json.dumps({"Event": "nothing"}), encoding="utf-8")
    with pytest.raises(InputError, match="want a MISP event"):
        read_entries(path, ListFormat.MISP, registry)


def test_tat_csv_has_the_hash_list_fields(registry: SignalRegistry) -> None:
    records = _records(registry)
    out = io.StringIO()
    written = write_entries(records, ListFormat.TAT, out, _bank())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert written == len(rows) == len(records)
    assert tuple(rows[0]) == tat.FIELDS
    assert tat.FIELDS[:8] == (
        "id",
        "hash_digest",
        "algorithm",
        "ideology",
        "file_type",
        "deleted",
        "created_on",
        "updated_on",
    )
    kept = {r.value: r for r in records}
    for row in rows:
        record = kept[row["hash_digest"]]
        names = {"pdq": "PDQ", "md5": "MD5", "sha256": "SHA256"}  # TAT's own names
        assert row["algorithm"] == names.get(record.signal_type, record.signal_type.upper())
        assert row["id"] == str(record.id) and row["deleted"] == "false"
        assert datetime.fromisoformat(row["created_on"]) == WHEN
        assert float(row["updated_on"]) == WHEN.timestamp()
        assert row["entity"] == record.labels.entity


def test_tat_export_streams(registry: SignalRegistry) -> None:
    def many() -> Iterator[EntryRecord]:
        for number in range(20_000):
            yield EntryRecord(number, "bank-m", "pdq", f"{number:064x}", Labels(), WHEN)

    out = io.StringIO()
    assert tat.write_tat(_bank(), many(), out) == 20_000
    assert out.getvalue().count("\n") == 20_001


def test_tat_import_skips_deleted_rows_and_unknown_algorithms(
    tmp_path: Path, registry: SignalRegistry
) -> None:
    pdq, gone = f"{RNG.getrandbits(256):064x}", f"{RNG.getrandbits(256):064x}"
    text = (
        "hash_digest,algorithm,deleted,ideology\n"
        f"{pdq.upper()},pdq,false,all\n"
        f"{gone},PDQ,true,all\n"
        "placeholder-tmk,TMK,false,all\n"
    )
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    assert [(e.signal_type, e.value) for e in read_entries(path, ListFormat.TAT, registry)] == [
        ("pdq", pdq)
    ]
    path.write_text(text + "zz,MD5,false,all\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="line 5"):
        read_entries(path, ListFormat.TAT, registry)
    path.write_text("hash,algo\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="hash_digest"):
        read_entries(path, ListFormat.TAT, registry)
