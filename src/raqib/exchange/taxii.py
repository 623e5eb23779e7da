"""TAXII 2.1 resources built from banks: discovery, API root, collections, and pages of a
collection's objects or manifest with the spec's filters (added_after, match[id|type|version|
spec_version]) and `limit`/`next` paging. Writes (POST, DELETE) are in raqib.exchange.taxii_writes.

A collection's items (common objects, live entries, revocations of removed entries) are read in
one time order by raqib.exchange.taxii_items, in bounded chunks, each turned into STIX objects by
raqib.exchange.stix. A page holds at most `limit` objects; `next` is an opaque cursor naming the
item where the next page starts and how many of that item's objects were already served — so
memory stays flat however large the bank, and no object is served twice or skipped."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from raqib.errors import InputError
from raqib.exchange import stix, taxii_items
from raqib.exchange.partners import Collection
from raqib.exchange.taxii_items import ENTRY, KINDS, Item, Position, Scope
from raqib.records import BankInfo
from raqib.store.models import as_utc as _utc

MEDIA_TAXII = "application/taxii+json;version=2.1"
MEDIA_STIX = "application/stix+json;version=2.1"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_IDS = 1000  # match[id] values one request may name
API_ROOT_PATH = "api/"
VERSION_WORDS = frozenset({"first", "last", "all"})
# Types only entries give; a request matching none of them reads no entry or revocation.
_ENTRY_TYPES = frozenset({"indicator", "threat-actor", "relationship"})
_DERIVED_TYPES = frozenset({"threat-actor", "relationship"})  # found by scanning the entries
_SKIPPED_ALL = 1 << 30  # an old-form cursor's entry was served whole


class Cursor(NamedTuple):
    """A decoded `next`: the item the next page starts at, and how many of its objects (in the
    order the page's filters give them) were already served."""

    position: Position
    skip: int = 0


@dataclass(frozen=True)
class ObjectFilter:
    """A request's filters and paging (TAXII 2.1 section 3.4). `versions` holds the words
    first/last/all, `version_times` the `modified` timestamps asked for by match[version]."""

    added_after: datetime | None = None
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset({"last"})
    spec_versions: frozenset[str] = frozenset()
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None  # decoded `next`
    version_times: frozenset[datetime] = frozenset()

    def keeps(self, obj: dict[str, Any]) -> bool:
        """Whether an object passes the match[id|type|spec_version] filters."""
        if self.ids and obj.get("id") not in self.ids:
            return False
        if self.types and obj.get("type") not in self.types:
            return False
        return not self.spec_versions or obj.get("spec_version", "2.1") in self.spec_versions

    def pick(self, versions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The versions (oldest first) of one object that match[version] asks for."""
        last = len(versions) - 1
        return [
            obj
            for index, obj in enumerate(versions)
            if "all" in self.versions
            or ("first" in self.versions and index == 0)
            or ("last" in self.versions and index == last)
            or (self.version_times and _version_time(obj) in self.version_times)
        ]


@dataclass
class Page:
    """What one objects or manifest request returns: objects with the date each was added."""

    items: list[tuple[dict[str, Any], datetime]] = field(default_factory=list)
    more: bool = False
    next: str | None = None

    @property
    def objects(self) -> list[dict[str, Any]]:
        return [obj for obj, _added in self.items]

    def headers(self) -> dict[str, str]:
        """X-TAXII-Date-Added-First/Last of a non-empty page."""
        if not self.items:
            return {}
        return {
            "X-TAXII-Date-Added-First": timestamp(self.items[0][1]),
            "X-TAXII-Date-Added-Last": timestamp(self.items[-1][1]),
        }

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"more": self.more}
        if self.next is not None:
            body["next"] = self.next
        if self.items:
            body["objects"] = self.objects
        return body

    def manifest(self) -> dict[str, Any]:
        body: dict[str, Any] = {"more": self.more}
        if self.next is not None:
            body["next"] = self.next
        if self.items:
            body["objects"] = [manifest_record(obj, added) for obj, added in self.items]
        return body

    def versions(self) -> dict[str, Any]:
        """The versions resource of one object's page."""
        body: dict[str, Any] = {"more": self.more}
        if self.next is not None:
            body["next"] = self.next
        body["versions"] = [version_of(obj) for obj in self.objects]
        return body


def timestamp(at: datetime) -> str:
    """A TAXII/STIX timestamp: UTC with microseconds and a Z."""
    return _utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str, name: str = "added_after") -> datetime:
    """A timestamp a client sent, as an aware UTC datetime; InputError when it is not one."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{name} must be an RFC 3339 timestamp, got {text!r}") from None
    return _utc(parsed)


def discovery(api_root_url: str) -> dict[str, Any]:
    """The discovery resource, naming our one API root."""
    return {
        "title": "Raqib TAXII 2.1",
        "description": "Banks of signals about terrorist and violent extremist content.",
        "default": api_root_url,
        "api_roots": [api_root_url],
    }


def api_root(max_content_length: int) -> dict[str, Any]:
    return {
        "title": "Raqib",
        "description": "Banks shared with you, one collection each.",
        "versions": [MEDIA_TAXII],
        "max_content_length": max_content_length,
    }


def collection_resource(collection: Collection) -> dict[str, Any]:
    bank = collection.bank
    return {
        "id": collection.id,
        "title": bank.name,
        "description": bank.description or f"Raqib bank {bank.name} (TLP:{bank.tlp.upper()})",
        "can_read": collection.can_read,
        "can_write": collection.can_write,
        "media_types": [MEDIA_STIX],
    }


def manifest_record(obj: dict[str, Any], added: datetime) -> dict[str, Any]:
    return {
        "id": obj["id"],
        "date_added": timestamp(added),
        "version": version_of(obj),
        "media_type": MEDIA_STIX,
    }


def version_of(obj: dict[str, Any]) -> str:
    """An object's version: its `modified` (or `created` for objects without one)."""
    return str(obj.get("modified") or obj.get("created") or "")


def encode_cursor(cursor: Cursor) -> str:
    at, kind, row = cursor.position
    raw = f"{timestamp(at)}|{kind}|{row}|{cursor.skip}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The Cursor a `next` value names; InputError for anything else. The older two-part form
    (time|entry id: that entry served whole) is still read."""
    problem = InputError(f"next {text!r} is not a cursor this server gave; start again without it")
    try:
        parts = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().split("|")
        at = parse_timestamp(parts[0], "next")
        numbers = [int(part) for part in parts[1:]]
    except (InputError, ValueError, binascii.Error, UnicodeDecodeError):
        raise problem from None
    if len(numbers) == 1 and numbers[0] >= 0:
        return Cursor(Position(at, ENTRY, numbers[0]), _SKIPPED_ALL)
    if len(numbers) != 3 or numbers[0] not in KINDS or min(numbers) < 0:
        raise problem
    kind, row, skip = numbers
    return Cursor(Position(at, kind, row), skip)


def object_filter(
    added_after: str | None,
    limit: int | None,
    next_cursor: str | None,
    ids: Sequence[str] = (),
    types: Sequence[str] = (),
    versions: Sequence[str] = (),
    spec_versions: Sequence[str] = (),
) -> ObjectFilter:
    """An ObjectFilter from query parameters (match[...] values may be comma-separated)."""
    wanted = limit if limit is not None else DEFAULT_LIMIT
    if not 1 <= wanted <= MAX_LIMIT:
        raise InputError(f"limit must be 1-{MAX_LIMIT}, got {wanted}")
    id_set = _split(ids)
    if len(id_set) > MAX_IDS:
        raise InputError(f"match[id] may name at most {MAX_IDS} objects; split the request")
    words, times = _versions(_split(versions))
    return ObjectFilter(
        added_after=parse_timestamp(added_after) if added_after else None,
        ids=id_set,
        types=_split(types),
        versions=words,
        spec_versions=_split(spec_versions),
        limit=wanted,
        after=decode_cursor(next_cursor) if next_cursor else None,
        version_times=times,
    )


def objects_page(session: Session, collection: Collection, wanted: ObjectFilter) -> Page:
    """One page of a collection's objects that pass the filters, at most `limit` of them."""
    bank = collection.bank
    page = Page()
    seen: set[tuple[str, str]] = set()  # (id, version) on this page: threat-actors repeat
    start = wanted.after
    for item in taxii_items.items(session, bank, _scope(bank, wanted)):
        skip = start.skip if start is not None and item.position == start.position else 0
        for index, (obj, added) in enumerate(_served(bank, item, wanted)):
            key = (obj["id"], version_of(obj))
            if index < skip or key in seen:
                continue
            if len(page.items) >= wanted.limit:
                page.more = True
                page.next = encode_cursor(Cursor(item.position, index))
                return page
            seen.add(key)
            page.items.append((obj, added))
    return page


def find_object(
    session: Session, collection: Collection, object_id: str, wanted: ObjectFilter | None = None
) -> Page:
    """A page of one object's versions that pass the filters (object GET, versions). Indicators
    are looked up by their id through the entries' and revocations' stix_id indexes; the common
    objects are derived; a threat-actor or relationship is the first one a scan of the bank
    gives (it has one version)."""
    one = replace(wanted or ObjectFilter(), ids=frozenset({object_id}))
    if _indexed(collection.bank, one.ids):
        return objects_page(session, collection, one)
    page = Page()
    if object_id.partition("--")[0] not in _DERIVED_TYPES:  # nothing else to scan for
        return page
    scope = Scope(added_after=one.added_after, chunk=taxii_items.MAX_CHUNK)
    for item in taxii_items.items(session, collection.bank, scope):
        found = _served(collection.bank, item, one)
        if found:
            page.items.append(found[0])
            return page
    return page


def object_exists(session: Session, collection: Collection, object_id: str) -> bool:
    """Whether the collection holds any version of an object."""
    every = ObjectFilter(versions=frozenset({"all"}), limit=1)
    return bool(find_object(session, collection, object_id, every).items)


def _served(
    bank: BankInfo, item: Item, wanted: ObjectFilter
) -> list[tuple[dict[str, Any], datetime]]:
    """The objects an item gives under the filters, with their date_added (the item's time)."""
    served: list[tuple[dict[str, Any], datetime]] = []
    for versions in taxii_items.objects_of(bank, item):
        if wanted.keeps(versions[0]):
            served.extend((obj, item.position.at) for obj in wanted.pick(versions))
    return served


def _scope(bank: BankInfo, wanted: ObjectFilter) -> Scope:
    """Which items a request needs: by id through the indexes when it names only indicators
    and common objects; none of the entries when match[type] names no type they give."""
    common_ids = _common_ids(bank)
    stix_ids: frozenset[str] | None = None
    if _indexed(bank, wanted.ids):
        stix_ids = frozenset(i for i in wanted.ids if i not in common_ids)
    elif wanted.types and not wanted.types & _ENTRY_TYPES:
        stix_ids = frozenset()
    return Scope(
        start=wanted.after.position if wanted.after is not None else None,
        added_after=wanted.added_after,
        stix_ids=stix_ids,
        common=not wanted.ids or bool(wanted.ids & common_ids),
        chunk=min(wanted.limit + 1, taxii_items.MAX_CHUNK),
    )


def _indexed(bank: BankInfo, ids: Iterable[str]) -> bool:
    """Whether every id names an indicator or a common object (found without a scan)."""
    names = list(ids)
    common_ids = _common_ids(bank)
    return bool(names) and all(i.startswith("indicator--") or i in common_ids for i in names)


def _common_ids(bank: BankInfo) -> frozenset[str]:
    return frozenset(obj["id"] for obj in stix.common_objects(bank))


def _versions(values: frozenset[str]) -> tuple[frozenset[str], frozenset[datetime]]:
    """match[version] as (words, timestamps); "last" when it names nothing."""
    words = values & VERSION_WORDS
    times = frozenset(
        parse_timestamp(value, "match[version] (first, last, all or a timestamp)")
        for value in values - VERSION_WORDS
    )
    return (words or (frozenset() if times else frozenset({"last"}))), times


def _version_time(obj: dict[str, Any]) -> datetime | None:
    try:
        return parse_timestamp(version_of(obj), "version")
    except InputError:
        return None


def _split(values: Sequence[str]) -> frozenset[str]:
    return frozenset(part.strip() for value in values for part in value.split(",") if part.strip())
