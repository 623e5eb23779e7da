"""`raqib key ...`: create, revoke and list API keys. A new key is printed once, alone."""

from __future__ import annotations

import sys
from datetime import timedelta

import typer

from raqib.auth import keys
from raqib.auth.principal import system_principal
from raqib.auth.users import role_or_error
from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_listing
from raqib.errors import InputError
from raqib.store.models import utcnow

app = typer.Typer(help="API keys: credentials for platforms and partners.", no_args_is_help=True)


@app.command("create")
def create(
    role: str = typer.Option(..., "--role", "-r", help="submitter, partner, reviewer, ..."),
    name: str = typer.Option("", "--name", "-n", help="What the key is for."),
    expires_days: float | None = typer.Option(
        None, "--expires-days", help="Days until the key expires (default: never)."
    ),
    rate: float | None = typer.Option(
        None, "--rate", help="Requests/s for this key (default: RAQIB_RATE_LIMIT)."
    ),
    partner: str | None = typer.Option(
        None, "--partner", help="The partner (required for partner)."
    ),
) -> None:
    """Create a key and print it alone on stdout; it cannot be shown again."""
    role = role_or_error(role)
    expires_at = None
    if expires_days is not None:
        if not expires_days > 0:
            raise InputError(f"--expires-days must be above 0, got {expires_days}")
        expires_at = utcnow() + timedelta(days=expires_days)
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        plaintext, view = keys.create_key(
            session, role, name, system_principal().actor, expires_at, rate, partner
        )
    sys.stdout.write(plaintext + "\n")
    sys.stdout.flush()
    info_line(f"created key {view.id} ({view.prefix}..., role {view.role}); it is shown only once")


@app.command("revoke")
def revoke(
    ref: str = typer.Argument(..., metavar="ID_OR_PREFIX", help="The key's id or prefix."),
) -> None:
    """Revoke a key. Running services refuse it within their key cache's lifetime (5 s)."""
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        view = keys.revoke_key(session, ref, system_principal().actor)
    info_line(f"revoked key {view.id} ({view.prefix}...)")


@app.command("list")
def list_command(
    json_out: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """List keys: id, prefix, role, state (never the keys themselves)."""
    context = AppContext.from_env()
    with context.database.session() as session:
        listed = keys.list_keys(session)
    fields = ["id", "prefix", "name", "role", "partner", "rate_limit", "state"]
    columns = ["id", "prefix", "name", "role", "partner", "rate", "state", "created", "expires"]
    print_listing(
        [view.as_dict() for view in listed],
        json_out,
        "API keys",
        columns,
        lambda r: (
            [r[f] for f in fields] + [_minute(r["created_at"]), _minute(r["expires_at"]) or "never"]
        ),
    )


def _minute(iso: str | None) -> str | None:
    """An ISO time cut to the minute, for tables (UTC)."""
    return iso[:16].replace("T", " ") if iso else None
