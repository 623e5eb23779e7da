"""MISP core format: a bank as one MISP event, and MISP events back into entries.

Written per draft-dulaunoy-misp-core-format: `{"Event": {uuid, info, date, threat_level_id,
analysis, distribution, published, Orgc, Attribute: [...], Tag: [...], timestamp,
attribute_count}}`. The event is streamed attribute by attribute (memory stays flat); the keys
that depend on every entry (Tag, timestamp, attribute_count) come after the attributes, which
JSON allows. TLP sets the distribution; TLP:RED is never exported (entries whose bank is not
known get the narrowest distribution and no TLP tag). See docs/exchanges.md.

Attributes: md5 and sha256 as `md5`/`sha256` ("Payload delivery"), url as `url` ("Network
activity"); pdq, vpdq, text_sha256 and text_minhash have no MISP type, so they are `other`
("Payload delivery") with a comment naming the signal type. Every attribute carries machine
tags `raqib:signal-type="..."` plus its labels (`raqib:entity`, `raqib:behaviour`,
`raqib:tier`, `raqib:source`), so importing the event gives back the same entries. Attribute
uuids are the uuids of the entries' STIX indicator ids, as MISP's own STIX export pairs them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from raqib.errors import InputError
from raqib.records import BankInfo, EntryRecord, Labels, NewEntry, check_tlp
from raqib.signals import SignalRegistry
from raqib.stixids import RAQIB_NAMESPACE, indicator_id

# TLP 2.0 -> MISP distribution: 3 all communities, 2 connected communities, 1 this community
# only, 0 your organisation only. TLP:RED has no MISP counterpart that keeps it with its owner.
DISTRIBUTION = {"clear": "3", "green": "2", "amber": "1", "amber+strict": "0"}
ORGANISATION_ONLY = "0"
INHERIT_EVENT = "5"
THREAT_LEVEL_UNDEFINED = "4"
ANALYSIS_COMPLETE = "2"
ORG = {"name": "Raqib", "uuid": str(uuid.uuid5(RAQIB_NAMESPACE, "misp-org|Raqib"))}
# Raqib signal type -> (MISP attribute type, category); the rest are OTHER.
ATTRIBUTE_TYPES = {
    "md5": ("md5", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"),
    "url": ("url", "Network activity"),
}
OTHER = ("other", "Payload delivery")
# MISP attribute types read back without a raqib:signal-type tag.
IMPORT_TYPES = {"md5": "md5", "sha256": "sha256", "url": "url", "uri": "url"}
MAX_EVENT_TAGS = 1000  # distinct entity tags repeated on the event; attributes carry them all
INFO_CHARS = 256
_TAG = re.compile(r'^raqib:([a-z-]+)="((?:[^"\\]|\\.)*)"$', re.DOTALL)
_GALAXY_ACTOR = re.compile(r'^misp-galaxy:threat-actor="((?:[^"\\]|\\.)*)"$', re.DOTALL)


def distribution(tlp: str, what: str) -> str:
    """The MISP distribution of a TLP level; TLP:RED is refused (`what` names the source)."""
    level = check_tlp(tlp)
    if level == "red":
        raise InputError(
            f"{what} is TLP:RED, which never leaves its owner: nothing was exported to MISP "
            "(lower the TLP with `raqib bank update NAME --tlp amber` if it may be shared)"
        )
    return DISTRIBUTION[level]


def machine_tag(predicate: str, value: object) -> dict[str, str]:
    """A MISP tag `raqib:<predicate>="<value>"` (quotes and backslashes escaped)."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return {"name": f'raqib:{predicate}="{text}"'}


def tlp_tag(tlp: str) -> dict[str, str]:
    return {"name": f"tlp:{check_tlp(tlp)}"}


