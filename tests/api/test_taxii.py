"""The TAXII 2.1 server read by the OASIS taxii2-client over loopback: discovery, collections,
objects paged with `next`, added_after and match[type] filters, one object and its versions; a
partner sees only what is shared with it; a wrong key is refused with 401."""

from __future__ import annotations

import base64
import random
import time

import httpx
import pytest
import stix2
from requests.exceptions import HTTPError
from taxii2client.v21 import Collection, Server, as_pages

from raqib import banking
from raqib.exchange.partners import add_partner, collection_id, share_bank
from raqib.exchange.taxii import MEDIA_TAXII, parse_timestamp, timestamp
from raqib.records import EntryRecord, Labels, NewEntry
from raqib.store.banks import BankRepository
from service_helpers import Service

ENTRIES = 251


def _setup(service: Service) -> dict[str, str]:
    """Bank "shared-a" (251 entries, the first 5 labelled with an entity) shared with alpha;
    a red bank; partners alpha and beta. Returns the partners' keys."""
    rng = random.Random(7)
    entries = [
        NewEntry(
            "pdq",
            f"{rng.getrandbits(256):064x}",
            Labels(entity="synthetic group 1", tier=2) if i < 5 else Labels(),
        )
        for i in range(ENTRIES - 1)
    ]
    entries.append(NewEntry("md5", f"{rng.getrandbits(128):032x}"))
    with service.database.session(write=True) as session:
        banking.create_bank(session, "system:test", "shared-a", "synthetic bank", "amber", False)
        banking.add_to_bank(session, "system:test", "shared-a", entries)
        banking.create_bank(session, "system:test", "secret", "", "red", False)
        banking.add_to_bank(session, "system:test", "secret", entries[:3])
        keys = {name: add_partner(session, name, "system:test")[0] for name in ("alpha", "beta")}
        share_bank(session, "shared-a", "alpha", "system:test")
    return keys


def _collection(service: Service, key: str, user: str = "alpha") -> Collection:
    server = Server(f"{service.base}/taxii2/", user=user, password=key)
    (root,) = server.api_roots
    (found,) = [c for c in root.collections if c.title == "shared-a"]
    return found


def _indicators(objects: list[dict[str, object]]) -> list[dict[str, object]]:
    return [o for o in objects if o["type"] == "indicator"]


def test_partner_reads_its_collection_paged(service: Service) -> None:
    keys = _setup(service)
    server = Server(f"{service.base}/taxii2/", user="alpha", password=keys["alpha"])
    assert server.api_roots[0].url == f"{service.base}/taxii2/api/"
    collection = _collection(service, keys["alpha"])
    assert collection.id == collection_id("shared-a")
    assert collection.can_read and not collection.can_write
    pages = list(as_pages(collection.get_objects, per_request=100))
    assert len(pages) == 3
    assert all(len(page["objects"]) <= 100 for page in pages)
    objects = [o for page in pages for o in page["objects"]]
    assert len(_indicators(objects)) == ENTRIES
    assert len({o["id"] for o in objects}) == len(objects)  # nothing twice across pages
    assert {o["type"] for o in objects} >= {"identity", "marking-definition", "threat-actor"}
    for obj in objects:
        stix2.parse(obj, allow_custom=False)
    assert pages[-1]["more"] is False and "next" not in pages[-1]


