"""`raqib quarantine ...`: the signals held for review because they flooded matches."""

from __future__ import annotations

import typer

from raqib.auth.principal import system_principal
from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_json_line, print_listing
from raqib.review import quarantine

app = typer.Typer(
    help="Signals held for review because they suddenly matched too many items.",
    no_args_is_help=True,
)


@app.command("list")
def list_command(
    state: str | None = typer.Option(None, "--state", help="open | released | revoked"),
    limit: int = typer.Option(
        100, "--limit", help=f"At most this many (1 to {quarantine.LIST_MAX})."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """List quarantined signals, open ones first."""
    context = AppContext.from_env()
    with context.database.session() as session:
        found = quarantine.list_quarantines(session, state, limit)
    columns = ["id", "state", "bank", "signal", "held items", "case", "quarantined", "reason"]
    print_listing(
        [q.as_dict() for q in found],
        json_out,
        "Quarantined signals",
        columns,
        lambda r: [
            r["id"],
            r["state"],
            r["bank"],
            f"{r['signal_type']} {r['value'][:24]}",
            r["held_items"],
            r["case_id"],
            str(r["quarantined_at"])[:16],
            r["reason"],
        ],
    )


@app.command("release")
def release_command(
    quarantine_id: int = typer.Argument(..., metavar="ID", help="The quarantine's id (see list)."),
    revoke: bool = typer.Option(
        False, "--revoke", help="Remove the entry from its bank instead of acting on it again."
    ),
    note: str = typer.Option("", "--note", help="Why (kept with the release and audited)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """End a quarantine: act on the signal's matches again, or (--revoke) remove its entry."""
    context = AppContext.from_env()
    action = "revoke" if revoke else "release"
    actor = system_principal().actor
    with context.database.session(write=True) as session:
        released = quarantine.release(session, quarantine_id, action, note, actor)
    if json_out:
        print_json_line(released.as_dict())
        return
    view = released.quarantine
    if revoke:
        info_line(
            f"quarantine {view.id}: removed {released.removed} entry from bank {view.bank} "
            f"({view.signal_type}); partners see the revocation"
        )
    else:
        info_line(f"quarantine {view.id} released: matches of entry {view.entry_id} act again")
