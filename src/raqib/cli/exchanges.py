"""`raqib exchange list|fetch`: python-threatexchange exchanges into banks; `raqib iocs`:
indicators of compromise from a scan's findings as STIX 2.1, MISP or CSV."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_json_line, print_listing, stderr
from raqib.exchange import iocs

if TYPE_CHECKING:  # python-threatexchange is imported only by the commands that use it
    from raqib.exchange.te_source import FetchResult
    from raqib.exchange.te_source import Progress as ProgressCallback

app = typer.Typer(
    help="python-threatexchange exchanges (ThreatExchange, NCMEC, StopNCII, Tech Against "
    "Terrorism, local file): fetch their signals into banks.",
    no_args_is_help=True,
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


@app.command("list")
def list_command(json_out: bool = JSON_OPTION) -> None:
    """The exchange kinds, what --collab means for each, and whether credentials are set."""
    from raqib.exchange import te_kinds

    records = [info.as_dict() for info in te_kinds.exchange_infos()]
    print_listing(
        records,
        json_out,
        "Exchanges",
        ["exchange", "credentials", "configured", "--collab", "what"],
        lambda r: [
            r["name"],
            r["credentials"] or "none needed",
            r["configured"] or f"no (set {r['environment']} or pass --credentials FILE)",
            r["collab"],
            r["description"],
        ],
    )


@app.command("fetch")
def fetch_command(
    kind: str = typer.Argument(..., help="file, tat, ncmec, stopncii or threatexchange."),
    bank: str = typer.Option(..., "--bank", "-b", help="Bank to fill (created if missing)."),
    collab: str = typer.Option(
        None, "--collab", help="The collaboration (see `raqib exchange list`)."
    ),
    file: Path = typer.Option(None, "--file", help="The file exchange's list of signals."),
    credentials: Path = typer.Option(
        None, "--credentials", help="A file holding the exchange's credentials."
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Fetch an exchange into a bank: adds what is new, revokes what it deleted, resumes from
    its checkpoint under RAQIB_HOME/exchanges/."""
    from raqib.exchange import te_source

    context = AppContext.from_env()
    request = te_source.FetchRequest(kind, bank, collab, file, credentials)
    with _progress() as show:
        result = te_source.fetch_into_bank(
            context.database, context.settings, context.registry, request, show
        )
    if json_out:
        print_json_line(result.as_dict())
        return
    info_line(
        f"{result.exchange} ({result.collab}) -> bank {result.bank}: {result.updates} records, "
        f"added {result.added}, already present {result.already_present}, revoked "
        f"{result.revoked}, skipped {result.skipped} (no signal Raqib can use)"
    )


@contextmanager
def _progress() -> Iterator[ProgressCallback]:
    """A Rich progress line on stderr, updated after every batch the exchange hands over."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    ) as progress:
        task = progress.add_task("fetching ...", total=None)

        def show(result: FetchResult) -> None:
            reached = ""
            if result.progress_time:
                moment = datetime.fromtimestamp(result.progress_time, UTC)
                reached = f", up to {moment:%Y-%m-%d %H:%M}"
            progress.update(
                task,
                description=f"batch {result.batches}: {result.updates} records, "
                f"+{result.added} -{result.revoked}{reached}",
            )

        yield show


def iocs_command(
    findings: Path = typer.Argument(..., help="A findings JSONL file written by `raqib scan`."),
    fmt: iocs.IocFormat = typer.Option(
        iocs.IocFormat.STIX, "--format", "-f", help="stix (a STIX 2.1 bundle), misp or csv."
    ),
    tlp: str = typer.Option("amber", "--tlp", help="TLP 2.0 marking: clear ... red."),
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default stdout)."),
) -> None:
    """Indicators of compromise (URLs, domains, IPs) that injected scripts on scanned pages
    load, deduplicated, as STIX 2.1 indicators, a MISP event or CSV."""
    level = iocs.check_output(fmt, tlp)
    report = iocs.collect(findings)
    if output is None:
        count = iocs.write_iocs(report, fmt, level, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = iocs.write_iocs(report, fmt, level, handle)
    where = f" to {output}" if output else ""
    info_line(
        f"wrote {count} indicators{where} from {report.findings} findings "
        f"({report.values_skipped} invalid values and {report.lines_skipped} unreadable lines "
        "skipped)"
    )


def register(root: typer.Typer) -> None:
    """Add `exchange` and `iocs` to the root command."""
    root.add_typer(app, name="exchange")
    root.command("iocs")(iocs_command)
