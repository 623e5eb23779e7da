"""Two Raqib instances on loopback: B pulls A's shared bank over TAXII 2.1 (`raqib sync`),
stopped after a page and resumed, with a checkpoint lost as in a crash before it was written —
ending with the same signals, nothing duplicated, and a second sync adding nothing."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from raqib import banking
from raqib.config import Settings
from raqib.exchange import partners
from raqib.exchange.sync import mirror_name, pull_partner
from raqib.records import NewEntry
from raqib.signals import SignalRegistry
from raqib.store.banks import BankRepository
from raqib.store.db import Database
from service_helpers import Service, own_database_url, run_service

RAQIB_BIN = Path(sys.executable).with_name("raqib")
BANK = "shared"
MIRROR = f"a-{BANK}"


@dataclass
class Instance:
    """Instance B: its settings, database and running service."""

    settings: Settings
    database: Database
    base: str

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
        env |= {"RAQIB_HOME": str(self.settings.home), "COLUMNS": "200"}
        env["RAQIB_DATABASE_URL"] = str(self.settings.database_url)
        return subprocess.run(
            [str(RAQIB_BIN), *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def instance_b(tmp_path: Path) -> Iterator[Instance]:
    """A second Raqib with its own home and database (of the kind the tests run on)."""
    with own_database_url(tmp_path, "b") as url:
        settings = Settings(home=tmp_path / "home-b", database_url=url, workers=1)
        with run_service(settings) as (base, _app):
            database = Database.from_settings(settings)
            yield Instance(settings, database, base)
            database.dispose()


def _share_from_a(service: Service) -> str:
    """A's green bank of 250 pdq + 1 md5 entries, shared with partner "b"; returns b's key."""
    rng = random.Random(11)
    entries = [NewEntry("pdq", f"{rng.getrandbits(256):064x}") for _ in range(250)]
    entries.append(NewEntry("md5", f"{rng.getrandbits(128):032x}"))
    with service.database.session(write=True) as session:
        banking.create_bank(session, "system:test", BANK, "synthetic bank", "green", False)
        banking.add_to_bank(session, "system:test", BANK, entries)
        key = partners.add_partner(session, "b", "system:test")[0]
        partners.share_bank(session, BANK, "b", "system:test")
    return key


def _signals(database: Database, bank: str) -> list[tuple[str, str]]:
    with database.session() as session:
        return sorted((e.signal_type, e.value) for e in BankRepository(session).entries(bank))


def test_pull_resumes_after_a_stop_and_a_lost_checkpoint(
    service: Service, instance_b: Instance, registry: SignalRegistry
) -> None:
    key = _share_from_a(service)
    b = instance_b
    with b.database.session(write=True) as session:
        partners.add_partner(session, "a", "system:test", f"{service.base}/taxii2/", key)

    def pull(max_pages: int | None = None) -> tuple[int, int, bool]:
        result = pull_partner(
            b.database, b.settings, registry, "a", max_pages=max_pages, page_size=100
        )
        (pulled,) = result.collections
        assert pulled.bank == MIRROR
        return pulled.added, pulled.already_present, result.complete

    assert pull(max_pages=1) == (100 - 3, 0, False)  # the first page opens with 3 common objects
    checkpoint = b.settings.home / "sync" / "a.json"
    after_first_page = checkpoint.read_text()
    assert json.loads(after_first_page)[partners.collection_id(BANK)]["next"]
    assert pull(max_pages=1) == (100, 0, False)
    checkpoint.write_text(after_first_page)  # as if we crashed before recording page 2
    assert pull() == (251 - 197, 100, True)  # page 2 again: already present, nothing twice
    expected = _signals(service.database, BANK)
    assert len(expected) == 251
    assert _signals(b.database, MIRROR) == expected
    with b.database.session() as session:
        assert BankRepository(session).get(MIRROR).tlp == "green"
    assert pull() == (0, 0, True)  # nothing new since the newest date added
    assert _signals(b.database, MIRROR) == expected


def test_sync_command_pulls_what_is_new(service: Service, instance_b: Instance) -> None:
    key = _share_from_a(service)
    b = instance_b
    added = b.run(
        "partner",
        "add",
        "a",
        "--taxii",
        f"{service.base}/taxii2/",
        "--remote-key-stdin",
        stdin=key + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().startswith("rqb_")  # the key A would use to reach B

    def sync(*args: str) -> dict[str, object]:
        done = b.run("sync", *args, "--page-size", "100", "--json")
        assert done.returncode == 0, done.stderr
        (line,) = done.stdout.splitlines()
        return dict(json.loads(line))

    first = sync("a", "--max-pages", "1")
    assert first["complete"] is False and first["bank"] == MIRROR
    rest = sync()
    assert rest["complete"] is True
    assert int(str(first["added"])) + int(str(rest["added"])) == 251
    assert _signals(b.database, MIRROR) == _signals(service.database, BANK)
    with service.database.session(write=True) as session:
        banking.add_to_bank(session, "system:test", BANK, [NewEntry("md5", "0" * 31 + "7")])
    again = sync("a")
    assert (again["objects_seen"], again["added"], again["already_present"]) == (1, 1, 0)
    assert len(_signals(b.database, MIRROR)) == 252

    wrong = b.run(
        "partner",
        "add",
        "c",
        "--taxii",
        f"{service.base}/taxii2/",
        "--remote-key-stdin",
        stdin="rqb_not_a_key\n",
    )
    assert wrong.returncode == 0, wrong.stderr
    refused = b.run("sync", "c")
    assert refused.returncode == 2
    assert "answered 401" in refused.stderr


def test_any_collection_title_gives_a_bank_name_of_its_own(database: Database) -> None:
    titles = ["shared", "a/b", "a\\b", "line\nbreak", "tab\there", " spaced ", "x" * 300, "a-b"]
    names = [mirror_name("partner", title) for title in titles]
    assert names[0] == "partner-shared" and names[-1] == "partner-a-b"
    assert len(set(names)) == len(names)  # "a/b" and "a-b" do not share a bank
    with database.session(write=True) as session:
        for name in names:
            assert (
                banking.create_bank(session, "system:test", name, "", "amber", False).name == name
            )
