"""Schema migrations: `raqib db upgrade` and the automatic upgrade on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from raqib.store.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "raqib.store:migrations"
# The newest migration; a test pins it to Alembic's own head. Checking it needs no Alembic
# import, which keeps every command's start-up fast.
SCHEMA_HEAD = "0008"


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
        return None if revision is None else str(revision)


def upgrade(database: Database, revision: str = "head") -> str | None:
    """Bring the schema up to `revision`; returns the revision now current."""
    from alembic import command

    config = _alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(database)


def ensure_schema(database: Database) -> None:
    """Upgrade only if the database is behind head (cheap when it is current)."""
    if current_revision(database) != SCHEMA_HEAD:
        upgrade(database)
