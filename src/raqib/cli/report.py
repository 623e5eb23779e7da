"""`raqib report FINDINGS|ANALYSIS.json` writes the campaign report; `raqib report
--transparency` writes the platform's transparency report from the service database. Each is
one self-contained HTML file (-o) and, with --json FILE, the same figures as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from raqib.analysis.campaign import is_findings_file, read_findings
from raqib.analysis.campaign.read import Problems
from raqib.analysis.campaign_report import (
    CampaignReport,
    load_analysis,
    report_from_analysis,
    report_from_findings_file,
)
from raqib.analysis.transparency import TransparencyReport, parse_period, transparency_report
from raqib.cli.context import AppContext
from raqib.cli.output import info_line
from raqib.errors import InputError

CAMPAIGN_OUTPUT = Path("report.html")
TRANSPARENCY_OUTPUT = Path("transparency.html")


def report_command(
    source: Path = typer.Argument(
        None,
        help="A findings file (JSONL of `raqib scan -o`) or an analysis (JSON of "
        "`raqib analyse --json -o`). Not with --transparency.",
    ),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="The HTML file. Default: report.html, or transparency.html with --transparency.",
    ),
    json_path: Path = typer.Option(
        None, "--json", help="Also write the report's figures as JSON to this file ('-': stdout)."
    ),
    findings: Path = typer.Option(
        None,
        "--findings",
        help="With an analysis JSON: the findings it came from (adds activity over time, the "
        "share matching known banks and cluster samples).",
    ),
    transparency: bool = typer.Option(
        False, "--transparency", help="The platform's transparency report, from the database."
    ),
    date_from: str = typer.Option(
        None, "--from", help="Transparency report: first day (YYYY-MM-DD, UTC) or time."
    ),
    date_to: str = typer.Option(
        None, "--to", help="Transparency report: last day, included (YYYY-MM-DD, UTC) or time."
    ),
    title: str = typer.Option(None, "--title", help="The report's title."),
) -> None:
    """Write a self-contained HTML report with charts: a campaign report from findings or an
    analysis, or (--transparency) the platform's transparency report."""
    if transparency:
        if source is not None or findings is not None:
            raise InputError(
                "--transparency reads the service database: give no findings or analysis file"
            )
        built: CampaignReport | TransparencyReport = _transparency(date_from, date_to, title)
        target = output or TRANSPARENCY_OUTPUT
    else:
        if date_from is not None or date_to is not None:
            raise InputError("--from and --to are for --transparency reports")
        if source is None:
            raise InputError(
                "give a findings file (raqib scan PATH -o findings.jsonl) or an analysis "
                "(raqib analyse findings.jsonl --json -o analysis.json), or use --transparency"
            )
        built = _campaign(source, findings, title)
        target = output or CAMPAIGN_OUTPUT
    _write(target, built.html())
    info_line(f"report: {target}")
    if json_path is not None:
        _write_json(json_path, built.as_dict())


def _campaign(source: Path, findings: Path | None, title: str | None) -> CampaignReport:
    name = title or "Raqib campaign report"
    if not source.is_file():
        raise InputError(f"{source}: no such file; give a findings file or an analysis JSON")
    if is_findings_file(source):
        if findings is not None:
            raise InputError("--findings goes with an analysis JSON, not with a findings file")
        return report_from_findings_file(source, title=name)
    analysis = load_analysis(source)
    if findings is None:
        return report_from_analysis(analysis, None, name)
    if not is_findings_file(findings):
        raise InputError(f"{findings}: not a findings file (the JSONL of `raqib scan -o`)")
    return report_from_analysis(analysis, read_findings(findings, Problems()), name)


def _transparency(
    date_from: str | None, date_to: str | None, title: str | None
) -> TransparencyReport:
    period = parse_period(date_from, date_to)
    context = AppContext.from_env()
    with context.database.session() as session:
        return transparency_report(session, period, title or "Transparency report")


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the report ({exc.strerror or exc})") from None


def _write_json(path: Path, figures: dict[str, Any]) -> None:
    text = json.dumps(figures, ensure_ascii=False, indent=1)
    if str(path) == "-":
        sys.stdout.write(text + "\n")
        return
    _write(path, text + "\n")
    info_line(f"figures: {path}")
