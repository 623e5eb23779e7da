"""Entry point: the Typer app, its sub-apps, and the one place errors become exit code 2."""

from __future__ import annotations

import os
import sys

import typer

from raqib.cli import (
    analyse,
    audit,
    bank,
    db,
    deliver,
    evidence,
    exchanges,
    hashing,
    indicators,
    keys,
    partners,
    quarantine,
    report,
    scan,
    serve,
    sync,
    text,
    users,
)
from raqib.cli.output import error_line
from raqib.errors import RaqibError

app = typer.Typer(
    name="raqib",
    help="Raqib: find, review and share signals about terrorist and violent extremist content.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("hash")(hashing.hash_command)
app.command("match")(hashing.match_command)
app.command("scan")(scan.scan_command)
app.command("analyse")(analyse.analyse_command)
app.command("report")(report.report_command)
app.add_typer(bank.app, name="bank")
app.add_typer(db.app, name="db")
app.add_typer(text.app, name="text")
app.add_typer(indicators.app, name="indicators")
app.command("serve")(serve.serve_command)
app.command("deliver")(deliver.deliver_command)
app.command("sync")(sync.sync_command)
app.add_typer(users.app, name="user")
app.add_typer(keys.app, name="key")
app.add_typer(audit.app, name="audit")
app.add_typer(evidence.app, name="evidence")
app.add_typer(partners.app, name="partner")
app.add_typer(quarantine.app, name="quarantine")
exchanges.register(app)
bank.app.command("share")(partners.share_command)
bank.app.command("unshare")(partners.unshare_command)


def main() -> None:
    try:
        app()
    except (RaqibError, ValueError) as exc:
        error_line(str(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        error_line("interrupted")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("RAQIB_DEBUG"):
            raise
        error_line(f"internal error ({type(exc).__name__}: {exc}); rerun with RAQIB_DEBUG=1")
        sys.exit(2)
