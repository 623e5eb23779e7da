"""The audit chain: appends link, and verify names the first edited, deleted or reordered event."""

from __future__ import annotations

import threading

from sqlalchemy import text

from raqib.review import audit
from raqib.store.db import Database


def _append_three(database: Database) -> None:
    for n in range(3):
        with database.session(write=True) as session:
            audit.append(session, "user:alice", "bank.create", "bank", f"b{n}", {"n": n})


def test_untouched_chain_verifies(database: Database) -> None:
    _append_three(database)
    with database.session() as session:
        result = audit.verify(session)
        listed = audit.events(session)
    assert result.ok and result.checked == 3
    assert [e.object_id for e in listed] == ["b0", "b1", "b2"]
    assert listed[1].prev_hash == listed[0].hash and listed[0].prev_hash == audit.GENESIS
    assert result.head == listed[-1].hash


def test_edited_event_is_named(database: Database) -> None:
    _append_three(database)
    with database.session() as session:
        session.execute(text("UPDATE audit_events SET actor = 'user:mallory' WHERE id = 2"))
    with database.session() as session:
        result = audit.verify(session)
    assert not result.ok and result.first_bad_id == 2 and "changed" in result.problem


def test_deleted_event_is_named(database: Database) -> None:
    _append_three(database)
    with database.session() as session:
        session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    with database.session() as session:
        result = audit.verify(session)
    assert not result.ok and result.first_bad_id == 3 and result.checked == 1


def test_reordered_events_are_named(database: Database) -> None:
    _append_three(database)
    with database.session() as session:
        rows = session.execute(text("SELECT id, details FROM audit_events ORDER BY id")).all()
        session.execute(
            text("UPDATE audit_events SET details = :d WHERE id = 1"), {"d": rows[1].details}
        )
        session.execute(
            text("UPDATE audit_events SET details = :d WHERE id = 2"), {"d": rows[0].details}
        )
    with database.session() as session:
        result = audit.verify(session)
    assert not result.ok and result.first_bad_id == 1


def test_concurrent_appends_keep_one_chain(database: Database) -> None:
    def worker(n: int) -> None:
        for k in range(5):
            with database.session(write=True) as session:
                audit.append(session, f"key:{n}", "entry.add", "entry", f"{n}-{k}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with database.session() as session:
        result = audit.verify(session)
    assert result.ok and result.checked == 20
