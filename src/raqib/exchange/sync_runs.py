"""One whole sync with a partner (pull, push, feedback), the lock that keeps syncs one at a time
on a host, and the scheduled sync `raqib serve` runs every RAQIB_SYNC_INTERVAL_SECONDS.

The lock is an fcntl.flock on <home>/sync/sync.lock: `raqib sync` waits for it, the scheduled
sync skips a round while another process holds it, so with several uvicorn workers (each with its
own scheduler) one syncs and the others skip. The kernel drops the lock of a killed process."""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raqib.auth.principal import system_principal
from raqib.config import Settings
from raqib.errors import RaqibError
from raqib.exchange.feedback_push import FeedbackResult, push_feedback
from raqib.exchange.push import PushResult, push_partner
from raqib.exchange.sync import DEFAULT_PAGE_SIZE, SyncResult, partners_to_pull, pull_partner
from raqib.review import audit
from raqib.signals import SignalRegistry
from raqib.store.db import Database

logger = logging.getLogger(__name__)

RUN_VERB = "sync.run"
LOCK_NAME = "sync.lock"
STAMP_NAME = "scheduled.stamp"


@dataclass
class PartnerSync:
    """What one sync did with one partner: the pull, the push and the feedback sent (None for
    a direction left out)."""

    partner: str
    pulled: SyncResult | None = None
    pushed: PushResult | None = None
    feedback: FeedbackResult | None = None

    @property
    def complete(self) -> bool:
        return all(r.complete for r in (self.pulled, self.pushed) if r is not None)

    def rows(self) -> list[dict[str, Any]]:
        """One row per partner collection, both directions: pulled objects and entries added,
        already present and revoked; objects pushed and those the partner refused."""
        rows: dict[str, dict[str, Any]] = {}
        for c in self.pulled.collections if self.pulled else []:
            rows[c.collection_id] = _row(self.partner, c.title, c.bank) | {
                "objects_seen": c.objects_seen,
                "added": c.added,
                "already_present": c.already_present,
                "revoked": c.revoked,
                "complete": c.complete,
            }
        for b in self.pushed.banks if self.pushed else []:
            row = rows.setdefault(b.collection_id, _row(self.partner, b.bank, b.bank))
            row["pushed"], row["push_refused"] = b.objects_sent, b.refused
            row["complete"] = row["complete"] and b.complete
        return list(rows.values())

    def summary(self) -> dict[str, Any]:
        """The run's figures for the audit trail."""
        return {
            "complete": self.complete,
            "collections": self.rows(),
            "feedback": vars(self.feedback) if self.feedback else None,
        }


def _row(partner: str, collection: str, bank: str) -> dict[str, Any]:
    return {
        "partner": partner,
        "collection": collection,
        "bank": bank,
        "objects_seen": 0,
        "added": 0,
        "already_present": 0,
        "revoked": 0,
        "pushed": 0,
        "push_refused": 0,
        "complete": True,
    }


@dataclass(frozen=True)
class SyncOptions:
    """What a sync does: pull and/or push (pushing includes feedback), how many pages at most
    each way (None: all), how many objects per page, and an event that ends it between pages."""

    pull: bool = True
    push: bool = True
    max_pages: int | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    stop: threading.Event | None = None


def sync_partner(
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
    partner: str,
    options: SyncOptions = SyncOptions(),
) -> PartnerSync:
    """Pull from, then push to, one partner, then send it our feedback."""
    run = PartnerSync(partner)
    if options.pull:
        run.pulled = pull_partner(
            database,
            settings,
            registry,
            partner,
            max_pages=options.max_pages,
            page_size=options.page_size,
            stop=options.stop,
        )
    if options.push:
        run.pushed = push_partner(
            database,
            settings,
            partner,
            max_pages=options.max_pages,
            page_size=options.page_size,
            stop=options.stop,
        )
        run.feedback = push_feedback(database, partner)
    return run


@contextmanager
def sync_lock(settings: Settings, wait: bool = True) -> Iterator[bool]:
    """Hold the host's sync lock for the block; yields False (without it) when `wait` is False
    and another process holds it."""
    path = settings.home / "sync" / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class SyncScheduler:
    """The service's scheduled sync: every `settings.sync_interval_seconds`, every partner with
    a TAXII URL is synced (pull, push, feedback) and the run recorded in the audit trail; a
    partner's failure is logged and recorded, and the next partner goes on."""

    database: Database
    settings: Settings
    registry: SignalRegistry
    runs: int = field(default=0, init=False)  # rounds this scheduler ran (not skipped)

    def run(self, stop: threading.Event) -> None:
        """Sync every interval until `stop` is set; never raises."""
        interval = self.settings.sync_interval_seconds
        while not stop.wait(interval):
            try:
                self.run_once(stop)
            except Exception:  # the loop must outlive any failure; it is logged with its trace
                logger.exception("scheduled sync failed")

    def run_once(self, stop: threading.Event | None = None) -> list[dict[str, Any]] | None:
        """One round (None when another process is syncing, or finished a round less than half
        an interval ago): per partner, what the audit trail recorded."""
        with sync_lock(self.settings, wait=False) as held:
            if not held or self._ran_recently():
                return None
            options = SyncOptions(stop=stop)
            recorded = [self._sync(name, options) for name in partners_to_pull(self.database)]
            self._stamp().touch()
            self.runs += 1
            return recorded

    def _stamp(self) -> Path:
        """A file whose mtime is when the last scheduled round on this host ended."""
        return self.settings.home / "sync" / STAMP_NAME

    def _ran_recently(self) -> bool:
        try:
            age = time.time() - self._stamp().stat().st_mtime
        except FileNotFoundError:
            return False
        return 0 <= age < self.settings.sync_interval_seconds / 2

    def _sync(self, partner: str, options: SyncOptions) -> dict[str, Any]:
        """Sync one partner and record the outcome ("sync.run" in the audit trail)."""
        started = time.monotonic()
        try:
            run = sync_partner(self.database, self.settings, self.registry, partner, options)
            details: dict[str, Any] = {"ok": True, **run.summary()}
        except RaqibError as exc:
            logger.warning("scheduled sync with %s failed: %s", partner, exc)
            details = {"ok": False, "error": str(exc)}
        except Exception as exc:  # a partner's bad answer must not stop the others
            logger.exception("scheduled sync with %s failed", partner)
            details = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        details["seconds"] = round(time.monotonic() - started, 3)
        actor = system_principal("sync").actor
        with self.database.session(write=True) as session:
            audit.append(session, actor, RUN_VERB, "partner", partner, details)
        return details
