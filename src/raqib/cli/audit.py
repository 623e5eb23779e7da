"""`raqib audit verify|list`: check the audit chain; show recent events."""

from __future__ import annotations

import sys

import typer

from raqib.cli.context import AppContext
from raqib.cli.output import error_line, info_line, print_json_line
from raqib.review import audit

JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
app = typer.Typer(help="The audit trail: every change, chained by hash.", no_args_is_help=True)


@app.command("verify")
def verify(json_out: bool = JSON_OPTION) -> None:
    """Check every event's hash and link; exit 1 naming the first event edited, deleted or
    reordered."""
    context = AppContext.from_env()
    with context.database.session() as session:
        result = audit.verify(session)
    if json_out:
        print_json_line(
            {
                "ok": result.ok,
                "checked": result.checked,
                "head": result.head,
                "first_bad_id": result.first_bad_id,
                "problem": result.problem,
            }
        )
    elif result.ok:
        info_line(f"audit chain intact: {result.checked} events, head {result.head[:16]}")
    else:
        error_line(f"audit chain broken at event {result.first_bad_id}: {result.problem}")
    if not result.ok:
        sys.exit(1)


@app.command("list")
def list_events(
    after: int = typer.Option(0, "--after", help="Show events after this id."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    json_out: bool = JSON_OPTION,
) -> None:
    """Events in order, oldest first."""
    context = AppContext.from_env()
    with context.database.session() as session:
        found = audit.events(session, after, limit)
    for event in found:
        if json_out:
            print_json_line(event.as_dict())
        else:
            typer.echo(
                f"{event.id:>6}  {event.as_dict()['at']}  {event.actor:<16} {event.verb:<16} "
                f"{event.object_type}:{event.object_id}"
            )