def test_filters_added_after_and_match(service: Service) -> None:
    keys = _setup(service)
    collection = _collection(service, keys["alpha"])
    actors = collection.get_objects(type="threat-actor")["objects"]
    assert [a["name"] for a in actors] == ["synthetic group 1"]
    relationships = collection.get_objects(type="relationship")["objects"]
    assert len(relationships) == 5
    one = relationships[0]["source_ref"]
    found = collection.get_objects(id=one)["objects"]
    assert [o["id"] for o in found] == [one]
    assert collection.get_object(one)["objects"][0]["id"] == one
    versions = collection.object_versions(one)["versions"]
    assert versions == [found[0]["modified"]]
    manifest = collection.get_manifest(type="indicator", limit=10)
    assert len(manifest["objects"]) == 10 and manifest["more"] is True
    # entries added later are all that added_after the last one returns
    last_added = parse_timestamp(manifest["objects"][-1]["date_added"])
    time.sleep(0.01)
    with service.database.session(write=True) as session:
        banking.add_to_bank(session, "system:test", "shared-a", [NewEntry("md5", "0" * 31 + "1")])
    later = collection.get_objects(added_after=last_added.isoformat())["objects"]
    assert [o["pattern"] for o in later] == [
        "[file:hashes.'MD5' = '00000000000000000000000000000001']"
    ]


def test_headers_media_type_and_errors(service: Service) -> None:
    keys = _setup(service)
    base = f"{service.base}/taxii2/api/collections/{collection_id('shared-a')}"
    auth = httpx.BasicAuth("anyone", keys["alpha"])
    with httpx.Client(timeout=30) as client:
        answer = client.get(f"{base}/objects/", params={"limit": 5}, auth=auth)
        assert answer.headers["content-type"] == MEDIA_TAXII
        assert "X-TAXII-Date-Added-First" in answer.headers
        assert answer.json()["more"] is True and answer.json()["next"]
        bearer = {"Authorization": f"Bearer {keys['alpha']}"}
        assert client.get(f"{base}/", headers=bearer).json()["title"] == "shared-a"
        wrong = client.get(f"{base}/", auth=httpx.BasicAuth("x", "rqb_wrong"))
        assert wrong.status_code == 401
        assert wrong.json()["http_status"] == "401"
        assert "Basic" in wrong.headers["www-authenticate"]
        assert (
            client.get(f"{base}/objects/", params={"next": "bogus"}, auth=auth).status_code == 400
        )
        assert client.get(f"{base}/objects/", params={"limit": 0}, auth=auth).status_code == 400
        reviewer = {"Authorization": f"Bearer {service.keys['reviewer']}"}
        assert client.get(f"{service.base}/taxii2/", headers=reviewer).status_code == 403


def test_partner_b_cannot_list_or_read_a_collection(service: Service) -> None:
    keys = _setup(service)
    server = Server(f"{service.base}/taxii2/", user="beta", password=keys["beta"])
    assert server.api_roots[0].collections == []
    url = f"{service.base}/taxii2/api/collections/{collection_id('shared-a')}/"
    refused_collection = Collection(url, user="beta", password=keys["beta"])
    for call in (refused_collection.refresh, refused_collection.get_objects):
        with pytest.raises(HTTPError) as refused:
            call()
        assert refused.value.response.status_code == 404
    with httpx.Client(timeout=30) as client:
        answer = client.get(url + "manifest/", auth=httpx.BasicAuth("beta", keys["beta"]))
        assert answer.status_code == 404
        assert answer.json()["http_status"] == "404"


def test_red_never_appears_and_wrong_key_is_401(service: Service) -> None:
    keys = _setup(service)
    admin = Server(
        f"{service.base}/taxii2/", user="admin", password=service.keys["admin"]
    ).api_roots[0]
    titles = {c.title for c in admin.collections}
    assert "shared-a" in titles and "secret" not in titles
    with httpx.Client(timeout=30) as client:
        url = f"{service.base}/taxii2/api/collections/{collection_id('secret')}/objects/"
        bearer = {"Authorization": f"Bearer {service.keys['admin']}"}
        assert client.get(url, headers=bearer).status_code == 404
    with pytest.raises(HTTPError) as refused:
        Server(f"{service.base}/taxii2/", user="alpha", password="wrong").api_roots  # noqa: B018
    assert refused.value.response.status_code == 401
    assert keys["alpha"] != keys["beta"]


