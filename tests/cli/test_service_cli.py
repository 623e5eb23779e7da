"""The service's commands: bank changes from the CLI land in the audit trail, `raqib audit
verify` passes on an untouched chain and names the first tampered event, and `raqib serve`
answers and stops cleanly on SIGTERM."""

from __future__ import annotations

import json

from sqlalchemy import text

from conftest import Cli
from raqib.store.db import Database


def test_cli_changes_are_audited_and_verify_catches_tampering(cli: Cli, database: Database) -> None:
    assert cli("bank", "create", "b1").code == 0
    assert cli("bank", "add", "b1", "--signal", "pdq " + "ab" * 32, "-l", "tier=2").code == 0
    assert cli("bank", "delete", "b1", "--yes").code == 0
    listed = cli("audit", "list", "--json")
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [e["verb"] for e in events] == ["bank.create", "entry.add", "bank.delete"]
    assert {e["actor"] for e in events} == {"system:cli"}
    verified = cli("audit", "verify", "--json")
    assert verified.code == 0 and json.loads(verified.stdout)["checked"] == 3
    with database.session() as session:
        session.execute(text("UPDATE audit_events SET details = '{}' WHERE id = 2"))
    broken = cli("audit", "verify")
    assert broken.code == 1 and "event 2" in broken.stderr
