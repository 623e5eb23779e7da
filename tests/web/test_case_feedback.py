"""Feedback shown over real HTTP: a case matching an entry of a bank pulled from a partner,
with that partner's opinion and sightings recorded; a reviewer decides it in the console; the
case page's matched-signal row and the API's bank-entries listing show the counts, and the
decision queued a strictly-parsing opinion and sighting for the partner."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import stix2
from sqlalchemy import select

from raqib.auth.users import add_user
from raqib.exchange import feedback
from raqib.exchange.stix import IDENTITY_ID
from raqib.matching import Match
from raqib.records import Labels, NewEntry
from raqib.review.cases import open_case
from raqib.stixids import stix_id
from raqib.store.banks import BankRepository
from raqib.store.models_service import FeedbackOutbox
from service_helpers import Service, console_sign_in

PASSWORD = "correct horse battery staple"
BANK, PARTNER = "pulled-bank", "alpha"
SIGNAL = "md5 " + "3" * 32


@pytest.fixture
def console(service: Service) -> Iterator[tuple[httpx.Client, str]]:
    """A signed-in reviewer: a client carrying the session cookie, and the CSRF token."""
    with service.database.session(write=True) as session:
        add_user(session, "rita", "reviewer", PASSWORD, "system:test")
    cookie = console_sign_in(service.base, "rita", PASSWORD)
    with httpx.Client(base_url=service.base, headers=cookie, timeout=30) as client:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ui/").text)
        assert csrf is not None
        yield client, csrf[1]


def _pulled_entry(service: Service) -> tuple[int, str]:
    """An entry in a bank pulled from the partner: (entry id, indicator id)."""
    signal = service.app.state.raqib.registry.parse(SIGNAL)
    labels = Labels(entity="synthetic entity", tier=1)
    with service.database.session(write=True) as session:
        banks = BankRepository(session)
        banks.create(BANK, tlp="green")
        banks.add_entries(BANK, [NewEntry(signal.signal_type, signal.value, labels)])
        banks.set_origin(BANK, PARTNER, "remote-collection-1")
        entry = next(banks.entries(BANK))
    return entry.id, entry.stix_id


def _case(service: Service, entry_id: int) -> int:
    with service.database.session() as session:
        entry, bank = BankRepository(session).by_ids([entry_id])[entry_id]
    match = Match(bank.name, entry.id, entry.signal_type, entry.value, 0, entry.labels, "q")
    finding = {
        "item": {"id": "1", "source": "post", "path": "synthetic test post 51"},
        "matches": [match.as_dict()],
        "verdict": {"tier": 1, "recommended": "review", "reasons": []},
    }
    meta = {"platform": "test", "external_id": "fb-1", "author_id": "author-9"}
    with service.database.session(write=True) as session:
        return open_case(session, finding, meta, "system:test").id


def _partner_says(service: Service, indicator: str) -> None:
    stamp = "2026-02-01T00:00:00.000Z"
    common = {"spec_version": "2.1", "created": stamp, "modified": stamp}
    objects = [
        {
            "type": "opinion",
            "id": stix_id("opinion", "web test opinion"),
            "opinion": "agree",
            "object_refs": [indicator],
        }
        | common,
        {
            "type": "sighting",
            "id": stix_id("sighting", "web test sighting"),
            "sighting_of_ref": indicator,
            "count": 4,
        }
        | common,
    ]
    with service.database.session(write=True) as session:
        assert set(feedback.record_objects(session, objects, PARTNER).values()) == {None}


def test_the_case_page_and_the_entry_listing_show_feedback(
    service: Service, console: tuple[httpx.Client, str]
) -> None:
    client, csrf = console
    entry_id, indicator = _pulled_entry(service)
    case_id = _case(service, entry_id)
    page = client.get(f"/ui/cases/{case_id}")
    assert page.status_code == 200
    assert "confirmed by 0 partners, disputed by 0, seen 0 times</td>" in page.text
    _partner_says(service, indicator)
    claimed = client.post(f"/ui/cases/{case_id}/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 303, claimed.text
    decided = client.post(
        f"/ui/cases/{case_id}/decide",
        data={"csrf_token": csrf, "outcome": "remove", "reason_remove": "incitement"},
    )
    assert decided.status_code == 303, decided.text
    page = client.get(f"/ui/cases/{case_id}")
    cell = re.search(r"<td data-feedback>([^<]*)</td>", page.text)
    assert cell is not None
    assert cell[1] == "confirmed by 1 partner, disputed by 0, seen 5 times; our reviewers agree"
    with service.client("reviewer") as api:
        listed = api.get(f"/api/v1/banks/{BANK}/entries")
    assert listed.status_code == 200, listed.text
    (entry,) = listed.json()["entries"]
    assert entry["id"] == entry_id and entry["signal"] == "3" * 32  # the old fields stay
    assert entry["feedback"] == {"confirmed": 1, "disputed": 0, "sightings": 5}
    with service.database.session() as session:
        rows = list(session.scalars(select(FeedbackOutbox).order_by(FeedbackOutbox.id)))
        sent = [(r.partner, r.collection, r.stix_object) for r in rows]
    assert [(p, c) for p, c, _ in sent] == [(PARTNER, "remote-collection-1")] * 2
    parsed = [stix2.parse(obj, allow_custom=False) for _, _, obj in sent]
    assert [p.type for p in parsed] == ["opinion", "sighting"]
    assert {p.created_by_ref for p in parsed} == {IDENTITY_ID}
    assert parsed[0].opinion == "strongly-agree" and parsed[1].sighting_of_ref == indicator
