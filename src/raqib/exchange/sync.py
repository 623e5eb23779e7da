"""Pulling partners' TAXII 2.1 collections into local banks (`raqib sync`; pushing is in
raqib.exchange.push, a whole run with a partner in raqib.exchange.sync_runs).

A collection whose title is the name of a local bank we share with that same partner is mirrored
INTO that bank (two organisations keeping one bank in common); any other collection goes into the
bank f"{partner}-{title}", created with the TLP its objects carry (amber when they carry none)
and marked as coming from that partner's collection (BankRepository.set_origin), so feedback on
its entries flows back there. Pages are read with the OASIS taxii2-client; after each page is
committed its checkpoint is written atomically to <home>/sync/<partner>.json: the run's
`added_after`, the server's `next` cursor and the newest X-TAXII-Date-Added-Last seen. A run
stopped anywhere (crash, --max-pages) resumes at the last committed page; a page imported twice
adds nothing (same signal = same entry). A finished run moves `added_after` to the newest date
seen, so the next run asks only for what is new.

Revocations: a revoked indicator removes its signal here when our entry is that same indicator
(same STIX id), and an indicator we revoked here is never added back from a partner's copy — STIX
never un-revokes an object (a signal added again gets a new indicator id)."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from requests.exceptions import HTTPError
from sqlalchemy import select
from sqlalchemy.orm import Session
from taxii2client.v21 import Collection

from raqib import banking
from raqib.auth.principal import system_principal
from raqib.config import Settings
from raqib.errors import InputError
from raqib.exchange import stix
from raqib.exchange.taxii_client import (
    Checkpoint,
    Checkpoints,
    KeyAuth,
    PageBudget,
    newer,
    partners_with_taxii,
    remote,
    remote_collections,
    remote_errors,
    shared_banks,
)
from raqib.records import TLP_LEVELS, check_tlp
from raqib.signals import SignalRegistry
from raqib.store.banks import BankRepository
from raqib.store.db import Database
from raqib.store.models import Bank

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "Checkpoint",
    "Checkpoints",
    "CollectionResult",
    "SyncResult",
    "mirror_name",
    "partners_to_pull",
    "pull_partner",
]

DEFAULT_PAGE_SIZE = 1000  # objects asked for per request (TAXII servers may answer fewer)
DEFAULT_TLP = "amber"
_TLP_BY_MARKING = {marking: level for level, marking in stix.TLP2_IDS.items()}
_CHUNK = 500  # ids per IN (...) query
MAX_BANK_NAME = 100
MAX_COLLECTION_ID = 200  # what banks.remote_collection holds
_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]+")  # what a bank name may not hold


@dataclass
class CollectionResult:
    """What one sync did with one remote collection."""

    collection_id: str
    title: str
    bank: str
    mirrored: bool = False  # pulled into our own bank of the same name (shared with the partner)
    objects_seen: int = 0
    added: int = 0
    already_present: int = 0
    revoked: int = 0  # entries removed because the partner revoked their indicator
    kept_revoked: int = 0  # indicators we revoked here already: not added back
    pages: int = 0
    complete: bool = False  # False when the run stopped early (max_pages); the next run resumes


@dataclass
class SyncResult:
    """What one pull did with one partner."""

    partner: str
    collections: list[CollectionResult] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(c.complete for c in self.collections)


def partners_to_pull(database: Database) -> list[str]:
    """The partners with a TAXII URL, oldest first."""
    return partners_with_taxii(database)


def pull_partner(
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
    partner_name: str,
    key_for_partner: str | None = None,
    max_pages: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    stop: threading.Event | None = None,
) -> SyncResult:
    """Pull every collection the partner's TAXII server lets us read into local banks.
    `key_for_partner`: the key to present there (default: the one stored with the partner);
    `max_pages`: read at most this many pages in this run (the next run resumes); `stop`: when
    set, the run ends after the page in hand."""
    budget = PageBudget(max_pages, stop)
    target = remote(database, partner_name, key_for_partner)
    server, auth = target.server()
    checkpoints = Checkpoints.of(settings, target.name)
    with database.session() as session:
        ours = shared_banks(session, target.name)
    result = SyncResult(target.name)
    with remote_errors(target.url):
        for collection in remote_collections(server):
            if not collection.can_read:
                continue
            title, remote_id = str(collection.title), _collection_id(collection)
            mirrored = title in ours
            bank = title if mirrored else mirror_name(target.name, title)
            pulled = CollectionResult(remote_id, title, bank, mirrored)
            result.collections.append(pulled)
            puller = _Puller(database, registry, target.name, pulled)
            puller.pull(collection, auth, checkpoints, budget, page_size)
    return result


def mirror_name(partner: str, title: str) -> str:
    """The bank a partner's collection is pulled into: "<partner>-<title>"; characters a bank
    name may not hold become "-", and a title changed that way or too long is cut and suffixed
    with a hash of it, so two titles never share a bank."""
    clean = _UNSAFE.sub("-", title).strip()
    name = f"{partner}-{clean}"
    if clean == title and len(name) <= MAX_BANK_NAME:
        return name
    digest = hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
    return f"{name[: MAX_BANK_NAME - len(digest) - 1]}-{digest}"


def _collection_id(collection: Collection) -> str:
    found = str(collection.id)
    if not 0 < len(found) <= MAX_COLLECTION_ID:
        raise InputError(
            f"the partner's server lists a collection id of {len(found)} characters (at most "
            f"{MAX_COLLECTION_ID} are kept): ask the partner to fix its TAXII server"
        )
    return found


@dataclass
class _Puller:
    """Pulls one remote collection into one local bank."""

    database: Database
    registry: SignalRegistry
    partner: str
    pulled: CollectionResult

    def pull(
        self,
        collection: Collection,
        auth: KeyAuth,
        checkpoints: Checkpoints,
        budget: PageBudget,
        page_size: int,
    ) -> None:
        """Page through the collection from its checkpoint, committing and checkpointing each
        page, until it is finished or the budget is spent."""
        pulled = self.pulled
        at = checkpoints.get(pulled.collection_id)
        while budget.left():
            auth.added_last = None
            envelope = _fetch(collection, at, page_size)
            if envelope is None:  # the server forgot our cursor: redo this run (idempotent)
                at = Checkpoint(at.added_after, None, at.newest)
                continue
            objects = [o for o in envelope.get("objects") or [] if isinstance(o, dict)]
            self.import_page(objects)
            newest = newer(at.newest, auth.added_last)
            more, cursor = bool(envelope.get("more")), envelope.get("next")
            if more and cursor:
                at = Checkpoint(at.added_after, str(cursor), newest)
            else:  # finished (or a server paging by added_after alone)
                at = Checkpoint(newest, None, newest)
            checkpoints.save(pulled.collection_id, pulled.title, at)
            pulled.pages += 1
            budget.spend()
            if not more or not objects:
                pulled.complete = True
                return

    def import_page(self, objects: list[dict[str, Any]]) -> None:
        """Add a page's entries to the bank and remove the signals it revokes, in one
        transaction (the bank is created on the first objects seen)."""
        pulled = self.pulled
        pulled.objects_seen += len(objects)
        if not objects:
            return
        imported = stix.import_objects(objects, self.registry)
        actor = system_principal("sync").actor
        with self.database.session(write=True) as session:
            bank = self._bank(session, actor, objects)
            applied = banking.apply_partner_entries(
                session, actor, bank.name, imported.entries, imported.revoked, how="sync"
            )
        pulled.added += applied.added
        pulled.already_present += applied.already_present
        pulled.revoked += applied.removed
        pulled.kept_revoked += applied.kept_revoked

    def _bank(self, session: Session, actor: str, objects: list[dict[str, Any]]) -> Bank:
        """The local bank of the collection; a bank of our own only takes objects marked no
        stricter than it is; any other is created on first use and marked as the partner's."""
        pulled = self.pulled
        bank = session.scalar(select(Bank).where(Bank.name == pulled.bank))
        if bank is not None:
            if pulled.mirrored:
                _check_tlp_fits(bank, _tlp(objects), self.partner, pulled.title)
            return bank
        if pulled.mirrored:  # deleted while we were syncing
            raise InputError(f"bank {pulled.bank!r} is gone; run `raqib sync` again")
        description = f"pulled from partner {self.partner}'s TAXII collection {pulled.title}"
        banking.create_bank(session, actor, pulled.bank, description, _tlp(objects), False)
        BankRepository(session).set_origin(pulled.bank, self.partner, pulled.collection_id)
        created = session.scalar(select(Bank).where(Bank.name == pulled.bank))
        assert created is not None  # just created in this transaction
        return created


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


def _tlp(objects: list[dict[str, Any]]) -> str:
    """The strictest TLP 2.0 level the objects are marked with; amber when none is."""
    levels = [
        _TLP_BY_MARKING[ref]
        for obj in objects
        for ref in obj.get("object_marking_refs") or []
        if isinstance(ref, str) and ref in _TLP_BY_MARKING
    ]
    if not levels:
        return DEFAULT_TLP
    return check_tlp(max(levels, key=TLP_LEVELS.index))


def _check_tlp_fits(bank: Bank, tlp: str, partner: str, title: str) -> None:
    """Refuse to put objects into a bank of ours that would share them wider than they allow."""
    if TLP_LEVELS.index(tlp) <= TLP_LEVELS.index(check_tlp(bank.tlp)):
        return
    raise InputError(
        f"partner {partner}'s collection {title!r} holds TLP:{tlp.upper()} objects but our bank "
        f"{bank.name!r} is TLP:{bank.tlp.upper()}: raise the bank's marking (`raqib bank update "
        f"{bank.name} --tlp {tlp}`) or stop sharing it (`raqib bank unshare {bank.name} "
        f"{partner}`), then run `raqib sync` again"
    )
