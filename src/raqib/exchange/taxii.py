"""TAXII 2.1 resources built from banks: discovery, API root, collections, and pages of a
collection's objects or manifest with the spec's filters (added_after, match[id|type|version|
spec_version]) and `limit`/`next` paging.

A bank's entries are read in (added_at, id) order in bounded chunks, each turned into STIX objects
by raqib.exchange.stix; a page stops after `limit` objects at an entry's end, and `next` is an
opaque cursor naming that entry's (added_at, id) — so memory stays flat however large the bank."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from raqib import banking
from raqib.errors import InputError, NotFoundError
from raqib.exchange import stix
from raqib.exchange.partners import Collection
from raqib.records import EntryRecord
from raqib.review import audit
from raqib.signals import SignalRegistry
from raqib.store.banks import entry_record
from raqib.store.models import Entry, utcnow
from raqib.store.models import as_utc as _utc

MEDIA_TAXII = "application/taxii+json;version=2.1"
MEDIA_STIX = "application/stix+json;version=2.1"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
API_ROOT_PATH = "api/"
_CHUNK = 500  # entries read per query while filling a page
_LISTED = 1000  # at most this many successes / failures are named in a status resource
STATUS_VERB = "taxii.add"
# Objects accepted without becoming entries: they carry labels, or what indicators refer to.
_CONTEXT_TYPES = frozenset(
    {"threat-actor", "relationship", "identity", "marking-definition", "extension-definition"}
)


@dataclass(frozen=True)
class ObjectFilter:
    """A request's filters and paging (TAXII 2.1 section 3.4)."""

    added_after: datetime | None = None
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset({"last"})
    spec_versions: frozenset[str] = frozenset()
    limit: int = DEFAULT_LIMIT
    after: tuple[datetime, int] | None = None  # decoded `next`

    def keeps(self, obj: dict[str, Any]) -> bool:
        """Whether an object passes the match[...] filters."""
        if self.ids and obj.get("id") not in self.ids:
            return False
        if self.types and obj.get("type") not in self.types:
            return False
        if self.spec_versions and obj.get("spec_version", "2.1") not in self.spec_versions:
            return False
        return bool(self.versions & {"last", "first", "all", _version(obj)})


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
        "version": _version(obj),
        "media_type": MEDIA_STIX,
    }