def unix(moment: datetime) -> str:
    """A MISP timestamp: Unix seconds as a string (naive datetimes are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(int(moment.timestamp()))


def uuid_of(stix_id: str) -> str:
    """The uuid part of a STIX id (`indicator--<uuid>`)."""
    return stix_id.partition("--")[2]


def event_uuid(name: str) -> str:
    return str(uuid.uuid5(RAQIB_NAMESPACE, f"misp-event|{name}"))


def event_header(
    uuid_text: str, info: str, date: str, tlp: str | None, what: str
) -> dict[str, Any]:
    """The event keys written before its attributes; with no TLP known, the distribution is
    the narrowest: your organisation only."""
    return {
        "uuid": uuid_text,
        "info": " ".join(info.split())[:INFO_CHARS],
        "date": date,
        "threat_level_id": THREAT_LEVEL_UNDEFINED,
        "analysis": ANALYSIS_COMPLETE,
        "distribution": ORGANISATION_ONLY if tlp is None else distribution(tlp, what),
        "sharing_group_id": "0",
        "published": False,
        "publish_timestamp": "0",
        "Orgc": ORG,
    }


class EventWriter:
    """Streams one `{"Event": ...}` document: header, attributes one by one, then the tags,
    timestamp and attribute count."""

    def __init__(self, out: TextIO, header: dict[str, Any], tags: list[dict[str, str]]) -> None:
        self.out, self.tags, self.count, self.newest = out, tags, 0, 0
        self._tag_names = {t["name"] for t in tags}
        out.write('{"Event": {' + json.dumps(header, ensure_ascii=False)[1:-1] + ', "Attribute": [')

    def add(self, attribute: dict[str, Any], event_tags: Iterable[dict[str, str]] = ()) -> None:
        self.out.write(("\n" if self.count == 0 else ",\n") + json.dumps(attribute))
        self.count += 1
        self.newest = max(self.newest, int(attribute.get("timestamp") or 0))
        for tag in event_tags:
            if tag["name"] not in self._tag_names and len(self._tag_names) < MAX_EVENT_TAGS:
                self._tag_names.add(tag["name"])
                self.tags.append(tag)

    def close(self) -> int:
        tail = {"Tag": self.tags, "timestamp": str(self.newest), "attribute_count": str(self.count)}
        self.out.write("\n], " + json.dumps(tail, ensure_ascii=False)[1:-1] + "}}\n")
        return self.count


def write_event(
    bank: BankInfo, entries: Iterable[EntryRecord], out: TextIO, marked: bool = True
) -> int:
    """A bank as one MISP event; returns how many attributes were written. `marked=False`:
    the bank's TLP is not known (entries without their bank), so no TLP tag is set and the
    event is for your organisation only."""
    info = f"Raqib bank {bank.name}" + (f": {bank.description}" if bank.description else "")
    header = event_header(
        event_uuid(bank.name),
        info,
        bank.created_at.date().isoformat(),
        bank.tlp if marked else None,
        f"bank {bank.name}",
    )
    writer = EventWriter(out, header, [tlp_tag(bank.tlp)] if marked else [])
    for entry in entries:
        entity = [machine_tag("entity", entry.labels.entity)] if entry.labels.entity else []
        writer.add(entry_attribute(entry, bank), entity)
    return writer.close()


def default_comment(signal_type: str) -> str:
    return f"Raqib {signal_type} signal"


def entry_attribute(entry: EntryRecord, bank: BankInfo) -> dict[str, Any]:
    """The MISP attribute of one bank entry."""
    kind, category = ATTRIBUTE_TYPES.get(entry.signal_type, OTHER)
    labels = entry.labels
    tags = [machine_tag("signal-type", entry.signal_type)]
    tags += [machine_tag("entity", labels.entity)] if labels.entity else []
    tags += [machine_tag("behaviour", b) for b in labels.behaviours]
    tags += [machine_tag("tier", labels.tier)] if labels.tier else []
    tags += [machine_tag("source", labels.source)] if labels.source else []
    return {
        "uuid": uuid_of(entry.stix_id or indicator_id(bank.name, entry.signal_type, entry.value)),
        "type": kind,
        "category": category,
        "value": entry.value,
        "to_ids": not bank.allow_list,
        "distribution": INHERIT_EVENT,
        "timestamp": unix(entry.added_at),
        "comment": labels.note or default_comment(entry.signal_type),
        "deleted": False,
        "Tag": tags,
    }


# --- reading ----------------------------------------------------------------------------------


def read_entries(document: Any, registry: SignalRegistry) -> Iterator[NewEntry]:
    """The entries of a MISP document: `{"Event": ...}`, a bare event, a list of either, or a
    `{"response": [...]}` search answer. Attributes Raqib has no signal type for (ip-dst,
    domain, ...) and deleted ones are skipped; a mappable attribute with a bad value raises."""
    for event in _events(document):
        for number, attribute in enumerate(_attributes(event), start=1):
            if not isinstance(attribute, dict) or attribute.get("deleted") in (True, "1", 1):
                continue
            entry = _entry(attribute, registry, number)
            if entry is not None:
                yield entry


def _events(document: Any) -> list[dict[str, Any]]:
    items = document.get("response", [document]) if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise InputError("want a MISP event: an object with an 'Event' key")
    events = [i.get("Event", i) for i in items if isinstance(i, dict)]
    events = [e for e in events if isinstance(e, dict) and ("Attribute" in e or "Object" in e)]
    if not events:
        raise InputError("want a MISP event: an object with an 'Event' holding 'Attribute's")
    return events


def _attributes(event: dict[str, Any]) -> Iterator[Any]:
    yield from _list(event.get("Attribute"))
    for obj in _list(event.get("Object")):
        if isinstance(obj, dict):
            yield from _list(obj.get("Attribute"))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _entry(attribute: dict[str, Any], registry: SignalRegistry, number: int) -> NewEntry | None:
    tags = _raqib_tags(attribute)
    kind = str(attribute.get("type") or "")
    value = attribute.get("value")
    if not isinstance(value, str):
        return None
    name = tags.get("signal-type", [None])[0]
    if name is None:
        name = IMPORT_TYPES.get(kind.partition("|")[2] if kind.startswith("filename|") else kind)
        value = value.rpartition("|")[2] if kind.startswith("filename|") else value
    if name is None:
        return None
    try:
        signal_type = registry.get(name)
        normalized = signal_type.normalize(value)
        labels = _labels(attribute, tags, signal_type.name)
    except (ValueError, InputError) as exc:
        shown = str(attribute.get("uuid") or "")[:36]
        raise InputError(f"MISP attribute {number} {shown}: {exc}") from None
    return NewEntry(signal_type.name, normalized, labels, _indicator_id(attribute))


def _raqib_tags(attribute: dict[str, Any]) -> dict[str, list[str]]:
    """The attribute's `raqib:` machine tags (and a galaxy threat actor as the entity)."""
    found: dict[str, list[str]] = {}
    for tag in _list(attribute.get("Tag")):
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str):
            continue
        match = _TAG.match(name)
        if match:
            found.setdefault(match.group(1), []).append(_unescape(match.group(2)))
        actor = _GALAXY_ACTOR.match(name)
        if actor:
            found.setdefault("galaxy-actor", []).append(_unescape(actor.group(1)))
    return found


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def _labels(attribute: dict[str, Any], tags: dict[str, list[str]], signal_type: str) -> Labels:
    comment = str(attribute.get("comment") or "").strip()
    entity = (tags.get("entity") or tags.get("galaxy-actor") or [""])[0]
    return Labels.from_mapping(
        {
            "entity": entity,
            "behaviours": tags.get("behaviour", []),
            "tier": (tags.get("tier") or [""])[0],
            "source": (tags.get("source") or [""])[0],
            "note": "" if comment == default_comment(signal_type) else comment,
        }
    )


def _indicator_id(attribute: dict[str, Any]) -> str:
    """`indicator--<attribute uuid>`: the STIX id MISP itself gives the attribute."""
    try:
        return f"indicator--{uuid.UUID(str(attribute.get('uuid')))}"
    except ValueError:
        return ""
