"""`raqib key ...` and `raqib user ...` through the installed CLI."""

from __future__ import annotations

import json

from conftest import Cli
from raqib.auth import keys, users
from raqib.store.db import Database

PASSWORD = "synthetic-cli-password"


def test_key_create_prints_only_a_key_that_works_until_revoked(
    cli: Cli, database: Database
) -> None:
    created = cli("key", "create", "--role", "submitter", "--name", "synthetic", "--rate", "9")
    assert created.code == 0, created.stderr
    lines = created.stdout.splitlines()
    assert len(lines) == 1 and created.stdout == lines[0] + "\n"
    plaintext = lines[0]
    assert keys.looks_like_key(plaintext) and plaintext not in created.stderr
    with database.session() as session:
        principal = keys.authenticate_key(session, plaintext)
    assert principal is not None and principal.role == "submitter"
    assert principal.rate_limit == 9.0

    listed = cli("key", "list", "--json")
    assert listed.code == 0 and plaintext not in listed.stdout
    record = json.loads(listed.stdout)
    assert (record["id"], record["prefix"], record["state"]) == (
        principal.id,
        plaintext[:12],
        "active",
    )

    revoked = cli("key", "revoke", plaintext[:12])
    assert revoked.code == 0, revoked.stderr
    with database.session() as session:
        assert keys.authenticate_key(session, plaintext) is None
        assert keys.list_keys(session)[0].state() == "revoked"
    again = cli("key", "revoke", str(principal.id))
    assert again.code == 2 and "already revoked" in again.stderr


def test_key_create_with_expiry_and_partner(cli: Cli) -> None:
    created = cli(
        "key", "create", "--role", "partner", "--partner", "synthetic org", "--expires-days", "7"
    )
    assert created.code == 0, created.stderr
    record = json.loads(cli("key", "list", "--json").stdout)
    assert record["partner"] == "synthetic org" and record["expires_at"] is not None
    missing = cli("key", "create", "--role", "partner")
    assert missing.code == 2 and "--partner" in missing.stderr and missing.stdout == ""


def test_bad_role_exits_2_naming_valid_roles(cli: Cli) -> None:
    for args in (("key", "create", "--role", "root"), ("user", "add", "x1", "--role", "root")):
        result = cli(*args)
        assert result.code == 2 and result.stdout == ""
        assert "admin, curator, reviewer, lead, submitter, partner" in result.stderr


def test_user_add_from_stdin_then_authenticate(cli: Cli, database: Database) -> None:
    added = cli("user", "add", "dana", "--role", "reviewer", "--password-stdin", stdin=PASSWORD)
    assert added.code == 0, added.stderr
    assert added.stdout == "" and PASSWORD not in added.stderr
    with database.session() as session:
        principal = users.authenticate(session, "dana", PASSWORD)
    assert principal is not None and principal.actor == "user:dana"

    short = cli("user", "add", "erin", "--role", "reviewer", "--password-stdin", stdin="short\n")
    assert short.code == 2 and "12 characters" in short.stderr


def test_user_add_generates_a_password_and_disable_refuses_it(cli: Cli, database: Database) -> None:
    added = cli("user", "add", "frank", "--role", "lead")
    assert added.code == 0, added.stderr
    password = added.stdout.strip()
    assert added.stdout == password + "\n" and len(password) >= 12
    with database.session() as session:
        assert users.authenticate(session, "frank", password) is not None

    assert cli("user", "disable", "frank").code == 0
    with database.session() as session:
        assert users.authenticate(session, "frank", password) is None
    record = json.loads(cli("user", "list", "--json").stdout)
    assert (record["name"], record["role"], record["active"]) == ("frank", "lead", False)
    assert "password" not in json.dumps(record)
