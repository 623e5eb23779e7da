"""Shared fixtures: a real database per test (SQLite file, or a fresh PostgreSQL schema when
RAQIB_TEST_DATABASE is a PostgreSQL URL), settings, the CLI as a subprocess, synthetic media."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from raqib.auth.roles import ROLES
from raqib.config import Settings
from raqib.signals import SignalRegistry, default_registry
from raqib.store.db import Database
from raqib.store.migrate import upgrade
from service_helpers import Service, own_database_url, run_service

RAQIB_BIN = Path(sys.executable).with_name("raqib")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true a skipped test fails: CI must prove that everything ran."""
    report = yield
    if os.environ.get("CI") == "true" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run everything: {report.longrepr}"
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With RAQIB_TEST_DATABASE_ONLY=1 (the PostgreSQL run of `make test`), keep only the tests
    that use a database: the others ran, unchanged, in the SQLite run."""
    if os.environ.get("RAQIB_TEST_DATABASE_ONLY") != "1":
        return
    kept = [i for i in items if "database_url" in getattr(i, "fixturenames", ())]
    dropped = [i for i in items if "database_url" not in getattr(i, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with own_database_url(tmp_path, "raqib") as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url, workers=1)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    database = Database.from_settings(settings)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def registry() -> SignalRegistry:
    return default_registry()


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    """Runs the installed `raqib` command with this test's home and database."""

    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str | Path, stdin: str | None = None) -> CliResult:
        done = subprocess.run(
            [str(RAQIB_BIN), *map(str, args)],
            env=self.env,
            cwd=self.cwd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cli(settings: Settings, tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
    env["RAQIB_HOME"] = str(settings.home)
    if settings.database_url:
        env["RAQIB_DATABASE_URL"] = settings.database_url
    env["RAQIB_WORKERS"] = "2"
    env["COLUMNS"] = "200"
    return Cli(env, tmp_path)


@pytest.fixture
def service_settings(settings: Settings) -> Settings:
    """The settings `service` runs with; a test module may override this fixture."""
    return settings


@pytest.fixture
def service(service_settings: Settings) -> Iterator[Service]:
    """`raqib serve`'s app on a loopback port, with a key for every role."""
    database = Database.from_settings(service_settings)
    with run_service(service_settings) as (base, app):
        running = Service(base, app, service_settings, database)
        running.keys = {role: running.new_key(role) for role in ROLES}
        yield running
    database.dispose()
