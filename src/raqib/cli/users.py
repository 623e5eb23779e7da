"""`raqib user ...`: add console users, reset passwords, disable or enable them, list them."""

from __future__ import annotations

import sys
from typing import Any

import typer

from raqib.auth import users
from raqib.auth.principal import system_principal
from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_listing
from raqib.errors import InputError

app = typer.Typer(help="Console users: who signs in, with which role.", no_args_is_help=True)
PASSWORD_STDIN = typer.Option(
    False,
    "--password-stdin",
    help="Read the password from the first line of stdin; without it a password is generated "
    "and printed alone on stdout, once.",
)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Sign-in name: letters, digits, '.', '_', '-'."),
    role: str = typer.Option(..., "--role", "-r", help="admin, curator, reviewer, lead, ..."),
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Add a user."""
    users.check_name(name)
    role = users.role_or_error(role)
    password = _read_password() if password_stdin else users.generate_password()
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        view = users.add_user(session, name, role, password, system_principal().actor)
    _print_password(password, password_stdin)
    info_line(f"added user {view.name} (role {view.role})")


@app.command("password")
def password_command(
    name: str = typer.Argument(..., help="The user."),
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Set a new password for a user (their console sessions end)."""
    password = _read_password() if password_stdin else users.generate_password()
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        view = users.set_password(session, name, password, system_principal().actor)
    _print_password(password, password_stdin)
    info_line(f"new password set for user {view.name}")


@app.command("disable")
def disable(name: str = typer.Argument(..., help="The user.")) -> None:
    """Disable a user: their sign-ins are refused and their sessions end."""
    _set_active(name, False)


@app.command("enable")
def enable(name: str = typer.Argument(..., help="The user.")) -> None:
    """Enable a disabled user again."""
    _set_active(name, True)


@app.command("list")
def list_command(
    json_out: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """List users (never their passwords)."""
    context = AppContext.from_env()
    with context.database.session() as session:
        listed = users.list_users(session)
    print_listing(
        [v.as_dict() for v in listed],
        json_out,
        "Users",
        ["id", "name", "role", "active", "created"],
        lambda r: [r["id"], r["name"], r["role"], "yes" if r["active"] else "no", _minute(r)],
    )


def _minute(record: dict[str, Any]) -> str:
    return str(record["created_at"])[:16].replace("T", " ")


def _set_active(name: str, active: bool) -> None:
    context = AppContext.from_env()
    with context.database.session(write=True) as session:
        view = users.set_active(session, name, active, system_principal().actor)
    info_line(f"user {view.name} {'enabled' if active else 'disabled'}")


def _read_password() -> str:
    """The first line of stdin, without its line ending."""
    line = sys.stdin.readline()
    if not line:
        raise InputError("--password-stdin: stdin is empty; pipe the password in")
    return line.rstrip("\r\n")


def _print_password(password: str, from_stdin: bool) -> None:
    if not from_stdin:
        sys.stdout.write(password + "\n")
        sys.stdout.flush()
        info_line("the generated password is shown this once; pass it on securely")