def test_write_share_adds_objects_and_reports_a_status(service: Service) -> None:
    keys = _setup(service)
    with service.database.session(write=True) as session:
        banking.create_bank(session, "system:test", "inbox", "", "amber", False)
        share_bank(session, "inbox", "alpha", "system:test", can_write=True)
    source = _collection(service, keys["alpha"])
    sent = source.get_objects(limit=20)["objects"]
    sent.append({"type": "note", "id": "note--00000000-0000-4000-8000-000000000001"})
    server = Server(f"{service.base}/taxii2/", user="alpha", password=keys["alpha"])
    (inbox,) = [c for c in server.api_roots[0].collections if c.title == "inbox"]
    assert inbox.can_write
    status = inbox.add_objects({"objects": sent})
    assert status.status == "complete" and status.total_count == len(sent)
    assert status.failure_count == 1 and status.failures[0]["id"].startswith("note--")
    again = server.api_roots[0].get_status(status.id)
    assert again.success_count == status.success_count == len(sent) - 1
    indicators = _indicators(sent)
    with service.database.session() as session:
        stored = BankRepository(session).entries_page("inbox", 0, 100)
    assert len(stored) == len(indicators) > 0
    # a read-only share refuses writes; another partner cannot see the status
    with httpx.Client(timeout=30) as client:
        refused = client.post(
            source.objects_url,
            json={"objects": sent[:1]},
            auth=httpx.BasicAuth("alpha", keys["alpha"]),
            headers={"Content-Type": MEDIA_TAXII, "Accept": MEDIA_TAXII},
        )
    assert refused.status_code == 403 and refused.json()["http_status"] == "403"
    with pytest.raises(HTTPError) as hidden:
        Server(f"{service.base}/taxii2/", user="beta", password=keys["beta"]).api_roots[
            0
        ].get_status(status.id)
    assert hidden.value.response.status_code == 404


def _raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_pages_hold_at_most_limit_objects_and_cursors_are_checked(service: Service) -> None:
    keys = _setup(service)
    collection = _collection(service, keys["alpha"])
    whole = collection.get_objects(limit=1000)["objects"]
    # the first entries give three objects each (indicator, threat-actor, relationship); a
    # threat-actor is repeated on each page with an entry labelled with it
    pages = list(as_pages(collection.get_objects, per_request=2))
    assert all(len(page["objects"]) == 2 for page in pages[:-1])
    paged = [o for page in pages for o in page["objects"]]
    assert [o for o in paged if o["type"] != "threat-actor"] == [
        o for o in whole if o["type"] != "threat-actor"
    ]
    assert {o["id"] for o in paged} == {o["id"] for o in whole}
    base = f"{service.base}/taxii2/api/collections/{collection_id('shared-a')}/objects/"
    auth = httpx.BasicAuth("alpha", keys["alpha"])
    with httpx.Client(timeout=30, auth=auth) as client:
        for bogus in ("2026-01-01T00:00:00Z|9|1|0", "2026-01-01T00:00:00Z|1|-1|0", "x|1|1|0"):
            refused = client.get(base, params={"next": _raw_cursor(bogus)})
            assert refused.status_code == 400, bogus
            assert "start again" in refused.json()["title"]
        # the older two-part cursor (time|entry id, that entry served) is still read
        entry = _first_entry(service)
        cursor = _raw_cursor(f"{timestamp(entry.added_at)}|{entry.id}")
        older = client.get(base, params={"next": cursor, "limit": 1000})
        assert older.status_code == 200
        rest = [o for o in older.json()["objects"] if o["type"] == "indicator"]
        assert [o["id"] for o in rest] == [o["id"] for o in _indicators(whole)[1:]]
        wrong_version = client.get(base, params={"match[version]": "latest"})
        assert wrong_version.status_code == 400
        assert "match[version]" in wrong_version.json()["title"]


def _first_entry(service: Service) -> EntryRecord:
    with service.database.session() as session:
        return BankRepository(session).entries_page("shared-a", 0, 1)[0]
