"""`raqib evidence preserve|list|show|hold|purge|export|verify`: evidence kept for investigators
and courts, its retention, and the bundle for a legal request."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from raqib.auth.principal import system_principal
from raqib.cli.context import AppContext
from raqib.cli.output import error_line, info_line, print_json_line, print_listing, print_table
from raqib.errors import InputError
from raqib.evidence.export import Selection, export_bundle, parse_ids, verify_bundle
from raqib.evidence.preserve import preserve_case, preserve_file
from raqib.evidence.records import (
    MAX_LIMIT,
    EvidenceFilters,
    EvidenceView,
    get_evidence,
    list_evidence,
    set_hold,
)
from raqib.evidence.retention import purge

app = typer.Typer(
    help="Evidence: original bytes kept with a chain of custody, purged when retention ends.",
    no_args_is_help=True,
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
ACTOR = system_principal().actor  # who the chain of custody names for what is done here
_COLUMNS = ["id", "kind", "case", "platform", "external id", "size", "retain until", "state"]


@app.command("preserve")
def preserve(
    file: Path | None = typer.Argument(None, help="A file to keep (copied into the store)."),
    case: int | None = typer.Option(None, "--case", min=1, help="Keep this case instead."),
    platform: str | None = typer.Option(None, help="Where the file was posted."),
    external_id: str | None = typer.Option(None, "--external-id", help="Its id there."),
    url: str | None = typer.Option(None, help="Its address there."),
    reason: str = typer.Option("", help="Why it is kept (e.g. a request's reference)."),
    retain_days: int | None = typer.Option(
        None,
        "--retain-days",
        help="Keep it this many days (default RAQIB_EVIDENCE_RETENTION_DAYS).",
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Keep FILE, or a case's finding and media (--case ID), as evidence."""
    if (file is None) == (case is None):
        raise InputError("give either a FILE or --case ID to preserve")
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        if file is not None:
            record = preserve_file(
                session, context.settings, file, ACTOR, reason, platform, external_id, url,
                retain_days,
            )  # fmt: skip
            kept = [record]
        else:
            why = reason or f"preserved from case {case} by command"
            kept = preserve_case(
                session, context.settings, case or 0, ACTOR, why, None, retain_days
            )
    for record in kept:
        if json_out:
            print_json_line(record.as_dict())
        else:
            info_line(f"kept evidence {record.id}: {record.kind} sha256 {record.sha256}")


@app.command("list")
def list_command(
    case: int | None = typer.Option(None, "--case", min=1, help="Only this case's evidence."),
    kind: str | None = typer.Option(None, help="finding, media or file."),
    platform: str | None = typer.Option(None),
    sha256: str | None = typer.Option(None, help="Only records of these bytes."),
    held: bool | None = typer.Option(None, "--held/--not-held", help="On legal hold or not."),
    purged: bool | None = typer.Option(None, "--purged/--kept", help="Purged or still kept."),
    after: int = typer.Option(0, "--after", min=0, help="Show records after this id."),
    limit: int = typer.Option(100, "--limit", min=1, max=MAX_LIMIT),
    json_out: bool = JSON_OPTION,
) -> None:
    """Evidence records, oldest first."""
    filters = EvidenceFilters(case, kind, platform, None, sha256, held, purged)
    context = AppContext.from_env()
    with context.database.session() as session:
        found = list_evidence(session, filters, limit, after)
    print_listing([r.as_dict() for r in found], json_out, "Evidence", _COLUMNS, _row)


def _row(record: dict[str, object]) -> list[object]:
    state = "purged" if record["purged_at"] else "held" if record["legal_hold"] else "kept"
    return [
        record["id"], record["kind"], record["case_id"], record["platform"],
        record["external_id"], record["size"], record["retain_until"], state,
    ]  # fmt: skip


@app.command("show")
def show(evidence_id: int = typer.Argument(..., min=1), json_out: bool = JSON_OPTION) -> None:
    """A record with its chain of custody."""
    context = AppContext.from_env()
    with context.database.session() as session:
        detail = get_evidence(session, evidence_id)
    if json_out:
        print_json_line(detail.as_dict())
        return
    fields = [(k, v) for k, v in detail.record.as_dict().items() if k != "source"]
    fields += [(f"source.{k}", v) for k, v in sorted(detail.record.source.items())]
    print_table(f"Evidence {evidence_id}", ["field", "value"], fields)
    rows = ([e.id, e.as_dict()["at"], e.actor, e.verb, e.hash[:16]] for e in detail.custody)
    print_table("Chain of custody", ["event", "at", "actor", "verb", "hash"], rows)


@app.command("hold")
def hold(
    evidence_id: int = typer.Argument(..., min=1),
    release: bool = typer.Option(False, "--release", help="Release the hold instead."),
    note: str = typer.Option("", help="Why (e.g. the reference of a legal request)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Put a record on legal hold (it is never purged while held), or release it."""
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        record = set_hold(session, evidence_id, ACTOR, not release, note)
    _print_record(record, json_out, "released" if release else "on legal hold")


def _print_record(record: EvidenceView, json_out: bool, state: str) -> None:
    if json_out:
        print_json_line(record.as_dict())
    else:
        info_line(
            f"evidence {record.id} {state}; retained until {record.as_dict()['retain_until']}"
        )


@app.command("purge")
def purge_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be purged."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Delete the bytes of evidence whose retention ended (not on hold); keep the records."""
    context = AppContext.from_env()
    report = purge(context.database, context.settings, ACTOR, dry_run)
    if json_out:
        print_json_line(report.as_dict())
        return
    verb = "would purge" if dry_run else "purged"
    for record in report.records:
        typer.echo(f"{verb} evidence {record.id} ({record.kind}, sha256 {record.sha256})")
    files = "files would be" if dry_run else "files"
    info_line(f"{verb} {len(report.records)} records; {len(report.deleted)} {files} deleted")


@app.command("export")
def export(
    out: Path = typer.Option(..., "-o", "--output", help="The bundle to write (a new .zip)."),
    case: int | None = typer.Option(None, "--case", min=1, help="Every record of this case."),
    ids: str | None = typer.Option(None, "--ids", help="These records, e.g. 1,2,3."),
    since: str | None = typer.Option(
        None, "--all-since", help="Everything captured since this date (YYYY-MM-DD or ISO time)."
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Write a zip for a legal request: the original files, manifest.json, manifest.sha256."""
    selection = Selection(
        case_id=case,
        ids=parse_ids(ids) if ids is not None else (),
        since=_date(since) if since is not None else None,
    )
    context = AppContext.from_env()
    report = export_bundle(context.database, context.settings, selection, out, ACTOR)
    if json_out:
        print_json_line(report.as_dict())
    else:
        info_line(
            f"wrote {out}: {report.records} records, {report.files} files; "
            f"manifest sha256 {report.manifest_sha256}"
        )


def _date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"--all-since takes a date like 2025-01-31, not {text!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@app.command("verify")
def verify(bundle: Path, json_out: bool = JSON_OPTION) -> None:
    """Re-hash every file of a bundle against its manifest; exit 1 naming the first mismatch."""
    check = verify_bundle(bundle)
    if json_out:
        print_json_line(check.as_dict())
    elif check.ok:
        info_line(
            f"bundle intact: {check.records} records, {check.files} files, "
            f"manifest sha256 {check.manifest_sha256}"
        )
    else:
        error_line(f"bundle does not verify: {check.problem}")
    if not check.ok:
        sys.exit(1)
