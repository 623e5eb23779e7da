"""STIX 2.1 mapping of banks: entries as `indicator` objects, and back (see docs/stix.md).

Every object is a plain JSON-ready dict that parses with `stix2.parse(obj, allow_custom=False)`.
Ids are deterministic (uuid5 under RAQIB_NAMESPACE), so exporting a bank twice, or from two
instances, yields the same objects. md5, sha256 and url are standard STIX patterns; the other
signal types use open-vocabulary hash names in `file:hashes` and carry the exact Raqib signal
and labels in a property extension defined by `extension_definition()`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from raqib.errors import InputError
from raqib.records import BankInfo, EntryRecord, Labels, NewEntry, check_tlp
from raqib.signals import SignalRegistry
from raqib.stixids import RAQIB_NAMESPACE as RAQIB_NAMESPACE
from raqib.stixids import indicator_id as indicator_id
from raqib.stixids import stix_id

EXTENSION_ID = "extension-definition--0b6c5d3e-9a4f-4c7e-8b21-5f3d2e1a9c47"
# The extension's normative definition, as plain text (STIX allows a URL or text): this project has
# no public address yet.
EXTENSION_SCHEMA = (
    "Raqib signal property extension 1.0: see docs/stix.md in the Raqib source distribution"
)
EXTENSION_VERSION = "1.0"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # created/modified of Raqib's fixed objects
IDENTITY_ID = "identity--" + str(uuid.uuid5(RAQIB_NAMESPACE, "identity|Raqib"))

# TLP 2.0 marking definitions as published by OASIS (cti-stix-common-objects, tlp-2.0).
TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# Signal type -> (object path, hash name or None for url:value).
PATTERN_KEYS: dict[str, str] = {
    "md5": "MD5",
    "sha256": "SHA-256",
    "pdq": "PDQ",
    "vpdq": "vPDQ",
    "text_sha256": "raqib-text-sha256",
    "text_minhash": "raqib-text-minhash",
}
_HASH_NAMES = {name.lower(): signal for signal, name in PATTERN_KEYS.items()}
_HASH_NAMES.update({"sha256": "sha256", "sha_256": "sha256"})
_STRING = r"'((?:[^'\\]|\\.)*)'"
_PATTERN = re.compile(
    r"^\s*\[\s*(?:file:hashes\.(?:'([^']+)'|([A-Za-z0-9_-]+))|(url:value))\s*=\s*"
    + _STRING
    + r"\s*\]\s*$",
    re.DOTALL,
)


def stix_time(moment: datetime) -> str:
    """A STIX timestamp (UTC, millisecond precision); naive datetimes are read as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_id = stix_id


def threat_actor_id(name: str) -> str:
    return _id("threat-actor", f"threat-actor|{name}")


def identity() -> dict[str, Any]:
    """Raqib's identity: the created_by_ref of everything it emits."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": IDENTITY_ID,
        "created": stix_time(EPOCH),
        "modified": stix_time(EPOCH),
        "name": "Raqib",
        "identity_class": "system",
    }


def extension_definition() -> dict[str, Any]:
    """The extension-definition SDO of Raqib's signal property extension."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": IDENTITY_ID,
        "created": stix_time(EPOCH),
        "modified": stix_time(EPOCH),
        "name": "Raqib signal",
        "description": "The exact Raqib signal (type and canonical value) and labels of an "
        "indicator, for perceptual and text hashes STIX patterns cannot match on.",
        "schema": EXTENSION_SCHEMA,
        "version": EXTENSION_VERSION,
        "extension_types": ["property-extension"],
    }


def tlp_marking(level: str) -> dict[str, Any]:
    """The official TLP 2.0 marking-definition for a level (clear ... red)."""
    try:
        tlp = check_tlp(level)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[tlp],
        "created": TLP2_CREATED,
        "name": f"TLP:{tlp.upper()}",
        "extensions": {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp}},
    }


