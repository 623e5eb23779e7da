"""Printing: JSON lines for scripts, Rich tables for people, one-line errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def print_json_line(record: Any) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def print_json_lines(records: Iterable[Any]) -> None:
    for record in records:
        print_json_line(record)


def print_listing(
    records: Sequence[dict[str, Any]],
    json_out: bool,
    title: str,
    columns: Sequence[str],
    row: Callable[[dict[str, Any]], Sequence[Any]],
) -> None:
    """A `list` command's output: one JSON object a line, or a table of `row(record)`."""
    if json_out:
        print_json_lines(records)
    else:
        print_table(title, columns, [row(record) for record in records])


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    console: Console | None = None,
) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    (console or stdout).print(table)


def error_line(message: str) -> None:
    """One clear line on stderr; markup in the message is printed literally."""
    stderr.print(f"raqib: error: {message}", markup=False, highlight=False)


def info_line(message: str) -> None:
    stderr.print(message, markup=False, highlight=False)
