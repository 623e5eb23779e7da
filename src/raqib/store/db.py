"""Engines and sessions: SQLite under RAQIB_HOME by default (WAL), PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from raqib.config import Settings
from raqib.errors import RaqibError


class Database:
    """One engine and its session factory. `session()` is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = _create_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite a writing transaction takes the write lock when it begins (BEGIN IMMEDIATE):
        # one that read first and wrote later could fail at once if another wrote in between.
        self._write_sessions = sessionmaker(
            self.engine.execution_options(raqib_write=True), expire_on_commit=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        if not settings.database_url:
            settings.home.mkdir(parents=True, exist_ok=True)
        return cls(settings.effective_database_url)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error. `write=True`
        for a transaction that reads and then writes what it read (a claim, an audit event):
        PostgreSQL needs nothing more; SQLite then takes its write lock at the start."""
        session = (self._write_sessions if write else self._sessions)()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise RaqibError(f"database error: {str(exc.orig).strip()[:200]}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (_sqlite_begin), as its documentation advises for pysqlite,
    # whose own transaction handling would begin only before the first write.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("raqib_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
