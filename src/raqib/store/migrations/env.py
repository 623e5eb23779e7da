"""Alembic environment: runs on the connection raqib.store.migrate passes in."""

from __future__ import annotations

from alembic import context

from raqib.store import models_service  # noqa: F401  (registers the service tables)
from raqib.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
