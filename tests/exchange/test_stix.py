from __future__ import annotations

import io
import json
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stix2

from raqib.errors import InputError
from raqib.exchange import stix
from raqib.exchange.formats import ListFormat, read_entries, write_entries
from raqib.records import BankInfo, EntryRecord, Labels, NewEntry
from raqib.signals import SignalRegistry
from raqib.signals.raw_text import raw_text_signals
from raqib.stixids import indicator_id
from raqib.store.banks import BankRepository
from raqib.store.db import Database

RANDOM = random.Random(6)
TEXT = "synthetic test post 17, a neutral placeholder paragraph for near-duplicate matching."
VPDQ = json.dumps([f"{RANDOM.getrandbits(256):064x},100,{i}.000" for i in range(3)])
WHEN = datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)


def _signals() -> list[tuple[str, str]]:
    text_signals = [(s.signal_type, s.value) for s in raw_text_signals(TEXT)]
    return [
        ("pdq", f"{RANDOM.getrandbits(256):064x}"),
        ("vpdq", VPDQ),
        ("md5", f"{RANDOM.getrandbits(128):032x}"),
        ("sha256", f"{RANDOM.getrandbits(256):064x}"),
        ("url", "https://example.org/a'b\\c/synthetic-17"),
        *text_signals,
    ]


def _bank(tlp: str = "green", allow_list: bool = False) -> BankInfo:
    return BankInfo(1, "bank-a", "", tlp, True, allow_list, True, {}, WHEN, 0)


def _records(registry: SignalRegistry, labels: Labels | None = None) -> list[EntryRecord]:
    labels = labels or Labels()
    records = []
    for number, (name, value) in enumerate(_signals(), start=1):
        normal = registry.get(name).normalize(value)
        records.append(EntryRecord(number, "bank-a", name, normal, labels, WHEN))
    return records


def test_every_signal_type_is_covered_and_parses_strictly(registry: SignalRegistry) -> None:
    records = _records(registry, Labels("Group X", ("recruitment",), 1, "unit-test", "a note"))
    assert {r.signal_type for r in records} == set(registry.names())
    objects = list(stix.bank_objects(_bank(), records))
    for obj in objects:
        stix2.parse(obj, allow_custom=False)
    types = [o["type"] for o in objects]
    assert types.count("indicator") == len(records)
    assert types.count("threat-actor") == 1  # deduplicated
    assert types.count("relationship") == len(records)
    assert types[:3] == ["identity", "extension-definition", "marking-definition"]


def test_indicator_fields(registry: SignalRegistry) -> None:
    md5 = next(r for r in _records(registry, Labels(tier=2, note="n")) if r.signal_type == "md5")
    indicator = stix.indicator_for(_bank("amber+strict"), md5)
    assert indicator["pattern"] == f"[file:hashes.'MD5' = '{md5.value}']"
    assert indicator["id"] == stix.indicator_for(_bank(), md5)["id"]  # deterministic
    assert indicator["id"].startswith("indicator--")
    assert indicator["created"] == indicator["modified"] == "2026-03-04T05:06:07.891Z"
    assert indicator["object_marking_refs"] == [
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    ]
    assert indicator["created_by_ref"] == stix.identity()["id"]
    assert indicator["labels"] == ["tier-2"] and indicator["description"] == "n"
    assert indicator["indicator_types"] == ["malicious-activity"]
    naive = EntryRecord(9, "bank-a", "md5", md5.value, Labels(), WHEN.replace(tzinfo=None))
    assert stix.indicator_for(_bank(), naive)["created"] == "2026-03-04T05:06:07.891Z"


def test_url_pattern_escapes_quotes_and_backslashes(registry: SignalRegistry) -> None:
    url = next(r for r in _records(registry) if r.signal_type == "url")
    pattern = stix.indicator_for(_bank(), url)["pattern"]
    assert "a\\'b\\\\c" in pattern
    assert stix.parse_pattern(pattern) == ("url", url.value)


