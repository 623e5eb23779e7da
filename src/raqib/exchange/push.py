"""Pushing our shared banks into partners' TAXII 2.1 collections.

For every local bank shared with the partner whose name the partner's server lists as the title
of a collection we may write, the objects our own TAXII server serves for that bank (its entries,
and the revoked versions of removed ones: raqib.exchange.taxii.objects_page) dated after the
bank's push checkpoint are POSTed in envelopes of about `page_size` objects with taxii2-client's
Collection.add_objects, which waits for the status. After each envelope the partner accepted, the
bank's checkpoint in <home>/sync/<partner>.push.json moves past it (written atomically), so a
push stopped anywhere resumes at the first envelope not acknowledged; an envelope sent twice adds
nothing on the other side (same signal = same entry). Entries we pulled from the partner are sent
back once too (it already holds them: nothing is added), which keeps this simple and stateless.

Our reviewers' feedback on the partner's indicators is sent by raqib.exchange.feedback_push."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from taxii2client.v21 import Collection as RemoteCollection

from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.exchange import taxii
from raqib.exchange.partners import RED, Collection, collection_id
from raqib.exchange.taxii_client import (
    Checkpoint,
    Checkpoints,
    PageBudget,
    newer,
    remote,
    remote_collections,
    remote_errors,
    shared_banks,
)
from raqib.store.banks import BankRepository
from raqib.store.db import Database

DEFAULT_PAGE_SIZE = 1000
STATUS_TIMEOUT_SECONDS = 120  # how long to wait for a partner to finish adding one envelope


@dataclass
class PushedBank:
    """What one push did with one local bank: objects sent, and how many the partner accepted
    or refused (its status resource's success and failure counts)."""

    bank: str
    collection_id: str  # the partner's collection
    objects_sent: int = 0
    accepted: int = 0
    refused: int = 0
    pages: int = 0
    complete: bool = False  # False when the run stopped early (max_pages); the next run resumes


@dataclass
class PushResult:
    """What one push did with one partner."""

    partner: str
    banks: list[PushedBank] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(b.complete for b in self.banks)


def push_partner(
    database: Database,
    settings: Settings,
    partner_name: str,
    key_for_partner: str | None = None,
    max_pages: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    stop: threading.Event | None = None,
) -> PushResult:
    """Push what is new in every bank we share with the partner to its collection of the same
    name, where it lets us write. `max_pages`: send at most this many envelopes in this run;
    `stop`: when set, the run ends after the envelope in hand."""
    budget = PageBudget(max_pages, stop)
    target = remote(database, partner_name, key_for_partner)
    server, _auth = target.server()
    checkpoints = Checkpoints.of(settings, target.name, "push")
    with database.session() as session:
        ours = shared_banks(session, target.name)
    result = PushResult(target.name)
    with remote_errors(target.url):
        for found in remote_collections(server):
            title = str(found.title)
            if title not in ours or not found.can_write or title in _names(result):
                continue
            pushed = PushedBank(title, str(found.id))
            result.banks.append(pushed)
            _push_bank(database, found, checkpoints, pushed, budget, page_size)
    return result


def _names(result: PushResult) -> set[str]:
    return {b.bank for b in result.banks}


def _push_bank(
    database: Database,
    found: RemoteCollection,
    checkpoints: Checkpoints,
    pushed: PushedBank,
    budget: PageBudget,
    page_size: int,
) -> None:
    """Send the bank's objects after its checkpoint, an envelope at a time, checkpointing each
    one the partner accepted, until none is left or the budget is spent."""
    at = checkpoints.get(pushed.bank)
    while budget.left():
        page = _local_page(database, pushed.bank, at, page_size)
        if page is None:  # a cursor this version no longer reads: redo this run (idempotent)
            at = Checkpoint(at.added_after, None, at.newest)
            continue
        if page.items:
            _send(found, page, pushed)
        newest = at.newest
        for _obj, added in page.items:
            newest = newer(newest, taxii.timestamp(added))
        if page.more and page.next:
            at = Checkpoint(at.added_after, page.next, newest)
        else:
            at = Checkpoint(newest, None, newest)
        checkpoints.save(pushed.bank, pushed.collection_id, at)
        pushed.pages += 1
        budget.spend()
        if not page.more:
            pushed.complete = True
            return


def _local_page(database: Database, bank: str, at: Checkpoint, page_size: int) -> taxii.Page | None:
    """The next page of the bank as our TAXII server serves it; empty for a bank deleted or
    turned red meanwhile; None when the checkpoint's cursor does not decode."""
    limit = min(page_size, taxii.MAX_LIMIT)
    try:
        wanted = taxii.object_filter(at.added_after, limit, at.next)
    except InputError:
        if at.next is None:
            raise
        return None
    with database.session() as session:
        try:
            info = BankRepository(session).get(bank)
        except NotFoundError:
            return taxii.Page()
        if info.tlp == RED:
            return taxii.Page()
        return taxii.objects_page(
            session, Collection(collection_id(bank), info, True, True), wanted
        )


def _send(found: RemoteCollection, page: taxii.Page, pushed: PushedBank) -> None:
    """POST one envelope and wait for the partner's status; InputError if it is not final."""
    status = found.add_objects(
        {"objects": page.objects}, poll_interval=1, timeout=STATUS_TIMEOUT_SECONDS
    )
    if status.status != "complete":
        raise InputError(
            f"the partner's server had not finished adding our objects after "
            f"{STATUS_TIMEOUT_SECONDS} s (status {status.id}: {status.status}); run `raqib sync` "
            "again later (objects sent twice are added once)"
        )
    pushed.objects_sent += len(page.items)
    pushed.accepted += int(status.success_count or 0)
    pushed.refused += int(status.failure_count or 0)
