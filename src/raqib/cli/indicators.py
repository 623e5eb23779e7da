"""`raqib indicators ...`: import, list, export, enable, disable and delete indicator lists."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_json_line, print_table, stdout
from raqib.errors import ImportFormatError
from raqib.store.indicators import IndicatorListInfo, IndicatorRepository
from raqib.text.indicator_records import Indicator

app = typer.Typer(
    help="Indicator lists: entities, outlets, slogans, addresses.", no_args_is_help=True
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


class IndicatorFormat(StrEnum):
    JSONL = "jsonl"
    UN = "un"
    OFAC_CSV = "ofac-csv"
    OFAC_XML = "ofac-xml"


@app.command("import")
def import_command(
    name: str = typer.Argument(..., help="The list to create or replace."),
    file: Path = typer.Argument(..., help="The file to read."),
    fmt: IndicatorFormat = typer.Option(
        IndicatorFormat.JSONL, "--format", "-f", help="jsonl, un (UN SC XML), ofac-csv, ofac-xml."
    ),
    alt: Path = typer.Option(None, "--alt", help="OFAC alt.csv (aliases) beside sdn.csv."),
    programs: str = typer.Option(
        "terrorism", help="OFAC programs whose names to import: 'terrorism', 'all' or SDGT,FTO,..."
    ),
    description: str = typer.Option("", help="What the list holds."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Import a list: all or nothing; re-importing replaces the list's contents."""
    context = AppContext.from_env()
    rejected: list[ImportFormatError] = []
    with stdout.status(f"reading {file} ..."):
        indicators = _read(file, fmt, alt, programs, rejected)
    with context.database.session() as session:
        info = IndicatorRepository(session).replace(name, indicators, fmt.value, description)
    if json_out:
        print_json_line({**info.as_dict(), "rejected": [str(r) for r in rejected]})
        return
    for problem in rejected:
        info_line(f"{file}: skipped {problem}")
    info_line(f"imported {info.count} indicators into list {info.name}")


def _read(
    file: Path,
    fmt: IndicatorFormat,
    alt: Path | None,
    programs: str,
    rejected: list[ImportFormatError],
) -> list[Indicator]:
    """Read a list. OFAC lists carry a few malformed addresses (e.g. a Tron address under XBT);
    those are skipped and reported rather than failing the whole list."""
    from raqib.text.importers.ofac import (
        TERRORISM_PROGRAMS,
        read_ofac_sdn_csv,
        read_ofac_sdn_xml,
    )
    from raqib.text.importers.un_list import read_un_list

    chosen: frozenset[str] | None = TERRORISM_PROGRAMS
    if programs == "all":
        chosen = None
    elif programs != "terrorism":
        chosen = frozenset(p.strip().upper() for p in programs.split(",") if p.strip())
    if fmt is IndicatorFormat.UN:
        return read_un_list(file)
    if fmt is IndicatorFormat.OFAC_CSV:
        return read_ofac_sdn_csv(file, alt, programs=chosen, rejected=rejected)
    if fmt is IndicatorFormat.OFAC_XML:
        return read_ofac_sdn_xml(file, programs=chosen, rejected=rejected)
    from raqib.text.indicator_files import read_indicator_jsonl

    return read_indicator_jsonl(file)


@app.command("list")
def list_command(json_out: bool = JSON_OPTION) -> None:
    """List indicator lists with their counts (the shipped starter list is always on)."""
    context = AppContext.from_env()
    with context.database.session() as session:
        lists = IndicatorRepository(session).all()
    if json_out:
        for info in lists:
            print_json_line(info.as_dict())
        return
    rows = [[i.name, i.origin, i.count, "yes" if i.enabled else "no", i.updated_at] for i in lists]
    print_table("Indicator lists", ["name", "origin", "indicators", "enabled", "updated"], rows)


@app.command("export")
def export(name: str) -> None:
    """Write a list's indicators as JSONL (the format `import --format jsonl` reads)."""
    context = AppContext.from_env()
    with context.database.session() as session:
        indicators = IndicatorRepository(session).indicators(name)
    for indicator in indicators:
        sys.stdout.write(json.dumps(indicator.as_dict(), ensure_ascii=False) + "\n")


@app.command("enable")
def enable(name: str, json_out: bool = JSON_OPTION) -> None:
    """Use a list in assessments again."""
    _set_enabled(name, True, json_out)


@app.command("disable")
def disable(name: str, json_out: bool = JSON_OPTION) -> None:
    """Keep a list but stop using it in assessments."""
    _set_enabled(name, False, json_out)


def _set_enabled(name: str, enabled: bool, json_out: bool) -> None:
    context = AppContext.from_env()
    with context.database.session() as session:
        info = IndicatorRepository(session).set_enabled(name, enabled)
    _print_info(info, json_out, f"list {info.name} {'enabled' if enabled else 'disabled'}")


@app.command("delete")
def delete(name: str, json_out: bool = JSON_OPTION) -> None:
    """Delete a list and its indicators."""
    context = AppContext.from_env()
    with context.database.session() as session:
        count = IndicatorRepository(session).delete(name)
    if json_out:
        print_json_line({"name": name, "deleted": True, "indicators": count})
        return
    info_line(f"deleted list {name} ({count} indicators)")


def _print_info(info: IndicatorListInfo, json_out: bool, message: str) -> None:
    if json_out:
        print_json_line(info.as_dict())
    else:
        info_line(message)