@pytest.mark.parametrize(
    ("level", "marking_id"),
    [
        ("clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"),
        ("green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
        ("amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
        ("amber+strict", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
        ("red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"),
    ],
)
def test_tlp2_markings_are_the_official_objects(level: str, marking_id: str) -> None:
    marking = stix.tlp_marking(level)
    assert marking["id"] == marking_id and marking["name"] == f"TLP:{level.upper()}"
    ext = marking["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]
    assert ext["tlp_2_0"] == level
    stix2.parse(marking, allow_custom=False)


def test_extension_definition_parses() -> None:
    definition = stix.extension_definition()
    stix2.parse(definition, allow_custom=False)
    assert definition["id"] == stix.EXTENSION_ID and definition["version"] == "1.0"
    assert "docs/stix.md" in definition["schema"]


def test_round_trip_gives_the_same_entries(registry: SignalRegistry) -> None:
    labels = Labels("Group X", ("propaganda", "recruitment"), 1, "unit-test", "a note, quoted '")
    records = _records(registry, labels)
    bundle = json.loads(json.dumps(stix.bank_bundle(_bank(), records)))
    imported = stix.import_objects(bundle["objects"], registry)
    assert imported.skipped == 0
    bank = _bank().name
    assert imported.entries == [
        NewEntry(r.signal_type, r.value, r.labels, indicator_id(bank, r.signal_type, r.value))
        for r in records
    ]


def test_a_revoked_version_removes_instead_of_adding(registry: SignalRegistry) -> None:
    records = _records(registry, Labels())
    objects = json.loads(json.dumps(stix.bank_bundle(_bank(), records)))["objects"]
    first = next(o for o in objects if o["type"] == "indicator")
    revoked = first | {"revoked": True, "modified": "2031-01-01T00:00:00.000Z"}
    stix2.parse(revoked, allow_custom=False)
    imported = stix.import_objects([*objects, revoked], registry)
    assert [e.stix_id for e in imported.revoked] == [first["id"]]
    assert first["id"] not in {e.stix_id for e in imported.entries}
    assert len(imported.entries) == len(records) - 1


def test_plain_stix_indicators_are_read_from_patterns(registry: SignalRegistry) -> None:
    md5 = f"{RANDOM.getrandbits(128):032x}"
    sha = f"{RANDOM.getrandbits(256):064x}"
    actor = stix2.ThreatActor(name="Group Y")
    plain = [
        stix2.Indicator(pattern=f"[file:hashes.MD5 = '{md5.upper()}']", pattern_type="stix"),
        stix2.Indicator(pattern=f"[file:hashes.'SHA-256' = '{sha}']", pattern_type="stix"),
        stix2.Indicator(pattern="[url:value = 'https://example.org/p']", pattern_type="stix"),
        stix2.Indicator(pattern="[ipv4-addr:value = '198.51.100.7']", pattern_type="stix"),
        stix2.Indicator(pattern="[file:name = 'a'] AND [file:size = 3]", pattern_type="stix"),
        stix2.Indicator(pattern="[file:hashes.'PDQ' = 'not-hex']", pattern_type="stix"),
        actor,
    ]
    plain.append(stix2.Relationship(plain[0], "indicates", actor))
    objects: list[dict[str, Any]] = [json.loads(o.serialize()) for o in plain]
    imported = stix.import_objects(objects, registry)
    assert imported.skipped == 3
    assert [(e.signal_type, e.value, e.labels.entity) for e in imported.entries] == [
        ("md5", md5, "Group Y"),
        ("sha256", sha, ""),
        ("url", registry.get("url").normalize("https://example.org/p"), ""),
    ]


def test_unknown_tlp_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown TLP"):
        stix.tlp_marking("purple")


def test_bank_export_and_import_through_the_database(
    database: Database, registry: SignalRegistry, tmp_path: Path
) -> None:
    labels = Labels("Group X", ("recruitment",), 2, "unit-test", "synthetic")
    wanted = [NewEntry(r.signal_type, r.value, labels) for r in _records(registry)]
    with database.session(write=True) as session:
        repository = BankRepository(session)
        bank = repository.create("source-bank", tlp="amber")
        repository.add_entries("source-bank", wanted)
        bundle = stix.bank_bundle(bank, repository.entries("source-bank"))
    path = tmp_path / "bank.stix"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    entries = read_entries(path, ListFormat.STIX, registry)
    minted = [
        replace(e, stix_id=indicator_id("source-bank", e.signal_type, e.value)) for e in wanted
    ]
    assert sorted(entries, key=repr) == sorted(minted, key=repr)
    with database.session(write=True) as session:
        repository = BankRepository(session)
        repository.create("copy-bank", tlp="amber")
        repository.add_entries("copy-bank", entries)
        copied = {
            (e.signal_type, e.value, e.labels, e.stix_id) for e in repository.entries("copy-bank")
        }
    # the copy keeps each indicator's id: the same object, shared on
    assert copied == {(e.signal_type, e.value, e.labels, e.stix_id) for e in minted}


def test_cli_export_and_import_stix(cli: Any, tmp_path: Path) -> None:
    md5 = f"{RANDOM.getrandbits(128):032x}"
    pdq = f"{RANDOM.getrandbits(256):064x}"
    assert cli("bank", "create", "cli-a", "--tlp", "clear").code == 0
    assert (
        cli("bank", "add", "cli-a", "-s", f"md5 {md5}", "-l", "entity=Group Z", "-l", "tier=1").code
        == 0
    )
    assert cli("bank", "add", "cli-a", "-s", f"pdq {pdq}").code == 0
    exported = cli("bank", "export", "cli-a", "--format", "stix")
    assert exported.code == 0, exported.stderr
    bundle = json.loads(exported.stdout)
    assert bundle["type"] == "bundle"
    for obj in bundle["objects"]:
        stix2.parse(obj, allow_custom=False)
    assert stix.tlp_marking("clear")["id"] in {o["id"] for o in bundle["objects"]}
    path = tmp_path / "a.json"
    path.write_text(exported.stdout, encoding="utf-8")
    assert cli("bank", "create", "cli-b").code == 0
    imported = cli("bank", "import", "cli-b", path, "--format", "stix")
    assert imported.code == 0, imported.stderr
    again = cli("bank", "export", "cli-b", "--format", "csv").stdout
    assert f"md5,{md5},Group Z,,1,," in again and f"pdq,{pdq}," in again


def test_streamed_export_equals_the_bundle_and_defaults_to_red(registry: SignalRegistry) -> None:
    records = _records(registry, Labels(entity="Group X"))
    buffer = io.StringIO()
    assert write_entries(records, ListFormat.STIX, buffer, _bank("clear")) == len(records)
    assert json.loads(buffer.getvalue()) == stix.bank_bundle(_bank("clear"), records)
    unknown = io.StringIO()
    write_entries(records, ListFormat.STIX, unknown)
    markings = {o["id"] for o in json.loads(unknown.getvalue())["objects"]}
    assert stix.tlp_marking("red")["id"] in markings
    assert stix.tlp_marking("clear")["id"] not in markings