def pattern_for(signal_type: str, value: str) -> str:
    """The STIX pattern of a signal (quotes and backslashes escaped)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    if signal_type == "url":
        return f"[url:value = '{escaped}']"
    try:
        name = PATTERN_KEYS[signal_type]
    except KeyError:
        raise InputError(f"signal type {signal_type!r} has no STIX mapping") from None
    return f"[file:hashes.'{name}' = '{escaped}']"


def indicator_for(bank: BankInfo, entry: EntryRecord) -> dict[str, Any]:
    """The indicator of one bank entry, marked with the bank's TLP."""
    labels = entry.labels
    when = stix_time(entry.added_at)
    indicator: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": entry.stix_id or indicator_id(bank.name, entry.signal_type, entry.value),
        "created_by_ref": IDENTITY_ID,
        "created": when,
        "modified": when,
        "name": f"{entry.signal_type} signal in bank {bank.name}",
        "indicator_types": ["benign" if bank.allow_list else "malicious-activity"],
        "pattern": pattern_for(entry.signal_type, entry.value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": when,
        "object_marking_refs": [TLP2_IDS[check_tlp(bank.tlp)]],
        "extensions": {
            EXTENSION_ID: {
                "extension_type": "property-extension",
                "signal_type": entry.signal_type,
                "signal": entry.value,
                "labels": labels.as_dict(),
            }
        },
    }
    tags = [*labels.behaviours, *([f"tier-{labels.tier}"] if labels.tier else [])]
    if tags:
        indicator["labels"] = tags
    if labels.note:
        indicator["description"] = labels.note
    return indicator


def threat_actor(name: str) -> dict[str, Any]:
    """The threat-actor of an entity label (id from the name alone)."""
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": threat_actor_id(name),
        "created_by_ref": IDENTITY_ID,
        "created": stix_time(EPOCH),
        "modified": stix_time(EPOCH),
        "name": name,
    }


def relationship(indicator: dict[str, Any], actor_id: str) -> dict[str, Any]:
    """`indicator indicates threat-actor`, with the indicator's time and marking."""
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": _id("relationship", f"relationship|{indicator['id']}|indicates|{actor_id}"),
        "created_by_ref": IDENTITY_ID,
        "created": indicator["created"],
        "modified": indicator["modified"],
        "relationship_type": "indicates",
        "source_ref": indicator["id"],
        "target_ref": actor_id,
        "object_marking_refs": indicator["object_marking_refs"],
    }


def common_objects(bank: BankInfo) -> list[dict[str, Any]]:
    """The objects every export refers to: identity, extension definition, TLP marking."""
    return [identity(), extension_definition(), tlp_marking(bank.tlp)]


def bank_objects(
    bank: BankInfo, entries: Iterable[EntryRecord], common: bool = True
) -> Iterator[dict[str, Any]]:
    """A bank's objects, streamed: the common objects (unless common=False), then per entry its
    indicator and, for an entity label, the threat-actor (once per call) and relationship."""
    if common:
        yield from common_objects(bank)
    actors: set[str] = set()
    for entry in entries:
        indicator = indicator_for(bank, entry)
        yield indicator
        entity = entry.labels.entity
        if entity:
            actor_id = threat_actor_id(entity)
            if actor_id not in actors:
                actors.add(actor_id)
                yield threat_actor(entity)
            yield relationship(indicator, actor_id)


def bundle_id(bank: BankInfo) -> str:
    """A bank's bundle id (deterministic from the bank name)."""
    return _id("bundle", f"bundle|{bank.name}")


def bank_bundle(bank: BankInfo, entries: Iterable[EntryRecord]) -> dict[str, Any]:
    """A STIX bundle of a bank, in memory (formats.write_entries streams one instead)."""
    return {
        "type": "bundle",
        "id": bundle_id(bank),
        "objects": list(bank_objects(bank, entries)),
    }


