"""`raqib sync [PARTNER]`: pull partners' TAXII collections into local banks."""

from __future__ import annotations

import typer

from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_json_line, print_table
from raqib.errors import InputError
from raqib.exchange import sync


def sync_command(
    partner: str | None = typer.Argument(None, help="Pull only this partner (default: all)."),
    max_pages: int | None = typer.Option(
        None, "--max-pages", min=1, help="Pull at most N pages this run; the next run resumes."
    ),
    page_size: int = typer.Option(
        sync.DEFAULT_PAGE_SIZE, "--page-size", min=1, help="Objects asked for per request."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON line per collection."),
) -> None:
    """Pull every partner with a TAXII URL (or the one named): per collection, objects seen,
    entries added and entries already present."""
    context = AppContext.from_env()
    names = [partner] if partner else sync.partners_to_pull(context.database)
    if not names:
        raise InputError("no partner has a TAXII URL (`raqib partner add NAME --taxii URL`)")
    rows: list[dict[str, object]] = []
    for name in names:
        result = sync.pull_partner(
            context.database,
            context.settings,
            context.registry,
            name,
            max_pages=max_pages,
            page_size=page_size,
        )
        rows.extend(
            {
                "partner": result.partner,
                "collection": c.title,
                "bank": c.bank,
                "objects_seen": c.objects_seen,
                "added": c.added,
                "already_present": c.already_present,
                "complete": c.complete,
            }
            for c in result.collections
        )
    if json_out:
        for row in rows:
            print_json_line(row)
    else:
        columns = ["partner", "collection", "bank", "objects seen", "added", "already present"]
        keys = ["partner", "collection", "bank", "objects_seen", "added", "already_present"]
        print_table("Sync", columns, [[row[k] for k in keys] for row in rows])
    if not all(row["complete"] for row in rows):
        info_line("stopped early (--max-pages): run `raqib sync` again to resume")
