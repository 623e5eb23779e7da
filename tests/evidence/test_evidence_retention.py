"""Retention: expired evidence loses its bytes (not its record or custody), the purge is
audited and the chain still verifies; legal hold and shared bytes are respected; the dry run
changes nothing; the service's daily worker purges."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from evidence_helpers import case_with_media, expire

from conftest import Cli
from raqib.config import Settings
from raqib.errors import ConflictError
from raqib.evidence.preserve import preserve_case, preserve_file
from raqib.evidence.records import custody, get_evidence, set_hold
from raqib.evidence.retention import RetentionWorker, purge
from raqib.evidence.store import evidence_path
from raqib.review import audit
from raqib.store.db import Database


def _preserve(database: Database, settings: Settings, folder: Path, n: int) -> list[int]:
    case_id, _ = case_with_media(database, settings, folder, n)
    with database.session(write=True) as session:
        return [r.id for r in preserve_case(session, settings, case_id, "user:a", "synthetic")]


def test_purge_after_expiry_deletes_bytes_keeps_the_record_and_audits(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _preserve(database, settings, tmp_path, 1)
    kept = _preserve(database, settings, tmp_path, 2)
    with database.session() as session:
        digests = [get_evidence(session, i).record.sha256 for i in ids]
    assert purge(database, settings, "system:test").records == ()  # nothing expired yet
    expire(database, *ids)
    report = purge(database, settings, "system:test")
    assert sorted(r.id for r in report.records) == sorted(ids)
    assert sorted(report.deleted) == sorted(digests)
    for digest in digests:
        assert not evidence_path(settings, digest).exists()
    with database.session() as session:
        for evidence_id in ids:
            detail = get_evidence(session, evidence_id)
            assert detail.record.purged_at is not None
            assert [e.verb for e in detail.custody] == ["evidence.capture", "evidence.purge"]
            assert detail.custody[1].actor == "system:test"
        for evidence_id in kept:
            assert get_evidence(session, evidence_id).record.purged_at is None
        result = audit.verify(session)
    assert result.ok, result.problem
    assert purge(database, settings, "system:test").records == ()  # purged once only


def test_legal_hold_prevents_purge_until_released(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _preserve(database, settings, tmp_path, 3)
    with database.session(write=True) as session:
        held = set_hold(session, ids[1], "user:admin", True, "synthetic legal request 7")
        assert set_hold(session, ids[1], "user:admin", True).legal_hold  # no second event
    assert held.legal_hold
    expire(database, *ids)
    report = purge(database, settings, "system:test")
    assert [r.id for r in report.records] == [ids[0]]
    assert evidence_path(settings, held.sha256).is_file()
    with database.session(write=True) as session:
        set_hold(session, ids[1], "user:admin", False, "request closed")
    assert [r.id for r in purge(database, settings, "system:test").records] == [ids[1]]
    assert not evidence_path(settings, held.sha256).exists()
    with database.session() as session:
        verbs = [e.verb for e in custody(session, ids[1])]
    assert verbs == ["evidence.capture", "evidence.hold", "evidence.release", "evidence.purge"]
    with database.session(write=True) as session, pytest.raises(ConflictError, match="purged"):
        set_hold(session, ids[1], "user:admin", True)


def test_bytes_named_by_an_unexpired_record_are_kept(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "shared.txt"
    path.write_text("synthetic shared bytes\n", encoding="utf-8")
    with database.session(write=True) as session:
        old = preserve_file(session, settings, path, "system:cli", "", "forum", "p-1")
        new = preserve_file(session, settings, path, "system:cli", "", "forum", "p-2")
    assert old.sha256 == new.sha256
    expire(database, old.id)
    dry = purge(database, settings, "system:test", dry_run=True)
    assert [r.id for r in dry.records] == [old.id] and dry.deleted == ()
    report = purge(database, settings, "system:test")
    assert [r.id for r in report.records] == [old.id] and report.deleted == ()
    assert evidence_path(settings, new.sha256).is_file()
    expire(database, new.id)
    assert purge(database, settings, "system:test").deleted == (new.sha256,)
    assert not evidence_path(settings, new.sha256).exists()


def test_the_dry_run_changes_nothing_and_the_cli_purges(
    cli: Cli, database: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _preserve(database, settings, tmp_path, 4)
    expire(database, *ids)
    dry = cli("evidence", "purge", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert f"would purge evidence {ids[0]}" in dry.stdout
    with database.session() as session:
        assert all(get_evidence(session, i).record.purged_at is None for i in ids)
        assert len(custody(session, ids[0])) == 1
    done = cli("evidence", "purge")
    assert done.code == 0, done.stderr
    assert f"purged evidence {ids[0]}" in done.stdout and "purged 2 records" in done.stderr
    listed = cli("evidence", "list", "--purged", "--json")
    assert len(listed.stdout.splitlines()) == 2
    assert cli("audit", "verify").code == 0


def test_the_retention_worker_purges_on_its_timer(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _preserve(database, settings, tmp_path, 5)
    expire(database, *ids)
    stop = threading.Event()
    worker = RetentionWorker(database, settings, interval=3600, first_delay=0.01)
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        for _ in range(500):
            with database.session() as session:
                if all(get_evidence(session, i).record.purged_at for i in ids):
                    break
            stop.wait(0.02)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    with database.session() as session:
        assert all(get_evidence(session, i).record.purged_at is not None for i in ids)
        assert custody(session, ids[0])[-1].actor == "system:retention"