@dataclass(frozen=True)
class StixImport:
    """What a STIX import yields: the entries to add, how many indicators were skipped, and the
    signals of revoked indicators (to remove)."""

    entries: list[NewEntry]
    skipped: int
    revoked: list[NewEntry] = field(default_factory=list)


def import_objects(objects: Iterable[dict[str, Any]], registry: SignalRegistry) -> StixImport:
    """Entries from STIX objects: the Raqib extension gives back the exact signal and labels;
    plain md5/sha256/url (and Raqib hash-name) patterns are read from the pattern, with the
    entity from an `indicates` relationship to a threat-actor. Other indicators are skipped."""
    items = [obj for obj in objects if isinstance(obj, dict)]
    actors = {o["id"]: o.get("name", "") for o in items if o.get("type") == "threat-actor"}
    entity_of = {
        o.get("source_ref"): actors[o["target_ref"]]
        for o in items
        if o.get("type") == "relationship"
        and o.get("relationship_type") == "indicates"
        and o.get("target_ref") in actors
    }
    entries: dict[tuple[str, str], NewEntry] = {}
    revoked: dict[tuple[str, str], NewEntry] = {}
    skipped = 0
    for obj in _latest_versions(items):
        entry = _entry(obj, registry, str(entity_of.get(obj.get("id"), "")))
        if entry is None:
            skipped += 1
        elif obj.get("revoked") is True:
            revoked.setdefault((entry.signal_type, entry.value), entry)
        else:
            entries.setdefault((entry.signal_type, entry.value), entry)
    for key in revoked:
        entries.pop(key, None)
    return StixImport(list(entries.values()), skipped, list(revoked.values()))


def _latest_versions(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The indicators, one per id: the version modified last (a revocation wins a tie)."""
    latest: dict[str, dict[str, Any]] = {}
    for obj in items:
        if obj.get("type") != "indicator":
            continue
        key = str(obj.get("id"))
        held = latest.get(key)
        if held is None or _version_key(obj) >= _version_key(held):
            latest[key] = obj
    return list(latest.values())


def _version_key(obj: dict[str, Any]) -> tuple[str, bool]:
    return str(obj.get("modified") or obj.get("created") or ""), obj.get("revoked") is True


def objects_to_entries(
    objects: Iterable[dict[str, Any]], registry: SignalRegistry
) -> list[NewEntry]:
    """The entries of STIX objects (see import_objects; skipped indicators are dropped)."""
    return import_objects(objects, registry).entries


def _entry(obj: dict[str, Any], registry: SignalRegistry, entity: str) -> NewEntry | None:
    extension = (obj.get("extensions") or {}).get(EXTENSION_ID)
    try:
        if isinstance(extension, dict):
            signal_type = registry.get(str(extension.get("signal_type", "")))
            labels = Labels.from_mapping(dict(extension.get("labels") or {}))
            value = signal_type.normalize(str(extension.get("signal", "")))
            return NewEntry(signal_type.name, value, labels, _indicator_id(obj))
        parsed = parse_pattern(str(obj.get("pattern", "")))
        if parsed is None or obj.get("pattern_type", "stix") != "stix":
            return None
        signal_type = registry.get(parsed[0])
        value = signal_type.normalize(parsed[1])
        return NewEntry(signal_type.name, value, Labels(entity=entity.strip()), _indicator_id(obj))
    except (ValueError, InputError, TypeError):
        return None


def _indicator_id(obj: dict[str, Any]) -> str:
    """The indicator's own id, kept so the entry is the same object wherever it is shared."""
    found = obj.get("id")
    return found if isinstance(found, str) and found.startswith("indicator--") else ""


def parse_pattern(pattern: str) -> tuple[str, str] | None:
    """(signal_type, value) of a single-comparison hash or url pattern, else None."""
    match = _PATTERN.match(pattern)
    if match is None:
        return None
    quoted, bare, url, raw = match.groups()
    value = re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL)
    if url:
        return "url", value
    signal_type = _HASH_NAMES.get((quoted or bare).lower())
    return None if signal_type is None else (signal_type, value)
