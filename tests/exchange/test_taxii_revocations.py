"""Revocations over TAXII 2.1, read and written by the OASIS taxii2-client (httpx where it cannot
make the call): a removed signal is served as its indicator's revoked version, in time order with
the additions; paging a mix of both is complete and duplicate-free at every small limit; a signal
added again gets a new indicator id; DELETE and POST of revoked indicators remove signals, with
write rights only; a read-only partner may still send feedback (opinions, sightings)."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
import stix2
from requests.exceptions import HTTPError
from sqlalchemy import select
from taxii2client.v21 import Collection, Server, as_pages

from raqib import banking
from raqib.exchange.partners import add_partner, collection_id, share_bank
from raqib.exchange.taxii import MEDIA_TAXII, parse_timestamp
from raqib.exchange.taxii_writes import READ_ONLY
from raqib.records import Labels, NewEntry
from raqib.review import audit
from raqib.signals import Signal
from raqib.store.banks import BankRepository
from raqib.store.models import EntryRevocation
from service_helpers import Service

BANK = "rev"
ACTOR = "system:test"
Obj = dict[str, Any]


def _pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _setup(service: Service, count: int = 12) -> tuple[dict[str, str], list[NewEntry]]:
    """Bank "rev" (count synthetic pdq entries, the first labelled with an entity) shared
    read-only with alpha and writable by gamma; beta sees nothing. Returns the partners' keys
    (and "gamma-actor": how the audit trail names gamma's key) and the entries."""
    rng = random.Random(23)
    entries = [
        NewEntry("pdq", _pdq(rng), Labels(entity="synthetic group 9") if i == 0 else Labels())
        for i in range(count)
    ]
    with service.database.session(write=True) as session:
        banking.create_bank(session, ACTOR, BANK, "synthetic bank", "green", False)
        banking.add_to_bank(session, ACTOR, BANK, entries)
        made = {name: add_partner(session, name, ACTOR) for name in ("alpha", "beta", "gamma")}
        keys = {name: plaintext for name, (plaintext, _key, _partner) in made.items()}
        keys["gamma-actor"] = f"key:{made['gamma'][1].id}"
        share_bank(session, BANK, "alpha", ACTOR)
        share_bank(session, BANK, "gamma", ACTOR, can_write=True)
    return keys, entries


def _remove(service: Service, entry: NewEntry) -> None:
    with service.database.session(write=True) as session:
        banking.remove_from_bank(session, ACTOR, BANK, Signal(entry.signal_type, entry.value))


def _add(service: Service, entries: list[NewEntry]) -> None:
    with service.database.session(write=True) as session:
        banking.add_to_bank(session, ACTOR, BANK, entries)


def _collection(service: Service, key: str) -> Collection:
    server = Server(f"{service.base}/taxii2/", user="partner", password=key)
    (found,) = [c for c in server.api_roots[0].collections if c.title == BANK]
    return found


def _all_pages(collection: Collection, limit: int, **filters: str) -> list[Obj]:
    pages = list(as_pages(collection.get_objects, per_request=limit, **filters))
    assert all(len(page.get("objects", [])) <= limit for page in pages)
    return [obj for page in pages for obj in page.get("objects", [])]


def _indicator_of(objects: list[Obj], value: str) -> Obj:
    (found,) = [o for o in objects if o["type"] == "indicator" and value in o["pattern"]]
    return found


def _stix_id(service: Service, entry: NewEntry) -> str:
    with service.database.session() as session:
        ((record, _bank),) = BankRepository(session).find_exact(entry.signal_type, entry.value)
    return record.stix_id


def test_a_removed_signal_is_served_as_the_revoked_version(service: Service) -> None:
    keys, entries = _setup(service)
    collection = _collection(service, keys["alpha"])
    before = _all_pages(collection, 100)
    original = _indicator_of(before, entries[3].value)
    last_added = collection.get_manifest()["objects"][-1]["date_added"]
    _remove(service, entries[3])

    (revoked,) = collection.get_objects(added_after=last_added)["objects"]
    assert revoked["id"] == original["id"] and revoked["revoked"] is True
    assert revoked["created"] == original["created"] < revoked["modified"]
    for key in ("pattern", "extensions", "object_marking_refs", "valid_from"):
        assert revoked[key] == original[key]
    stix2.parse(revoked, allow_custom=False)
    (record,) = collection.get_manifest(added_after=last_added)["objects"]
    assert record["version"] == revoked["modified"]
    assert parse_timestamp(record["date_added"]) > parse_timestamp(last_added)

    after = _all_pages(collection, 100)  # "last": the revoked version replaces the original
    assert len(after) == len(before)
    assert _indicator_of(after, entries[3].value) == revoked


def test_object_get_and_versions_of_a_revoked_indicator(service: Service) -> None:
    keys, entries = _setup(service)
    collection = _collection(service, keys["alpha"])
    stix_id = _stix_id(service, entries[5])
    _remove(service, entries[5])
    (last,) = collection.get_object(stix_id)["objects"]
    assert last["revoked"] is True
    (first,) = collection.get_object(stix_id, version="first")["objects"]
    assert "revoked" not in first and first["modified"] == first["created"] == last["created"]
    both = collection.get_object(stix_id, version="all")["objects"]
    assert [o["modified"] for o in both] == [first["modified"], last["modified"]]
    (exact,) = collection.get_object(stix_id, version=last["modified"])["objects"]
    assert exact == last
    versions = collection.object_versions(stix_id)
    assert versions["versions"] == [first["modified"], last["modified"]]
    listed = collection.get_objects(id=stix_id, version="all")["objects"]
    assert listed == both
    for obj in both:
        stix2.parse(obj, allow_custom=False)
    for unknown in ("indicator--00000000-0000-4000-8000-00000000abcd", "note--1", "x"):
        with pytest.raises(HTTPError) as missing:
            collection.get_object(unknown)
        assert missing.value.response.status_code == 404


def _mixed_history(service: Service, entries: list[NewEntry]) -> None:
    """Additions and removals interleaved in time, and one signal removed and added again."""
    rng = random.Random(5)
    _remove(service, entries[0])  # the labelled one: its relationship goes with it
    _add(service, [NewEntry("pdq", _pdq(rng)) for _ in range(4)])
    _remove(service, entries[4])
    _remove(service, entries[7])
    _add(service, [NewEntry("md5", f"{rng.getrandbits(128):032x}"), entries[4]])
    _remove(service, entries[9])
    _add(service, [NewEntry("pdq", _pdq(rng)) for _ in range(3)])


def _expected(service: Service) -> set[tuple[str, bool]]:
    """(indicator id, revoked) for every live entry and every revocation of the bank."""
    with service.database.session() as session:
        live = {(e.stix_id, False) for e in BankRepository(session).entries(BANK)}
        revoked = {(str(i), True) for i in session.scalars(select(EntryRevocation.stix_id))}
    return live | revoked


@pytest.mark.parametrize("version", ["last", "all"])
def test_paging_a_mix_of_adds_and_revocations(service: Service, version: str) -> None:
    keys, entries = _setup(service)
    _mixed_history(service, entries)
    collection = _collection(service, keys["alpha"])
    expected = _expected(service)
    whole = collection.get_objects(limit=1000, version=version)["objects"]
    indicators = {(o["id"], o.get("revoked") is True) for o in whole if o["type"] == "indicator"}
    if version == "last":
        assert indicators == expected
    else:  # every revocation also gives its original version
        assert indicators == expected | {(i, False) for i, revoked in expected if revoked}
    for limit in range(1, 8):
        paged = _all_pages(collection, limit, version=version)
        assert paged == whole, f"limit={limit}"
        assert len({(o["id"], o.get("modified")) for o in paged}) == len(paged)
    for obj in whole:
        stix2.parse(obj, allow_custom=False)
    # the revocations come in time order with the additions: added_after cuts anywhere
    manifest = collection.get_manifest(limit=1000, version=version)["objects"]
    dates = [parse_timestamp(r["date_added"]) for r in manifest]
    assert dates == sorted(dates)
    for cut in (2, len(manifest) // 2, len(manifest) - 2):
        tail = collection.get_objects(added_after=manifest[cut]["date_added"], version=version)
        assert tail.get("objects", []) == [
            o for o, d in zip(whole, dates, strict=True) if d > dates[cut]
        ]


def test_a_signal_added_again_gets_a_new_indicator_id(service: Service) -> None:
    keys, entries = _setup(service, count=3)
    first_id = _stix_id(service, entries[1])
    _remove(service, entries[1])
    _add(service, [entries[1]])
    second_id = _stix_id(service, entries[1])
    _remove(service, entries[1])
    _add(service, [entries[1]])
    third_id = _stix_id(service, entries[1])
    assert len({first_id, second_id, third_id}) == 3
    collection = _collection(service, keys["alpha"])
    assert collection.get_object(first_id)["objects"][0]["revoked"] is True
    assert collection.get_object(second_id)["objects"][0]["revoked"] is True
    assert "revoked" not in collection.get_object(third_id)["objects"][0]
    # an entry arriving with its own id keeps it
    own = NewEntry("md5", "0" * 31 + "7", stix_id="indicator--11111111-2222-4333-8444-555555555555")
    _add(service, [own])
    assert _stix_id(service, own) == own.stix_id


def _match(service: Service, entry: NewEntry) -> list[Obj]:
    with service.client("submitter") as client:
        answer = client.post("/api/v1/match", json={"signals": [f"pdq {entry.value}"]})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"][0]["matches"])


def test_delete_needs_write_rights_and_revokes(service: Service) -> None:
    keys, entries = _setup(service)
    target = _stix_id(service, entries[2])
    url = f"{service.base}/taxii2/api/collections/{collection_id(BANK)}/objects/{target}/"
    assert [m["bank"] for m in _match(service, entries[2])] == [BANK]
    with httpx.Client(timeout=30) as client:
        read_only = client.delete(url, auth=httpx.BasicAuth("a", keys["alpha"]))
        assert read_only.status_code == 403 and read_only.json()["http_status"] == "403"
        unshared = client.delete(url, auth=httpx.BasicAuth("b", keys["beta"]))
        assert unshared.status_code == 404
        unknown = client.delete(
            url.replace(target, "indicator--00000000-0000-4000-8000-00000000dead"),
            auth=httpx.BasicAuth("g", keys["gamma"]),
        )
        assert unknown.status_code == 404
        other_version = client.delete(
            url, params={"match[version]": "2020-01-01T00:00:00.000Z"}, auth=("g", keys["gamma"])
        )
        assert other_version.status_code == 404
        done = client.delete(url, auth=httpx.BasicAuth("g", keys["gamma"]))
        assert done.status_code == 200 and done.content == b""
        assert done.headers["content-type"] == MEDIA_TAXII
        again = client.delete(url, auth=httpx.BasicAuth("g", keys["gamma"]))
        assert again.status_code == 200  # already revoked: nothing left to remove
    assert _match(service, entries[2]) == []
    collection = _collection(service, keys["alpha"])
    assert collection.get_object(target)["objects"][0]["revoked"] is True
    with service.database.session() as session:
        removals = audit.events(session, verb="entry.remove", object_type="bank", object_id=BANK)
    assert [e.actor for e in removals] == [keys["gamma-actor"]]
    assert removals[0].details["signal"] == entries[2].value


def test_taxii2_client_deletes_and_a_derived_object_is_refused(service: Service) -> None:
    keys, entries = _setup(service)
    writer = _collection(service, keys["gamma"])
    assert writer.can_write
    target = _stix_id(service, entries[6])
    writer.delete_object(target)
    with service.database.session() as session:
        assert BankRepository(session).find_exact("pdq", entries[6].value) == []
    actor = writer.get_objects(type="threat-actor")["objects"][0]["id"]
    with pytest.raises(HTTPError) as refused:
        writer.delete_object(actor)
    assert refused.value.response.status_code == 400


def _opinion(about: str) -> Obj:
    return {
        "type": "opinion",
        "spec_version": "2.1",
        "id": "opinion--7c0a8f57-5a0e-4e55-9a3e-6a1f2b3c4d5e",
        "created": "2026-02-01T00:00:00.000Z",
        "modified": "2026-02-01T00:00:00.000Z",
        "opinion": "agree",
        "explanation": "synthetic test feedback",
        "object_refs": [about],
    }


def test_posting_a_revoked_indicator_removes_its_signal(service: Service) -> None:
    keys, entries = _setup(service)
    writer = _collection(service, keys["gamma"])
    original = _indicator_of(writer.get_objects(limit=1000)["objects"], entries[8].value)
    revoked = original | {"revoked": True, "modified": "2099-01-01T00:00:00.000Z"}
    opinion = _opinion(original["id"])  # a writer's feedback is recorded too
    status = writer.add_objects({"objects": [revoked, opinion]})
    assert status.success_count == 2 and status.failure_count == 0, status.failures
    with service.database.session() as session:
        assert BankRepository(session).find_exact("pdq", entries[8].value) == []
    (served,) = writer.get_object(original["id"])["objects"]
    assert served["revoked"] is True and served["created"] == original["created"]


def test_a_read_only_partner_sends_feedback_but_no_indicators(service: Service) -> None:
    keys, entries = _setup(service)
    reader = _collection(service, keys["alpha"])
    assert reader.can_read and not reader.can_write
    indicator = reader.get_objects(type="indicator", limit=1)["objects"][0]
    new_signal = indicator | {
        "id": "indicator--0a0a0a0a-0000-4000-8000-000000000001",
        "pattern": "[file:hashes.'MD5' = '00000000000000000000000000000009']",
    }
    new_signal.pop("extensions")
    opinion = _opinion(indicator["id"])
    stix2.parse(opinion, allow_custom=False)
    headers = {"Content-Type": MEDIA_TAXII, "Accept": MEDIA_TAXII}
    auth = httpx.BasicAuth("alpha", keys["alpha"])
    with httpx.Client(timeout=30, headers=headers, auth=auth) as client:
        mixed = client.post(reader.objects_url, json={"objects": [opinion, new_signal]})
        assert mixed.status_code == 202, mixed.text
        only_indicators = client.post(reader.objects_url, json={"objects": [new_signal]})
        assert only_indicators.status_code == 403
    status = mixed.json()
    assert status["total_count"] == 2
    failed = {f["id"]: f["message"] for f in status["failures"]}
    assert failed[new_signal["id"]] == READ_ONLY
    assert [s["id"] for s in status["successes"]] == [opinion["id"]]  # recorded as feedback
    with service.database.session() as session:
        assert BankRepository(session).find_exact("md5", "0" * 31 + "9") == []
        assert BankRepository(session).get(BANK).entry_count == len(entries)
