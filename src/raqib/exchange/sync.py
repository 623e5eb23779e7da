"""Pulling partners' TAXII 2.1 collections into local banks (`raqib sync`).

Each collection a partner shares with us is mirrored into the bank f"{partner}-{title}" (created
with the TLP its objects carry, amber when they carry none). Pages are read with the OASIS
taxii2-client; after each page is committed its checkpoint is written atomically to
<home>/sync/<partner>.json: the run's `added_after`, the server's `next` cursor and the newest
X-TAXII-Date-Added-Last seen. A run stopped anywhere (crash, --max-pages) resumes at the last
committed page; a page imported twice adds nothing (same signal = same entry). A finished run
moves `added_after` to the newest date seen, so the next run asks only for what is new."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from requests import PreparedRequest, Response
from requests.exceptions import HTTPError, RequestException
from sqlalchemy import select
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection, Server

from raqib import banking
from raqib.auth.principal import system_principal
from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.exchange import stix
from raqib.exchange.taxii import parse_timestamp, timestamp
from raqib.records import check_tlp
from raqib.signals import SignalRegistry
from raqib.store.banks import BankRepository
from raqib.store.db import Database
from raqib.store.models_service import Partner

DEFAULT_PAGE_SIZE = 1000  # objects asked for per request (TAXII servers may answer fewer)
DEFAULT_TLP = "amber"
_TLP_BY_MARKING = {marking: level for level, marking in stix.TLP2_IDS.items()}


@dataclass
class CollectionResult:
    """What one sync did with one remote collection."""

    collection_id: str
    title: str
    bank: str
    objects_seen: int = 0
    added: int = 0
    already_present: int = 0
    pages: int = 0
    complete: bool = False  # False when the run stopped early (max_pages); the next run resumes


@dataclass
class SyncResult:
    """What one sync did with one partner."""

    partner: str
    collections: list[CollectionResult] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(c.complete for c in self.collections)


@dataclass(frozen=True)
class Checkpoint:
    """Where pulling one collection stands: `added_after` of the run in progress (or the next
    run), the `next` cursor where it stopped (None between runs), the newest date_added seen."""

    added_after: str | None = None
    next: str | None = None
    newest: str | None = None


class Checkpoints:
    """One partner's checkpoints, one per collection id, in <home>/sync/<partner>.json."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"unreadable sync checkpoint {path} ({exc}); delete it") from None
            self._data = loaded if isinstance(loaded, dict) else {}

    @classmethod
    def of(cls, settings: Settings, partner: str) -> Checkpoints:
        return cls(settings.home / "sync" / f"{partner}.json")

    def get(self, collection_id: str) -> Checkpoint:
        found = self._data.get(collection_id) or {}
        return Checkpoint(found.get("added_after"), found.get("next"), found.get("newest"))

    def save(self, collection_id: str, title: str, checkpoint: Checkpoint) -> None:
        """Record a checkpoint: written to a temporary file, then os.replace'd over the old one."""
        self._data[collection_id] = {"title": title, **asdict(checkpoint)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".json.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(self._data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


class _KeyAuth:
    """HTTP Basic with the partner's key as the password; notes each answer's
    X-TAXII-Date-Added-Last (taxii2-client returns only the body)."""

    def __init__(self, key: str) -> None:
        token = base64.b64encode(f"raqib:{key}".encode()).decode("ascii")
        self._header = f"Basic {token}"
        self.added_last: str | None = None

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = self._header
        request.register_hook("response", self._note)
        return request

    def _note(self, response: Response, *_args: Any, **_kwargs: Any) -> Response:
        self.added_last = response.headers.get("X-TAXII-Date-Added-Last")
        return response


def pull_partner(
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
    partner_name: str,
    key_for_partner: str | None = None,
    max_pages: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> SyncResult:
    """Pull every collection the partner's TAXII server lets us read into local banks.
    `key_for_partner`: the key to present there (default: the one stored with the partner);
    `max_pages`: read at most this many pages in this run (the next run resumes)."""
    if max_pages is not None and max_pages < 1:
        raise InputError(f"max_pages must be at least 1, got {max_pages}")
    name, url, stored_key = _remote(database, partner_name)
    key = key_for_partner or stored_key
    if key is None:
        raise InputError(
            f"no key for partner {name!r}'s TAXII server: add it with `raqib partner add "
            f"{name} --taxii URL --remote-key-stdin`"
        )
    auth = _KeyAuth(key)
    checkpoints = Checkpoints.of(settings, name)
    result = SyncResult(name)
    budget = [max_pages]
    with _remote_errors(url):
        for collection in _readable_collections(Server(url, auth=auth)):
            title = str(collection.title)
            pulled = CollectionResult(str(collection.id), title, f"{name}-{title}")
            result.collections.append(pulled)
            _pull_collection(
                database, registry, collection, auth, checkpoints, pulled, budget, page_size
            )
    return result


def _pull_collection(
    database: Database,
    registry: SignalRegistry,
    collection: Collection,
    auth: _KeyAuth,
    checkpoints: Checkpoints,
    pulled: CollectionResult,
    budget: list[int | None],
    page_size: int,
) -> None:
    """Page through one collection from its checkpoint, committing and checkpointing each page."""
    at = checkpoints.get(pulled.collection_id)
    while budget[0] is None or budget[0] > 0:
        auth.added_last = None
        envelope = _fetch(collection, at, page_size)
        if envelope is None:  # the server forgot our cursor: redo this run (idempotent)
            at = Checkpoint(at.added_after, None, at.newest)
            continue
        objects = [o for o in envelope.get("objects") or [] if isinstance(o, dict)]
        _import_page(database, registry, pulled, objects)
        newest = _newer(at.newest, auth.added_last)
        more, cursor = bool(envelope.get("more")), envelope.get("next")
        if more and cursor:
            at = Checkpoint(at.added_after, str(cursor), newest)
        else:  # finished (or a server paging by added_after alone)
            at = Checkpoint(newest, None, newest)
        checkpoints.save(pulled.collection_id, pulled.title, at)
        pulled.pages += 1
        if budget[0] is not None:
            budget[0] -= 1
        if not more or not objects:
            pulled.complete = True
            return


def _fetch(collection: Collection, at: Checkpoint, page_size: int) -> dict[str, Any] | None:
    """One page of objects after the checkpoint; None when the server refuses our cursor."""
    try:
        envelope = collection.get_objects(limit=page_size, added_after=at.added_after, next=at.next)
    except HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if at.next is not None and status in (400, 404):
            return None
        raise
    if not isinstance(envelope, dict):
        raise InputError(f"{collection.objects_url} answered something that is not an envelope")
    return envelope


def _import_page(
    database: Database,
    registry: SignalRegistry,
    pulled: CollectionResult,
    objects: list[dict[str, Any]],
) -> None:
    """Add a page's entries to the collection's bank (created on the first objects seen)."""
    pulled.objects_seen += len(objects)
    if not objects:
        return
    imported = stix.import_objects(objects, registry)
    actor = system_principal("sync").actor
    with database.session(write=True) as session:
        try:
            BankRepository(session).get(pulled.bank)
        except NotFoundError:
            description = f"pulled from TAXII collection {pulled.collection_id}"
            banking.create_bank(session, actor, pulled.bank, description, _tlp(objects), False)
        added = banking.add_to_bank(session, actor, pulled.bank, imported.entries, how="sync")
    pulled.added += added.added
    pulled.already_present += added.already_present


def _readable_collections(server: Server) -> list[Collection]:
    return [c for root in server.api_roots for c in root.collections if c.can_read]


def _remote(database: Database, partner_name: str) -> tuple[str, str, str | None]:
    """(name, TAXII URL, stored key) of a partner we pull from."""
    with database.session() as session:
        row = session.scalar(select(Partner).where(Partner.name == partner_name.strip()))
        if row is None:
            raise NotFoundError(f"no partner named {partner_name!r} (see `raqib partner list`)")
        if not row.taxii_url:
            raise InputError(f"partner {row.name!r} has no TAXII URL to pull from")
        return row.name, row.taxii_url, row.remote_key


def partners_to_pull(database: Database) -> list[str]:
    """The partners with a TAXII URL, oldest first."""
    with database.session() as session:
        query = select(Partner.name).where(Partner.taxii_url.is_not(None)).order_by(Partner.id)
        return [str(name) for name in session.scalars(query)]


def _tlp(objects: list[dict[str, Any]]) -> str:
    """The TLP level of the first TLP 2.0 marking the objects refer to; amber without one."""
    for obj in objects:
        for ref in obj.get("object_marking_refs") or []:
            if ref in _TLP_BY_MARKING:
                return check_tlp(_TLP_BY_MARKING[ref])
    return DEFAULT_TLP


def _newer(current: str | None, candidate: str | None) -> str | None:
    """The later of two TAXII timestamps (as this server writes them); None-safe."""
    if candidate is None:
        return current
    try:
        parsed = parse_timestamp(candidate, "X-TAXII-Date-Added-Last")
    except InputError:
        return current
    if current is None or parsed > parse_timestamp(current):
        return timestamp(parsed)
    return current


@contextmanager
def _remote_errors(url: str) -> Iterator[None]:
    """Turn the partner's HTTP and TAXII failures into one actionable RaqibError line."""
    try:
        yield
    except HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        hint = " (check the key the partner gave you)" if status in (401, 403) else ""
        raise InputError(f"partner TAXII server {url} answered {status}{hint}") from exc
    except (RequestException, TAXIIServiceException) as exc:
        raise InputError(f"partner TAXII server {url} failed: {exc}") from exc
