"""Indicator lists in the database: replace is all-or-nothing and idempotent."""

from __future__ import annotations

import pytest

from raqib.errors import NotFoundError
from raqib.store.db import Database
from raqib.store.indicators import IndicatorRepository
from raqib.text.indicator_records import Indicator


def _indicators(count: int, entity: str = "PLACEHOLDER ENTITY") -> list[Indicator]:
    return [
        Indicator(name=f"placeholder name {n}", kind="entity", entity=entity, source="test")
        for n in range(count)
    ]


def test_replace_creates_then_replaces_contents(database: Database) -> None:
    with database.session() as session:
        info = IndicatorRepository(session).replace("team", _indicators(3), "jsonl", "ours")
    assert (info.name, info.count, info.origin, info.enabled) == ("team", 3, "jsonl", True)
    with database.session() as session:
        repo = IndicatorRepository(session)
        again = repo.replace("team", _indicators(2, "OTHER"), "jsonl")
        assert again.count == 2
        assert {i.entity for i in repo.indicators("team")} == {"OTHER"}
        assert repo.get("team").description == "ours"


def test_duplicates_in_one_import_are_stored_once(database: Database) -> None:
    with database.session() as session:
        info = IndicatorRepository(session).replace("dup", _indicators(2) * 3, "jsonl")
    assert info.count == 2


def test_a_failed_transaction_keeps_the_previous_contents(database: Database) -> None:
    with database.session() as session:
        IndicatorRepository(session).replace("kept", _indicators(4), "jsonl")
    with pytest.raises(RuntimeError), database.session() as session:
        IndicatorRepository(session).replace("kept", _indicators(1), "jsonl")
        raise RuntimeError("the import failed after the delete")
    with database.session() as session:
        assert IndicatorRepository(session).get("kept").count == 4


def test_disabled_lists_are_left_out_of_assessment(database: Database) -> None:
    with database.session() as session:
        repo = IndicatorRepository(session)
        repo.replace("a", _indicators(2, "A"), "jsonl")
        repo.replace("b", _indicators(3, "B"), "un")
        repo.set_enabled("b", False)
    with database.session() as session:
        repo = IndicatorRepository(session)
        assert {i.entity for i in repo.indicators()} == {"A"}
        assert len(repo.indicators("b")) == 3
        assert [i.name for i in repo.all()] == ["a", "b"]


def test_round_trip_keeps_every_field(database: Database) -> None:
    original = Indicator(
        name="0x52908400098527886e0f7030069857d2e4169ee7",
        kind="crypto_address",
        entity="PLACEHOLDER HOLDER",
        language="und",
        source="OFAC SDN (synthetic test)",
        weight=0.9,
        reference="OFAC SDN 1",
        chain="ETH",
    )
    with database.session() as session:
        IndicatorRepository(session).replace("one", [original], "ofac-csv")
    with database.session() as session:
        assert IndicatorRepository(session).indicators("one") == [original]


def test_unknown_lists_and_bad_names_say_what_to_do(database: Database) -> None:
    with database.session() as session:
        repo = IndicatorRepository(session)
        with pytest.raises(NotFoundError, match="raqib indicators list"):
            repo.get("missing")
        with pytest.raises(ValueError, match="letters, digits"):
            repo.replace("bad/name", [], "jsonl")
        repo.replace("empty", [], "jsonl")
        assert repo.delete("empty") == 0
        assert [i.name for i in repo.all()] == []
