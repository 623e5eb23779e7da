"""GET /api/v1/banks/{name}/export in the document formats: a STIX bundle, a MISP event and a Tech
Against Terrorism list, each with the bank's TLP, read back into the same entries."""

from __future__ import annotations

import csv
import io
import json

import stix2

from service_helpers import Service

PDQ = "f" * 16 + "0" * 48
MD5 = "0123456789abcdef0123456789abcdef"


def _bank(service: Service, name: str, tlp: str) -> None:
    with service.client("curator") as client:
        assert client.post("/api/v1/banks", json={"name": name, "tlp": tlp}).status_code == 201
        added = client.post(
            f"/api/v1/banks/{name}/import",
            params={"format": "te"},
            content=f"pdq {PDQ}\nmd5 {MD5}\n".encode(),
            headers={"Content-Type": "text/plain"},
        )
    assert added.status_code == 201 and added.json()["added"] == 2


def test_document_exports_carry_the_bank_and_read_back(service: Service) -> None:
    _bank(service, "docs-green", "green")
    with service.client("curator") as client:
        bundle = client.get("/api/v1/banks/docs-green/export", params={"format": "stix"})
        event = client.get("/api/v1/banks/docs-green/export", params={"format": "misp"})
        listed = client.get("/api/v1/banks/docs-green/export", params={"format": "tat"})
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith(
        "application/stix+json"
    )
    objects = bundle.json()["objects"]
    for obj in objects:
        stix2.parse(obj, allow_custom=False)
    indicators = [o for o in objects if o["type"] == "indicator"]
    assert {o["pattern"] for o in indicators} == {
        f"[file:hashes.'PDQ' = '{PDQ}']",
        f"[file:hashes.'MD5' = '{MD5}']",
    }
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    assert all(o["object_marking_refs"] == [green] for o in indicators)
    misp = event.json()["Event"]
    assert {a["value"] for a in misp["Attribute"]} >= {MD5}
    assert any(tag["name"] == "tlp:green" for tag in misp["Tag"])
    rows = list(csv.DictReader(io.StringIO(listed.text)))
    assert len(rows) == 2


def test_a_red_bank_is_refused_in_misp_and_tat_with_a_clear_error(service: Service) -> None:
    _bank(service, "docs-red", "red")
    with service.client("curator") as client:
        for fmt in ("misp", "tat"):
            refused = client.get("/api/v1/banks/docs-red/export", params={"format": fmt})
            assert refused.status_code == 400, (fmt, refused.text)
            assert "red" in json.dumps(refused.json()).lower()
