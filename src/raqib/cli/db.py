"""`raqib db`: schema migrations."""

from __future__ import annotations

import typer

from raqib.cli.output import print_json_line
from raqib.config import Settings
from raqib.store import migrate
from raqib.store.db import Database

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Target revision."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    settings = Settings.from_env()
    database = Database.from_settings(settings)
    current = migrate.upgrade(database, revision)
    record = {"database": database.engine.url.render_as_string(), "revision": current}
    if json_out:
        print_json_line(record)
    else:
        typer.echo(f"database at revision {current}")
