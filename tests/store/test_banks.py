from __future__ import annotations

from pathlib import Path

import pytest

from raqib.banking import import_list
from raqib.errors import ConflictError, ImportFormatError, NotFoundError
from raqib.exchange.formats import ListFormat
from raqib.records import Labels, NewEntry
from raqib.signals import SignalRegistry
from raqib.store.banks import BankRepository
from raqib.store.changes import changes_since
from raqib.store.db import Database
from raqib.store.migrate import current_revision, head_revision

A, B = "a" * 64, "b" * 64


def test_migrations_reach_head(database: Database) -> None:
    assert current_revision(database) == head_revision() is not None


def test_create_list_update_delete(database: Database) -> None:
    with database.session() as session:
        repo = BankRepository(session)
        repo.create("known", "known media", "amber+strict")
        repo.create("benign", tlp="TLP:CLEAR", allow_list=True)
        with pytest.raises(ConflictError):
            repo.create("known")
        with pytest.raises(ValueError, match="TLP"):
            repo.create("x", tlp="purple")
    with database.session() as session:
        repo = BankRepository(session)
        assert [(b.name, b.tlp, b.allow_list) for b in repo.all()] == [
            ("benign", "clear", True),
            ("known", "amber+strict", False),
        ]
        updated = repo.update("known", enabled=False, thresholds={"pdq": 20})
        assert not updated.enabled and updated.threshold("pdq", 31) == 20
        repo.delete("benign")
        with pytest.raises(NotFoundError, match="bank list"):
            repo.get("benign")


def test_adding_is_idempotent_and_logs_changes(database: Database) -> None:
    entries = [NewEntry("pdq", A, Labels(entity="ISIS", tier=1)), NewEntry("pdq", B)]
    with database.session() as session:
        repo = BankRepository(session)
        repo.create("k")
        first = repo.add_entries("k", entries)
        second = repo.add_entries("k", entries)
        assert (first.added, second.added, second.already_present) == (2, 0, 2)
        assert repo.remove_signal("k", "pdq", A) == 1
        assert [e.value for e in repo.entries("k")] == [B]
        log = changes_since(session, "pdq", 0)
        assert [c.op for c in log] == ["add", "add", "remove"]


def test_the_same_signal_may_sit_in_two_banks(database: Database) -> None:
    with database.session() as session:
        repo = BankRepository(session)
        repo.create("one")
        repo.create("two")
        repo.add_entries("one", [NewEntry("pdq", A)])
        repo.add_entries("two", [NewEntry("pdq", A)])
        assert sorted(e.bank for e, _ in repo.find_exact("pdq", A)) == ["one", "two"]


def test_import_is_all_or_nothing_and_idempotent(
    database: Database, registry: SignalRegistry, tmp_path: Path
) -> None:
    good = tmp_path / "good.te"
    good.write_text(f"pdq {A}\npdq {B}\n")
    bad = tmp_path / "bad.te"
    bad.write_text(f"pdq {'c' * 64}\npdq nothex\n")
    with database.session() as session:
        BankRepository(session).create("k")
        assert import_list(session, "k", good, ListFormat.TE, registry, "system:test").added == 2
    with pytest.raises(ImportFormatError, match="line 2"), database.session() as session:
        import_list(session, "k", bad, ListFormat.TE, registry, "system:test")
    with database.session() as session:
        assert import_list(session, "k", good, ListFormat.TE, registry, "system:test").added == 0
        assert BankRepository(session).get("k").entry_count == 2
