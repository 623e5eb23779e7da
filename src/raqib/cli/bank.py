"""`raqib bank ...`: create, list, show, update, delete, add, remove, import, export."""

from __future__ import annotations

import os
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path

import typer

from raqib import banking
from raqib.auth.principal import system_principal
from raqib.banking import entries_from_files, import_list
from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_json_line, print_table, stdout
from raqib.exchange.formats import ListFormat, guess_format, write_entries
from raqib.pipeline import hash_file
from raqib.records import BankInfo, Labels, NewEntry
from raqib.store.banks import BankRepository

app = typer.Typer(help="Banks: named hash lists.", no_args_is_help=True)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
ACTOR = system_principal().actor  # who the audit trail names for changes made here


@app.command("create")
def create(
    name: str,
    tlp: str = typer.Option("amber", help="TLP 2.0: clear, green, amber, amber+strict, red."),
    description: str = typer.Option("", help="What the bank holds."),
    allow_list: bool = typer.Option(False, "--allow-list", help="Known-benign content."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Create a bank."""
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        bank = banking.create_bank(session, ACTOR, name, description, tlp, allow_list)
    _print_bank(bank, json_out, f"created bank {bank.name}")


@app.command("list")
def list_banks(json_out: bool = JSON_OPTION) -> None:
    """List banks with their entry counts."""
    context = AppContext.from_env()
    with context.database.session() as session:
        banks = BankRepository(session).all()
    if json_out:
        for bank in banks:
            print_json_line(bank.as_dict())
        return
    rows = (
        [
            b.name,
            b.tlp,
            "yes" if b.enabled else "no",
            "allow" if b.allow_list else "",
            b.entry_count,
            b.description,
        ]
        for b in banks
    )
    print_table("Banks", ["name", "tlp", "enabled", "kind", "entries", "description"], rows)


@app.command("show")
def show(name: str, json_out: bool = JSON_OPTION) -> None:
    """Show a bank: settings and entries per signal type."""
    context = AppContext.from_env()
    with context.database.session() as session:
        repo = BankRepository(session)
        bank = repo.get(name)
        by_type = Counter(e.signal_type for e in repo.entries(name))
    record = {**bank.as_dict(), "entries_by_signal_type": dict(by_type)}
    if json_out:
        print_json_line(record)
        return
    print_table(f"Bank {bank.name}", ["field", "value"], sorted(record.items()))


@app.command("update")
def update(
    name: str,
    tlp: str = typer.Option(None, help="New TLP marking."),
    description: str = typer.Option(None, help="New description."),
    enabled: bool = typer.Option(None, "--enable/--disable", help="Match against this bank?"),
    allow_list: bool = typer.Option(None, "--allow-list/--block-list", help="Bank kind."),
    rotations: bool = typer.Option(
        None, "--rotations/--no-rotations", help="Try rotations and mirrors of queries."
    ),
    threshold: list[str] = typer.Option(
        None, "--threshold", help="Per-signal-type threshold, e.g. pdq=24 (repeatable)."
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Change a bank's settings."""
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        thresholds = _thresholds(context, BankRepository(session).get(name), threshold or [])
        changes = {
            "tlp": tlp,
            "description": description,
            "enabled": enabled,
            "allow_list": allow_list,
            "match_rotations": rotations,
            "thresholds": thresholds,
        }
        bank = banking.update_bank(session, ACTOR, name, changes)
    _print_bank(bank, json_out, f"updated bank {bank.name}")


@app.command("delete")
def delete(
    name: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Delete a bank and its entries."""
    if not yes:
        typer.confirm(f"delete bank {name} and all its entries?", abort=True)
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        removed = banking.delete_bank(session, ACTOR, name)
    if json_out:
        print_json_line({"bank": name, "deleted": True, "entries_removed": removed})
    else:
        info_line(f"deleted bank {name} ({removed} entries)")


@app.command("add")
def add(
    name: str,
    files: list[Path] = typer.Argument(None, help="Content files to hash and add."),
    signal: list[str] = typer.Option(None, "--signal", "-s", help="'<type> <value>' to add."),
    label: list[str] = typer.Option(
        None, "--label", "-l", help="entity=..., behaviours=a,b, tier=1-4, source=..., note=..."
    ),
    signal_type: list[str] = typer.Option(
        None, "--type", "-t", help="Only add these signal types of the files (repeatable)."
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Hash files (or take --signal values) and add them to a bank, with labels."""
    if not files and not signal:
        raise typer.BadParameter("give FILE arguments or --signal")
    context = AppContext.from_env()
    labels = Labels.from_mapping(_pairs(label or []))
    entries = entries_from_files(files or [], context.settings, labels, signal_type or None)
    for text in signal or []:
        parsed = context.registry.parse(text)
        entries.append(NewEntry(parsed.signal_type, parsed.value, labels))
    with context.database.session(write=True) as session:
        result = banking.add_to_bank(session, ACTOR, name, entries)
    _print_result(result.added, result.already_present, json_out, name)


@app.command("remove")
def remove(
    name: str,
    signal: str = typer.Argument(..., help="'<type> <value>', or a file whose signals to remove."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Remove a signal from a bank."""
    context = AppContext.from_env()
    path = Path(signal)
    if path.is_file():
        targets = hash_file(path, context.settings).signals
    else:
        targets = [context.registry.parse(signal)]
    with context.database.session(write=True) as session:
        removed = sum(banking.remove_from_bank(session, ACTOR, name, s) for s in targets)
    if json_out:
        print_json_line({"bank": name, "removed": removed})
    else:
        info_line(f"removed {removed} entr{'y' if removed == 1 else 'ies'} from {name}")
    if not removed:
        sys.exit(1)


@app.command("import")
def import_command(
    name: str,
    file: Path,
    fmt: ListFormat = typer.Option(
        None, "--format", "-f", help="te, csv, jsonl, stix, misp (a MISP event) or tat."
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Import a hash list: all or nothing; importing the same file twice adds nothing."""
    context = AppContext.from_env()
    chosen = fmt or guess_format(file)
    with stdout.status(f"importing {file} ..."), context.database.session(write=True) as session:
        result = import_list(session, name, file, chosen, context.registry, ACTOR)
    _print_result(result.added, result.already_present, json_out, name)


@app.command("export")
def export(
    name: str,
    fmt: ListFormat = typer.Option(
        ListFormat.TE,
        "--format",
        "-f",
        help="te, csv, jsonl, stix (a STIX 2.1 bundle), misp (a MISP event) or tat (Tech "
        "Against Terrorism hash-list CSV).",
    ),
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default stdout)."),
) -> None:
    """Export a bank's entries."""
    context = AppContext.from_env()
    with context.database.session() as session:
        repository = BankRepository(session)
        bank = repository.get(name)
        entries = closing(repository.entries(name))
        if output is None:
            with entries as streamed:
                write_entries(streamed, fmt, sys.stdout, bank)
            return
        partial = output.with_name(output.name + ".partial")
        try:  # written aside and renamed: a refused or failed export leaves no file behind
            with partial.open("w", encoding="utf-8", newline="") as handle, entries as streamed:
                count = write_entries(streamed, fmt, handle, bank)
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    info_line(f"wrote {count} entries to {output}")


def _pairs(items: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"want key=value, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _thresholds(context: AppContext, bank: BankInfo, items: list[str]) -> dict[str, float] | None:
    if not items:
        return None
    thresholds = dict(bank.thresholds)
    for key, value in _pairs(items).items():
        signal_type = context.registry.get(key)
        thresholds[signal_type.name] = signal_type.validate_threshold(float(value))
    return thresholds


def _print_bank(bank: BankInfo, json_out: bool, message: str) -> None:
    if json_out:
        print_json_line(bank.as_dict())
    else:
        info_line(message)


def _print_result(added: int, present: int, json_out: bool, bank: str) -> None:
    if json_out:
        print_json_line({"bank": bank, "added": added, "already_present": present})
    else:
        info_line(f"{bank}: added {added}, already present {present}")
