"""`raqib analyse FINDINGS|PATH`: near-duplicate clusters, the account network and re-spawned
accounts, as one JSON object (--json, -o FILE) or summary tables."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_table
from raqib.errors import InputError

SHOWN_ROWS = 15


def analyse_command(
    path: Path = typer.Argument(
        ..., help="A findings file (JSONL from `raqib scan`), or a file or folder to scan first."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="Print one JSON object: clusters, communities, respawn and more."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the JSON to this file."),
    min_score: float = typer.Option(
        0.5, "--min-score", min=0.0, max=1.0, help="Lowest re-spawn score reported (0 to 1)."
    ),
    max_gap_days: float = typer.Option(
        90.0, "--max-gap-days", min=0.0, help="Longest silence between two re-spawned accounts."
    ),
) -> None:
    """Find near-duplicate clusters, account communities and re-spawned accounts in findings."""
    # networkx, numba and the indexes: imported when the command runs, not at every start
    from raqib.analysis.campaign import (
        CampaignOptions,
        RespawnOptions,
        analyse_file,
        is_findings_file,
    )

    if not path.exists():
        raise InputError(f"{path}: no such file or folder; give a findings file or what to scan")
    if output is not None:
        _writable(output)  # before the work, not after
    findings = path if is_findings_file(path) else _scan_first(path)
    options = CampaignOptions(
        respawn=RespawnOptions(min_score=min_score, max_gap_days=max_gap_days)
    )
    result = analyse_file(findings, options).as_dict()
    text = json.dumps(result, ensure_ascii=False)
    if output is not None:
        _write(output, text)
    if json_out:
        typer.echo(text)
    else:
        _print_summary(result)
    if output is not None:
        info_line(f"analysis: {output}")


def _writable(output: Path) -> None:
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{output}: cannot write the analysis ({exc.strerror or exc})") from None
    if output.is_dir() or not os.access(output.parent, os.W_OK):
        raise InputError(f"{output}: cannot write the analysis there; choose another -o FILE")


def _write(output: Path, text: str) -> None:
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write the analysis ({exc.strerror or exc})") from None


def _scan_first(path: Path) -> Path:
    """Scan `path` as `raqib scan` does; the findings file written (under RAQIB_HOME/scans)."""
    from raqib.matching import Matcher  # numba and the indexes: only when matching
    from raqib.scan import scan
    from raqib.text.loading import load_indicators

    context = AppContext.from_env()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    findings = context.settings.home / "scans" / stamp / "findings.jsonl"
    findings.parent.mkdir(parents=True, exist_ok=True)
    info_line(f"{path} is not a findings file: scanning it first")
    indicators = load_indicators(context.database)
    with context.database.session() as session, findings.open("w", encoding="utf-8") as out:
        matcher = Matcher(session, context.settings, context.registry, None)
        for finding in scan(path, context.settings, matcher, indicators=indicators):
            out.write(json.dumps(finding, ensure_ascii=False) + "\n")
    info_line(f"findings: {findings}")
    return findings


def _table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """A table whose cells are shown as written: handles and ids are never Rich markup."""
    print_table(title, columns, [tuple(escape(str(cell)) for cell in row) for row in rows])


def _print_summary(result: dict[str, Any]) -> None:
    summary = result["summary"]
    rows = [(key.replace("_", " "), value) for key, value in summary.items() if key != "signals"]
    rows = [row for row in rows if row[0] != "problem examples"]
    rows += [(f"signals: {kind}", count) for kind, count in summary["signals"].items()]
    _table("Campaign analysis", ["", "count"], rows)
    for message in summary["problem_examples"]:
        info_line(f"skipped: {message}")
    _table(
        "Largest clusters",
        ["cluster", "items", "accounts", "kinds", "first", "last", "entities", "sample"],
        [_cluster_row(c) for c in result["clusters"][:SHOWN_ROWS]],
    )
    _table(
        "Re-spawned accounts",
        ["from", "to", "score", "shared clusters", "gap (days)", "handle similarity"],
        [_respawn_row(r) for r in result["respawn"][:SHOWN_ROWS]],
    )
    _table(
        "Communities",
        ["community", "accounts", "most connected"],
        [
            (c["id"], c["size"], ", ".join(c["top_accounts"]))
            for c in result["communities"][:SHOWN_ROWS]
        ],
    )
    _table(
        "Bridge accounts",
        ["account", "betweenness", "communities"],
        [
            (b["account"], b["betweenness"], ", ".join(b["communities"]))
            for b in result["bridges"][:SHOWN_ROWS]
        ],
    )


def _cluster_row(cluster: dict[str, Any]) -> tuple[Any, ...]:
    return (
        cluster["id"],
        cluster["size"],
        cluster["account_count"],
        ", ".join(cluster["kinds"]),
        cluster["first"],
        cluster["last"],
        ", ".join(cluster["entities"]),
        cluster["sample"],
    )


def _respawn_row(respawn: dict[str, Any]) -> tuple[Any, ...]:
    evidence = respawn["evidence"]
    return (
        respawn["from"],
        respawn["to"],
        respawn["score"],
        evidence["shared_count"],
        evidence["gap_days"],
        evidence["handle_similarity"],
    )