def encode_cursor(added_at: datetime, entry_id: int) -> str:
    raw = f"{timestamp(added_at)}|{entry_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (added_at, entry id) a `next` value names; InputError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, entry_id = raw.partition("|")
        return parse_timestamp(when, "next"), int(entry_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InputError(f"next {cursor!r} is not a cursor this server gave") from None


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
    return ObjectFilter(
        added_after=parse_timestamp(added_after) if added_after else None,
        ids=_split(ids),
        types=_split(types),
        versions=_split(versions) or frozenset({"last"}),
        spec_versions=_split(spec_versions),
        limit=wanted,
        after=decode_cursor(next_cursor) if next_cursor else None,
    )


def objects_page(session: Session, collection: Collection, wanted: ObjectFilter) -> Page:
    """One page of a collection's objects that pass the filters."""
    page = Page()
    seen: set[str] = set()
    if wanted.after is None:  # the first page opens with what every indicator refers to
        _common(page, collection, wanted, seen)
    last: EntryRecord | None = None
    for entry in _entries(session, collection, wanted):
        if len(page.items) >= wanted.limit:
            page.more = True
            break
        for obj in stix.bank_objects(collection.bank, [entry], common=False):
            if obj["id"] not in seen and wanted.keeps(obj):
                seen.add(obj["id"])
                page.items.append((obj, entry.added_at))
        last = entry
    if page.more and last is not None:
        page.next = encode_cursor(last.added_at, last.id)
    return page


def _common(page: Page, collection: Collection, wanted: ObjectFilter, seen: set[str]) -> None:
    """The identity, extension definition and TLP marking, added when the bank was created."""
    added = _utc(collection.bank.created_at)
    if wanted.added_after is not None and added <= wanted.added_after:
        return
    for obj in stix.common_objects(collection.bank):
        if wanted.keeps(obj):
            seen.add(obj["id"])
            page.items.append((obj, added))


def find_object(session: Session, collection: Collection, object_id: str) -> Page:
    """Every page of one object (a collection holds one version of each), scanning the bank."""
    found = Page()
    after: tuple[datetime, int] | None = None
    while True:
        page = objects_page(
            session, collection, ObjectFilter(ids=frozenset({object_id}), limit=1, after=after)
        )
        found.items.extend(page.items)
        if found.items or not page.more:
            return found
        after = decode_cursor(page.next or "")


def add_objects(
    session: Session,
    collection: Collection,
    objects: Sequence[object],
    registry: SignalRegistry,
    actor: str,
    partner: str | None,
) -> dict[str, Any]:
    """Import a posted envelope's objects into the collection's bank (in the caller's write
    transaction) and return the status resource; the status is kept in the audit trail."""
    if not collection.can_write:
        raise PermissionError("this collection is shared with you read-only")
    items = [obj for obj in objects if isinstance(obj, dict) and isinstance(obj.get("id"), str)]
    imported = stix.import_objects(items, registry)
    result = banking.add_to_bank(
        session, actor, collection.bank.name, imported.entries, how="taxii"
    )
    successes, failures = _outcomes(items, registry)
    failures += [{"id": "", "message": "not a STIX object"}] * (len(objects) - len(items))
    status_id = str(uuid.uuid4())
    status = {
        "id": status_id,
        "status": "complete",
        "request_timestamp": timestamp(utcnow()),
        "total_count": len(objects),
        "success_count": len(successes),
        "failure_count": len(failures),
        "pending_count": 0,
        "successes": successes[:_LISTED],
        "failures": failures[:_LISTED],
    }
    details = {"partner": partner, "bank": collection.bank.name, "added": result.added}
    audit.append(session, actor, STATUS_VERB, "taxii_status", status_id, details | status)
    return status


def status_resource(session: Session, status_id: str, partner: str | None) -> dict[str, Any]:
    """A status resource from the audit trail; only its own partner (or an admin) sees it."""
    found = audit.events(session, verb=STATUS_VERB, object_type="taxii_status", object_id=status_id)
    if not found or (partner is not None and found[0].details.get("partner") != partner):
        raise NotFoundError(f"no status {status_id!r} here")
    details = found[0].details
    return {key: details[key] for key in _STATUS_KEYS if key in details}


_STATUS_KEYS = (
    "id",
    "status",
    "request_timestamp",
    "total_count",
    "success_count",
    "failure_count",
    "pending_count",
    "successes",
    "failures",
)


def _outcomes(
    items: list[dict[str, Any]], registry: SignalRegistry
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(successes, failures) per object: an indicator succeeds when it gives a Raqib entry."""
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for obj in items:
        record = {"id": obj["id"], "version": _version(obj)}
        if obj.get("type") == "indicator":
            if stix.import_objects([obj], registry).entries:
                successes.append(record)
            else:
                failures.append(record | {"message": "no signal Raqib reads in this indicator"})
        elif obj.get("type") in _CONTEXT_TYPES:
            successes.append(record)
        else:
            failures.append(record | {"message": f"objects of type {obj.get('type')} are not kept"})
    return successes, failures


def _entries(
    session: Session, collection: Collection, wanted: ObjectFilter
) -> Iterator[EntryRecord]:
    """The collection's entries in (added_at, id) order after the filter's start, in chunks."""
    after = wanted.after
    while True:
        query = select(Entry).where(Entry.bank_id == collection.bank.id)
        if wanted.added_after is not None:
            query = query.where(Entry.added_at > wanted.added_after)
        if after is not None:
            when, entry_id = after
            query = query.where(
                or_(Entry.added_at > when, and_(Entry.added_at == when, Entry.id > entry_id))
            )
        rows = list(session.scalars(query.order_by(Entry.added_at, Entry.id).limit(_CHUNK)))
        for row in rows:
            yield entry_record(row, collection.bank.name)
        if len(rows) < _CHUNK:
            return
        after = (rows[-1].added_at, rows[-1].id)
        session.expunge_all()


def _version(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "")


def _split(values: Sequence[str]) -> frozenset[str]:
    return frozenset(part.strip() for value in values for part in value.split(",") if part.strip())
