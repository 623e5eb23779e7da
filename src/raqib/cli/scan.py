"""`raqib scan PATH`: findings as JSON lines, a summary table and an HTML report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from raqib.analysis.scan_report import render_scan_report
from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_json_line, print_table, stderr
from raqib.errors import InputError
from raqib.scan import ScanSummary, count_steps, scan
from raqib.sources.detect import FORMATS


def scan_command(
    path: Path = typer.Argument(
        ..., help="A folder, a file, a Telegram or X export, JSON lines, or a zip/tar archive."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one finding a line on stdout."),
    report: Path = typer.Option(None, "--report", help="Write a self-contained HTML report."),
    output: Path = typer.Option(
        None, "--output", "-o", help="Findings file (JSONL). Default: RAQIB_HOME/scans/<time>/."
    ),
    bank: list[str] = typer.Option(None, "--bank", "-b", help="Only these banks (repeatable)."),
    source_format: str = typer.Option(
        "auto",
        "--format",
        "-f",
        help="How to read PATH: auto (detect), folder, telegram, x, x-archive or jsonl.",
    ),
) -> None:
    """Hash every file or post of PATH, assess its texts, match every enabled bank, report."""
    from raqib.matching import Matcher  # numba and the indexes: only when matching
    from raqib.text.loading import load_indicators

    if source_format not in FORMATS:
        raise InputError(f"--format {source_format}: unknown; use one of {', '.join(FORMATS)}")
    context = AppContext.from_env()
    if not path.exists():
        raise InputError(f"{path}: no such file or folder; give a folder, a file or an export")
    findings_path = output or _default_output(context)
    findings_path.parent.mkdir(parents=True, exist_ok=True)
    summary = ScanSummary()
    notable: list[dict[str, Any]] = []
    indicators = load_indicators(context.database)
    with context.database.session() as session, findings_path.open("w", encoding="utf-8") as out:
        matcher = Matcher(session, context.settings, context.registry, bank or None)
        with _progress() as progress:
            task = progress.add_task("scanning", total=count_steps(path, source_format))
            for finding in scan(
                path,
                context.settings,
                matcher,
                lambda n: progress.advance(task, n),
                indicators=indicators,
                source_format=source_format,
            ):
                summary.add(finding)
                out.write(json.dumps(finding, ensure_ascii=False) + "\n")
                if json_out:
                    print_json_line(finding)
                if _notable(finding):
                    notable.append(finding)
    _print_summary(summary, to_stderr=json_out)
    info_line(f"findings: {findings_path}")
    if report is not None:
        report.write_text(render_scan_report(notable, summary.as_dict()), encoding="utf-8")
        info_line(f"report: {report}")


def _notable(finding: dict[str, Any]) -> bool:
    """What the HTML report shows: matches, errors, and items sent to review."""
    return bool(
        finding["matches"]
        or finding["errors"]
        or finding["verdict"]["recommended"] != "none"
        or finding["text"]["indicators"]
        or finding["page"]["injected_scripts"]
    )


def _default_output(context: AppContext) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return context.settings.home / "scans" / stamp / "findings.jsonl"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )


def _print_summary(summary: ScanSummary, to_stderr: bool) -> None:
    rows = [
        ("items scanned", summary.files),
        ("with signals", summary.with_signals),
        ("matched a bank", summary.matched),
        ("with errors", summary.errors),
        *((f"verdict: {k}", v) for k, v in sorted(summary.verdicts.items())),
        *((f"matches in bank {k}", v) for k, v in sorted(summary.matches_by_bank.items())),
        ("texts assessed", summary.texts_assessed),
        *((f"text context: {k}", v) for k, v in sorted(summary.contexts.items())),
        ("pages with injected scripts", summary.injected_pages),
    ]
    print_table("Scan summary", ["", "count"], rows, console=stderr if to_stderr else None)
