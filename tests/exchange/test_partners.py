"""Partners and bank shares: adding a partner makes its key, sharing is audited and refused for
TLP red, a partner's view holds only its shares, and the CLI commands do the same."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import Cli
from raqib import banking
from raqib.auth.keys import list_keys
from raqib.auth.principal import Principal, system_principal
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.exchange.partners import (
    add_partner,
    collection_for,
    collection_id,
    collections_for,
    list_partners,
    share_bank,
    unshare_bank,
)
from raqib.review import audit
from raqib.store.db import Database
from raqib.store.models_service import Partner


def partner_principal(name: str) -> Principal:
    """The principal a partner's key authenticates as."""
    return Principal(kind="key", id=1, name=f"partner {name}", role="partner", partner=name)


def _bank(database: Database, name: str, tlp: str = "amber") -> None:
    with database.session(write=True) as session:
        banking.create_bank(session, "system:test", name, "", tlp, False)


def test_add_partner_creates_a_partner_key(database: Database) -> None:
    with database.session(write=True) as session:
        plaintext, key, partner = add_partner(session, "alpha", "system:test", "https://x.test/t/")
        with pytest.raises(ConflictError):
            add_partner(session, "alpha", "system:test")
        with pytest.raises(InputError):
            add_partner(session, "gamma", "system:test", "ftp://nope")
    assert plaintext.startswith("rqb_") and key.role == "partner" and key.partner == "alpha"
    with database.session() as session:
        assert [p.name for p in list_partners(session)] == ["alpha"]
        assert list_partners(session)[0].taxii_url == "https://x.test/t/"
        assert [k.partner for k in list_keys(session)] == ["alpha"]
        assert partner.name == "alpha"


def test_shares_scope_what_a_partner_sees(database: Database) -> None:
    for name, tlp in (("a", "amber"), ("b", "green"), ("hidden", "red")):
        _bank(database, name, tlp)
    with database.session(write=True) as session:
        for partner in ("alpha", "beta"):
            add_partner(session, partner, "system:test")
        share_bank(session, "a", "alpha", "system:test")
        shared = share_bank(session, "b", "beta", "system:test", can_write=True)
        with pytest.raises(InputError, match="red"):
            share_bank(session, "hidden", "alpha", "system:test")
        with pytest.raises(NotFoundError):
            share_bank(session, "a", "nobody", "system:test")
    assert shared.can_write and shared.id == collection_id("b")
    alpha, beta = partner_principal("alpha"), partner_principal("beta")
    with database.session() as session:
        assert [c.bank.name for c in collections_for(session, alpha)] == ["a"]
        assert [c.can_write for c in collections_for(session, beta)] == [True]
        admin_view = {c.bank.name for c in collections_for(session, system_principal())}
        assert admin_view == {"a", "b"}
        with pytest.raises(NotFoundError):
            collection_for(session, alpha, collection_id("b"))
        events = [e for e in audit.events(session) if e.verb == "bank.share"]
    assert len(events) == 2


def test_a_bank_turned_red_leaves_every_view_and_unshare(database: Database) -> None:
    _bank(database, "a")
    with database.session(write=True) as session:
        add_partner(session, "alpha", "system:test")
        share_bank(session, "a", "alpha", "system:test")
        share_bank(session, "a", "alpha", "system:test", can_write=True)  # changes the right
    alpha = partner_principal("alpha")
    with database.session() as session:
        assert [c.can_write for c in collections_for(session, alpha)] == [True]
    with database.session(write=True) as session:
        banking.update_bank(session, "system:test", "a", {"tlp": "red"})
    with database.session() as session:
        assert collections_for(session, alpha) == []
    with database.session(write=True) as session:
        unshare_bank(session, "a", "alpha", "system:test")
        with pytest.raises(NotFoundError):
            unshare_bank(session, "a", "alpha", "system:test")


def test_cli_partner_add_list_and_bank_share(cli: Cli) -> None:
    run = cli
    assert run("bank", "create", "shared").code == 0
    assert run("bank", "create", "--tlp", "red", "mine").code == 0
    added = run("partner", "add", "alpha", "--taxii", "https://x.test/")
    assert added.code == 0, added.stderr
    assert added.stdout.strip().startswith("rqb_") and len(added.stdout.splitlines()) == 1
    listed = run("partner", "list", "--json")
    assert '"name": "alpha"' in listed.stdout
    shared = run("bank", "share", "shared", "alpha", "--write")
    assert shared.code == 0 and collection_id("shared") in shared.stderr
    refused = run("bank", "share", "mine", "alpha")
    assert refused.code == 2 and "red" in refused.stderr
    assert run("bank", "unshare", "shared", "alpha").code == 0
    assert run("bank", "unshare", "shared", "alpha").code == 2


def test_cli_partner_update_sets_the_url_and_the_key(cli: Cli, database: Database) -> None:
    assert cli("partner", "add", "beta").code == 0
    updated = cli("partner", "update", "beta", "--taxii", "https://b.test/taxii2/",
                  "--remote-key-stdin", stdin="rqb_remote_placeholder\n")  # fmt: skip
    assert updated.code == 0, updated.stderr
    with database.session() as session:
        row = session.scalar(select(Partner).where(Partner.name == "beta"))
        assert row is not None and row.taxii_url == "https://b.test/taxii2/"
        assert row.remote_key == "rqb_remote_placeholder"
    assert cli("partner", "update", "beta").code == 2  # nothing to change
    assert cli("partner", "add", "gamma").code == 0
    keyless = cli("partner", "update", "gamma", "--remote-key-stdin", stdin="rqb_other\n")
    assert keyless.code == 2 and "TAXII URL" in keyless.stderr
    assert cli("partner", "update", "nobody", "--taxii", "https://c.test/").code != 0
