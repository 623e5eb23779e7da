"""A change numbered below a snapshot that commits after the snapshot was saved (PostgreSQL
hands out numbers before commit) is still applied when the index is opened again."""

from __future__ import annotations

from sqlalchemy import text

from raqib.config import Settings
from raqib.index.snapshots import open_hamming_index
from raqib.records import NewEntry
from raqib.store.banks import BankRepository
from raqib.store.db import Database


def _hex(n: int) -> str:
    return f"{n:064x}"


def test_late_change_below_the_snapshot_number_is_applied(
    database: Database, settings: Settings
) -> None:
    directory = settings.index_dir / "pdq"
    with database.session() as session:
        repo = BankRepository(session)
        repo.create("b")
        repo.add_entries("b", [NewEntry("pdq", _hex(n)) for n in range(1, 2101)])
        top = int(session.scalar(text("SELECT max(seq) FROM index_changes")) or 0)
        # a gap below the next number: numbers taken by a transaction not yet committed
        session.execute(
            text("UPDATE index_changes SET seq = :new WHERE seq = :old"),
            {"new": top + 100, "old": top},
        )
    with database.session() as session:
        first = open_hamming_index(session, directory, "pdq")  # builds and saves seq-(top+100)
        assert len(first) == 2100
    assert (directory / f"seq-{top + 100}").is_dir()
    with database.session() as session:  # the late transaction commits, under number top+50
        added = BankRepository(session).add_entries("b", [NewEntry("pdq", _hex(999_999))])
        session.execute(
            text("UPDATE index_changes SET seq = :late WHERE entry_id = :entry"),
            {"late": top + 50, "entry": added.added_ids[0]},
        )
    with database.session() as session:
        reopened = open_hamming_index(session, directory, "pdq")
        hits = reopened.query(_hex(999_999), 0)
    assert [entry_id for entry_id, _ in hits] == [added.added_ids[0]]
