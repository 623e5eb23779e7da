"""Several Raqib instances on loopback for sync tests: each its own home, its own database (a
SQLite file, or a fresh PostgreSQL schema when RAQIB_TEST_DATABASE is a PostgreSQL URL) and its
own running service, with the `raqib` CLI run as a subprocess against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raqib import banking
from raqib.auth.keys import create_key
from raqib.config import Settings
from raqib.exchange import partners
from raqib.records import NewEntry
from raqib.signals import Signal
from raqib.store.banks import BankRepository
from raqib.store.db import Database
from service_helpers import run_service

RAQIB_BIN = Path(sys.executable).with_name("raqib")
ACTOR = "system:test"


@dataclass
class Instance:
    """One running Raqib: its name, settings, database and base URL."""

    name: str
    settings: Settings
    database: Database
    base: str

    @property
    def taxii_url(self) -> str:
        return f"{self.base}/taxii2/"

    @property
    def partner_name(self) -> str:
        """How the other instances name this one as a partner."""
        return f"org-{self.name}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
        env |= {"RAQIB_HOME": str(self.settings.home), "COLUMNS": "200"}
        env["RAQIB_DATABASE_URL"] = str(self.settings.database_url)
        return env

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `raqib ARGS` against this instance; the caller checks the outcome."""
        return subprocess.run(
            [str(RAQIB_BIN), *args],
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        """Run `raqib ARGS`, insist it succeeds, and return its stdout."""
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"raqib {' '.join(args)}: {done.stderr}"
        return done.stdout

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(RAQIB_BIN), *args],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def fill(self, bank: str, entries: Sequence[NewEntry], tlp: str = "green") -> None:
        """Create `bank` (unless it exists) and add the entries."""
        with self.database.session(write=True) as session:
            if bank not in {b.name for b in BankRepository(session).all()}:
                banking.create_bank(session, ACTOR, bank, "synthetic bank", tlp, False)
            banking.add_to_bank(session, ACTOR, bank, entries)

    def remove(self, bank: str, signal_type: str, value: str) -> None:
        """`raqib bank remove BANK 'TYPE VALUE'`, through the library."""
        with self.database.session(write=True) as session:
            assert banking.remove_from_bank(session, ACTOR, bank, Signal(signal_type, value)) == 1

    def signals(self, bank: str) -> list[tuple[str, str]]:
        """The bank's (signal type, value) pairs, sorted, one per entry (so repeats show)."""
        with self.database.session() as session:
            return sorted((e.signal_type, e.value) for e in BankRepository(session).entries(bank))

    def bank_names(self) -> set[str]:
        with self.database.session() as session:
            return {b.name for b in BankRepository(session).all()}


@contextmanager
def running(tmp_path: Path, name: str, database_url: str, **settings: Any) -> Iterator[Instance]:
    """Instance `name` served on a loopback port until the block ends."""
    configured = Settings(
        home=tmp_path / f"home-{name}", database_url=database_url, workers=1, **settings
    )
    with run_service(configured) as (base, _app):
        database = Database.from_settings(configured)
        try:
            yield Instance(name, configured, database, base)
        finally:
            database.dispose()


def connect(first: Instance, second: Instance) -> None:
    """Make each instance a partner of the other, with its TAXII URL and key, the way
    docs/sharing.md tells two organisations to: the first creates a partner key for the second,
    the second adds the first as a partner with that key (and prints a key for it), the first
    adds the second with that key."""
    key_for_second = first.ok(
        "key", "create", "--role", "partner", "--partner", second.partner_name
    ).strip()
    key_for_first = second.ok(
        "partner",
        "add",
        first.partner_name,
        "--taxii",
        first.taxii_url,
        "--remote-key-stdin",
        stdin=key_for_second + "\n",
    ).strip()
    first.ok(
        "partner",
        "add",
        second.partner_name,
        "--taxii",
        second.taxii_url,
        "--remote-key-stdin",
        stdin=key_for_first + "\n",
    )


def connect_quickly(first: Instance, second: Instance) -> None:
    """What `connect` does, through the library (no CLI start-up time)."""
    with first.database.session(write=True) as session:
        key_for_second = create_key(session, "partner", "test", ACTOR, partner=second.partner_name)[
            0
        ]
    with second.database.session(write=True) as session:
        key_for_first = partners.add_partner(
            session, first.partner_name, ACTOR, first.taxii_url, key_for_second
        )[0]
    with first.database.session(write=True) as session:
        partners.add_partner(session, second.partner_name, ACTOR, second.taxii_url, key_for_first)


def share(owner: Instance, bank: str, reader: Instance, write: bool = False) -> None:
    """`raqib bank share BANK PARTNER [--write]` on the owner, through the library."""
    with owner.database.session(write=True) as session:
        partners.share_bank(session, bank, reader.partner_name, ACTOR, write)
