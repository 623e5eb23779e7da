"""`raqib hash` and `raqib match`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from raqib.cli.context import AppContext
from raqib.cli.output import error_line, print_json_line, print_table
from raqib.pipeline import Hashed, hash_file, signal_record
from raqib.signals import Signal

JSON_OPTION = typer.Option(False, "--json", help="One JSON object a line.")


def hash_command(
    files: list[Path] = typer.Argument(..., help="Files to hash."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Hash files: one record per file and signal (path, signal_type, signal, quality)."""
    context = AppContext.from_env()
    records: list[dict[str, Any]] = []
    failed = False
    for path in files:
        hashed = hash_file(path, context.settings)
        failed |= _report_errors(hashed)
        records.extend({"path": hashed.path, **signal_record(s)} for s in hashed.signals)
        records.extend(
            {
                "path": hashed.path,
                "signal_type": n["signal_type"],
                "signal": None,
                "quality": None,
                "note": n["message"],
            }
            for n in hashed.notes
        )
    _print_records(records, json_out, "Signals", ["path", "signal_type", "signal", "quality"])
    if failed:
        sys.exit(2)


def match_command(
    files: list[Path] = typer.Argument(None, help="Files to hash and match."),
    signal: list[str] = typer.Option(
        None, "--signal", "-s", help="A signal in string form, e.g. 'pdq <64 hex>' (repeatable)."
    ),
    bank: list[str] = typer.Option(None, "--bank", "-b", help="Only these banks (repeatable)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Match files or signals against the banks. Exit 0: matched; 1: no match; 2: error."""
    if not files and not signal:
        raise typer.BadParameter("give FILE arguments or --signal")
    context = AppContext.from_env()
    queries = [(s, [context.registry.parse(s)]) for s in signal or []]
    failed = False
    for path in files or []:
        hashed = hash_file(path, context.settings)
        failed |= _report_errors(hashed)
        queries.append((hashed.path, hashed.signals))
    records = _match_all(context, queries, bank)
    _print_records(
        records, json_out, "Matches", ["query", "bank", "signal_type", "distance", "entity", "tier"]
    )
    if failed:
        sys.exit(2)
    effective = [r for r in records if not r["suppressed_by"] and not r["allow_list"]]
    sys.exit(0 if effective else 1)


def _match_all(
    context: AppContext, queries: list[tuple[str, list[Signal]]], banks: list[str] | None
) -> list[dict[str, Any]]:
    from raqib.matching import Matcher  # numba and the indexes: only when matching

    records: list[dict[str, Any]] = []
    with context.database.session() as session:
        matcher = Matcher(session, context.settings, context.registry, banks or None)
        for query, signals in queries:
            for match in matcher.match(signals):
                labels = match.labels
                records.append(
                    {
                        "query": query,
                        **match.as_dict(),
                        "entity": labels.entity,
                        "tier": labels.tier,
                    }
                )
    return records


def _report_errors(hashed: Hashed) -> bool:
    for error in hashed.errors:
        error_line(error["message"])
    return bool(hashed.errors)


def _print_records(
    records: list[dict[str, Any]], json_out: bool, title: str, columns: list[str]
) -> None:
    if json_out:
        for record in records:
            print_json_line(record)
    elif records:
        print_table(title, columns, ([r.get(c) for c in columns] for r in records))
