"""Retention: purge the bytes of evidence whose retention period has ended.

A record is due when its `retain_until` has passed, it is not on legal hold and it was not
purged yet. Purging marks the record purged (the record and its chain of custody stay) and
appends an evidence.purge event, in one transaction; then, in a second one, the bytes are
deleted unless a record that is not purged (still kept, or held) names the same sha256. Bytes
are deleted only after the records are committed as purged, so a failed commit never loses
evidence; both steps hold the custody lock, so a capture of the same bytes cannot slip in
between the check and the delete.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import RaqibError
from raqib.evidence.records import OBJECT_TYPE, EvidenceView, custody_lock, view
from raqib.evidence.store import remove_bytes
from raqib.review import audit
from raqib.store.db import Database
from raqib.store.models import iso, utcnow
from raqib.store.models_service import EvidenceRecord

log = logging.getLogger("raqib.evidence")

PURGE_INTERVAL_SECONDS = 24 * 3600  # the service purges once a day
FIRST_PURGE_DELAY_SECONDS = 60.0  # ... the first time a minute after it starts
_BATCH = 500


@dataclass(frozen=True)
class PurgeReport:
    """What a purge did (or, with dry_run, would do): the records purged and the digests whose
    bytes were deleted (bytes still named by a record that is kept are not)."""

    records: tuple[EvidenceView, ...]
    deleted: tuple[str, ...]
    dry_run: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "purged": [record.as_dict() for record in self.records],
            "deleted_sha256": list(self.deleted),
        }


def due(session: Session, now: datetime, limit: int = _BATCH) -> list[EvidenceRecord]:
    """Records whose retention ended by `now`, not held, not purged, oldest deadline first."""
    query = (
        select(EvidenceRecord)
        .where(
            EvidenceRecord.purged_at.is_(None),
            EvidenceRecord.legal_hold.is_(False),
            EvidenceRecord.retain_until <= now,
        )
        .order_by(EvidenceRecord.retain_until, EvidenceRecord.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def purge(
    database: Database,
    settings: Settings,
    actor: str,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Purge every due record (see the module docstring), in batches; with `dry_run` change
    nothing and report what would be purged."""
    moment = now or utcnow()
    if dry_run:
        with database.session() as session:
            rows = due(session, moment, limit=1_000_000)
            would = tuple(view(row) for row in rows)
            gone = tuple(sorted({r.sha256 for r in would} - _kept(session, would)))
        return PurgeReport(would, gone, True)
    purged: list[EvidenceView] = []
    deleted: list[str] = []
    while batch := _mark_purged(database, actor, moment):
        purged.extend(batch)
        deleted.extend(_delete_unreferenced(database, settings, {r.sha256 for r in batch}))
    return PurgeReport(tuple(purged), tuple(sorted(set(deleted))), False)


def _mark_purged(database: Database, actor: str, now: datetime) -> list[EvidenceView]:
    """One batch of due records marked purged and audited, committed together."""
    with database.session(write=True) as session:
        custody_lock(session)
        rows = due(session, now)
        stamp = utcnow()
        for row in rows:
            row.purged_at = stamp
            session.flush()
            details = {
                "sha256": row.sha256,
                "size": int(row.size),
                "retain_until": iso(row.retain_until),
            }
            audit.append(session, actor, "evidence.purge", OBJECT_TYPE, int(row.id), details)
        return [view(row) for row in rows]


def _delete_unreferenced(database: Database, settings: Settings, digests: set[str]) -> list[str]:
    """Delete the bytes of each digest that no unpurged record names; the ones deleted."""
    with database.session(write=True) as session:
        custody_lock(session)
        still = set(
            session.scalars(
                select(EvidenceRecord.sha256).where(
                    EvidenceRecord.sha256.in_(digests), EvidenceRecord.purged_at.is_(None)
                )
            )
        )
        return [sha for sha in sorted(digests - still) if remove_bytes(settings, sha)]


def _kept(session: Session, records: tuple[EvidenceView, ...]) -> set[str]:
    """Digests among `records` that another, unpurged record outside `records` also names."""
    ids = {r.id for r in records}
    digests = {r.sha256 for r in records}
    if not digests:
        return set()
    rows = session.execute(
        select(EvidenceRecord.id, EvidenceRecord.sha256).where(
            EvidenceRecord.sha256.in_(digests), EvidenceRecord.purged_at.is_(None)
        )
    )
    return {row.sha256 for row in rows if row.id not in ids}


class RetentionWorker:
    """The service's daily purge (a thread, like webhook delivery): purges on a timer until
    stopped; a failed round is logged and tried again at the next one."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        interval: float = PURGE_INTERVAL_SECONDS,
        first_delay: float = FIRST_PURGE_DELAY_SECONDS,
    ) -> None:
        self.database = database
        self.settings = settings
        self.interval = interval
        self.first_delay = first_delay

    def run(self, stop: threading.Event) -> None:
        wait = self.first_delay
        while not stop.wait(wait):
            wait = self.interval
            try:
                report = purge(self.database, self.settings, "system:retention")
            except (RaqibError, SQLAlchemyError, OSError):
                log.exception("evidence purge failed; trying again at the next round")
                continue
            if report.records:
                log.info("evidence purge: %d records purged", len(report.records))
