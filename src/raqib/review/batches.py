"""Asynchronous batches of text items (POST /items/batch): stored as a job, worked through by a
background thread of the service, results kept on the job for the submitter to fetch."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from raqib.config import Settings
from raqib.errors import InputError, NotFoundError, RaqibError
from raqib.review.intake import SignalMatcher, assess_text, case_text, item_meta, submit
from raqib.store.db import Database
from raqib.store.models import iso as _iso
from raqib.store.models import utcnow
from raqib.store.models_service import Job

if TYPE_CHECKING:
    from raqib.text.assess import TextAnalyzer

MAX_BATCH = 1000


def create_job(database: Database, items: list[dict[str, Any]], owner: str) -> str:
    """Check the items (text and metadata) and queue them as one job; returns its id."""
    if not items:
        raise InputError("items is empty")
    if len(items) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} items per batch (got {len(items)})")
    for number, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise InputError(f"items[{number}] needs a `text` string")
        item_meta(item)
    job_id = str(uuid.uuid4())
    with database.session() as session:
        session.add(Job(id=job_id, kind="items", owner=owner, total=len(items), request=items))
    return job_id


def job_status(database: Database, job_id: str, owner: str | None) -> dict[str, Any]:
    """The job's state and, once done, its results. `owner` None: any owner (admins)."""
    with database.session() as session:
        job = session.get(Job, job_id)
        if job is None or (owner is not None and job.owner != owner):
            raise NotFoundError(f"no job {job_id}")
        return {
            "job_id": job.id,
            "state": job.state,
            "total": job.total,
            "done": job.done,
            "results": job.results if job.state == "done" else [],
            "error": job.error,
            "created_at": _iso(job.created_at),
            "finished_at": _iso(job.finished_at),
        }


def requeue_running(database: Database) -> int:
    """Jobs left `running` by a process that stopped mid-way go back to the queue (a job's
    items are assessed again; cases already opened for them are opened again, which a
    reviewer sees as duplicates of the same item: acceptable for a crash, and rare)."""
    with database.session() as session:
        result = session.execute(update(Job).where(Job.state == "running").values(state="queued"))
        return int(result.rowcount)  # type: ignore[attr-defined]


class JobRunner:
    """Works through queued jobs one at a time; several runners never take the same job."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        analyzer: Callable[[], TextAnalyzer],
        matcher: SignalMatcher,
    ) -> None:
        self.database = database
        self.settings = settings
        self.analyzer = analyzer
        self.matcher = matcher

    def run(
        self, stop: threading.Event, wake: threading.Event | None = None, idle: float = 0.5
    ) -> None:
        """Work until `stop` is set; when idle, wait `idle` seconds or until `wake` is set."""
        wake = wake or threading.Event()
        while not stop.is_set():
            if not self.run_once():
                wake.wait(idle)
                wake.clear()

    def run_once(self) -> bool:
        job = self._take()
        if job is None:
            return False
        job_id, owner, items = job
        try:
            results = [self._one(item, owner) for item in items]
        except RaqibError as exc:
            self._finish(job_id, "failed", [], str(exc))
        else:
            self._finish(job_id, "done", results, "")
        return True

    def _take(self) -> tuple[str, str, list[dict[str, Any]]] | None:
        with self.database.session(write=True) as session:
            job = session.scalars(
                select(Job).where(Job.state == "queued").order_by(Job.created_at).limit(1)
            ).first()
            if job is None:
                return None
            taken = session.execute(
                update(Job).where(Job.id == job.id, Job.state == "queued").values(state="running")
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return job.id, job.owner, list(job.request)

    def _one(self, item: dict[str, Any], owner: str) -> dict[str, Any]:
        meta = item_meta(item)
        finding = assess_text(item["text"], meta, self.settings, self.analyzer(), self.matcher)
        meta["text"] = case_text(item["text"])
        return submit(self.database, finding, meta, owner, settings=self.settings).as_dict()

    def _finish(self, job_id: str, state: str, results: list[Any], error: str) -> None:
        with self.database.session() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    state=state,
                    results=results,
                    done=len(results),
                    error=error,
                    finished_at=utcnow(),
                )
            )
