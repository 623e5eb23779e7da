"""`raqib partner ...`: add and list the partners we share banks with over TAXII."""

from __future__ import annotations

import sys

import typer

from raqib.auth.principal import system_principal
from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_listing
from raqib.errors import InputError
from raqib.exchange import partners

app = typer.Typer(help="Partners: who reads our shared banks over TAXII.", no_args_is_help=True)
# The options `add` and `update` share (one OptionInfo may stand as the default of many commands).
TAXII_OPTION = typer.Option(None, "--taxii", help="The partner's own TAXII 2.1 URL.")
REMOTE_KEY_OPTION = typer.Option(
    False, "--remote-key-stdin", help="Read the key the partner gave us for --taxii from stdin."
)


@app.command("add")
def add(
    name: str,
    taxii: str | None = TAXII_OPTION,
    remote_key_stdin: bool = REMOTE_KEY_OPTION,
) -> None:
    """Add a partner and print its new API key alone on stdout (shown only this once)."""
    remote_key = _read_remote_key() if remote_key_stdin else None
    if remote_key is not None and not taxii:
        raise InputError("--remote-key-stdin needs --taxii URL (the server the key is for)")
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        plaintext, key, partner = partners.add_partner(
            session, name, system_principal().actor, taxii, remote_key
        )
    sys.stdout.write(plaintext + "\n")
    sys.stdout.flush()
    info_line(
        f"added partner {partner.name}; its key {key.id} ({key.prefix}...) is shown only once: "
        "it is the password (HTTP Basic) or Bearer token for /taxii2/"
    )


@app.command("update")
def update(
    name: str,
    taxii: str | None = TAXII_OPTION,
    remote_key_stdin: bool = REMOTE_KEY_OPTION,
) -> None:
    """Set a partner's TAXII URL or the key it gave us (for partners added before they had one)."""
    if taxii is None and not remote_key_stdin:
        raise InputError("nothing to change: give --taxii URL and/or --remote-key-stdin")
    remote_key = _read_remote_key() if remote_key_stdin else None
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        partner = partners.update_partner(
            session, name, system_principal().actor, taxii, remote_key
        )
    info_line(f"updated partner {partner.name}: TAXII URL {partner.taxii_url or '(none)'}")


@app.command("list")
def list_command(
    json_out: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """List partners."""
    context = AppContext.from_env()
    with context.database.session() as session:
        listed = partners.list_partners(session)
    columns = ["id", "name", "taxii_url", "created"]
    print_listing(
        [v.as_dict() for v in listed],
        json_out,
        "Partners",
        columns,
        lambda r: [r["id"], r["name"], r["taxii_url"] or "", str(r["created_at"])[:16]],
    )


def share_command(
    bank: str,
    partner: str,
    write: bool = typer.Option(False, "--write", help="Let the partner add objects too."),
) -> None:
    """Share a bank with a partner as a TAXII collection (never a TLP red bank)."""
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        shared = partners.share_bank(session, bank, partner, system_principal().actor, write)
    rights = "read and write" if shared.can_write else "read"
    info_line(f"shared bank {bank} with {partner} ({rights}) as collection {shared.id}")


def unshare_command(bank: str, partner: str) -> None:
    """Stop sharing a bank with a partner."""
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        partners.unshare_bank(session, bank, partner, system_principal().actor)
    info_line(f"bank {bank} is no longer shared with {partner}")


def _read_remote_key() -> str:
    """The partner's key for its TAXII server, from the first line of stdin."""
    key = sys.stdin.readline().strip()
    if not key:
        raise InputError("--remote-key-stdin: stdin is empty; pipe the key the partner gave you")
    return key
