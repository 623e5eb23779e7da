"""`raqib sync [PARTNER]`: pull partners' TAXII collections into local banks, push our shared
banks to them, and send them our reviewers' feedback."""

from __future__ import annotations

from typing import Any

import typer

from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_json_line, print_table
from raqib.errors import InputError
from raqib.exchange import sync
from raqib.exchange.sync_runs import PartnerSync, SyncOptions, sync_lock, sync_partner

_COLUMNS = {
    "partner": "partner",
    "collection": "collection",
    "bank": "bank",
    "objects_seen": "objects seen",
    "added": "added",
    "already_present": "already present",
    "revoked": "revoked",
    "pushed": "pushed",
    "push_refused": "refused",
}


def sync_command(
    partner: str | None = typer.Argument(None, help="Sync only this partner (default: all)."),
    pull: bool = typer.Option(
        True, "--pull/--no-pull", help="Pull the partner's collections into banks."
    ),
    push: bool = typer.Option(
        True,
        "--push/--no-push",
        help="Push banks shared with the partner to its collections of the same name, and send "
        "it our feedback.",
    ),
    max_pages: int | None = typer.Option(
        None,
        "--max-pages",
        min=1,
        help="Pull and push at most N pages each way this run; the next run resumes.",
    ),
    page_size: int = typer.Option(
        sync.DEFAULT_PAGE_SIZE, "--page-size", min=1, help="Objects per request, each way."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON line per collection."),
) -> None:
    """Sync every partner with a TAXII URL (or the one named): per collection, objects seen,
    entries added, already present and revoked; objects pushed and refused by the partner."""
    if not pull and not push:
        raise InputError("--no-pull and --no-push leave nothing to do: drop one of them")
    context = AppContext.from_env()
    names = [partner] if partner else sync.partners_to_pull(context.database)
    if not names:
        raise InputError("no partner has a TAXII URL (`raqib partner add NAME --taxii URL`)")
    options = SyncOptions(pull=pull, push=push, max_pages=max_pages, page_size=page_size)
    runs: list[PartnerSync] = []
    with sync_lock(context.settings, wait=False) as free:
        if not free:
            info_line("another sync is running on this host (raqib serve?): waiting for it")
    with sync_lock(context.settings):
        for name in names:
            run = sync_partner(context.database, context.settings, context.registry, name, options)
            runs.append(run)
    _print(runs, json_out)


def _print(runs: list[PartnerSync], json_out: bool) -> None:
    rows: list[dict[str, Any]] = [row for run in runs for row in run.rows()]
    if json_out:
        for row in rows:
            print_json_line(row)
    else:
        table = [[row[key] for key in _COLUMNS] for row in rows]
        print_table("Sync", list(_COLUMNS.values()), table)
    for run in runs:
        if run.feedback is not None and (run.feedback.sent or run.feedback.failed):
            info_line(
                f"feedback to {run.partner}: {run.feedback.sent} sent, "
                f"{run.feedback.failed} failed (tried again next time)"
            )
    if not all(run.complete for run in runs):
        info_line("stopped early (--max-pages): run `raqib sync` again to resume")
