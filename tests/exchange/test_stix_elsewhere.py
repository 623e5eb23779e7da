"""A bank exported to STIX and imported by another Raqib (its own home and SQLite database)
matches the same content there: a re-encoded copy of a banked image and a banked file."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli
from raqib.synthetic import make_image, reencode_jpeg


def _matched(cli: Cli, path: Path) -> list[dict[str, object]]:
    done = cli("scan", path, "--json", "-o", path.parent / f"{path.stem}.findings.jsonl")
    assert done.code in (0, 1), done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [m for row in rows for m in row["matches"]]


def test_stix_export_imported_elsewhere_matches_the_same_content(cli: Cli, tmp_path: Path) -> None:
    original = make_image(4711)
    original.save(tmp_path / "banked.jpg", quality=92)
    (tmp_path / "leaflet.bin").write_bytes(b"synthetic placeholder file 4711\n" * 64)
    assert cli("bank", "create", "origin-bank", "--tlp", "green").code == 0
    for name in ("banked.jpg", "leaflet.bin"):
        added = cli("bank", "add", "origin-bank", name, "-l", "entity=Group Q", "-l", "tier=2")
        assert added.code == 0, added.stderr
    exported = cli("bank", "export", "origin-bank", "--format", "stix", "-o", "bundle.json")
    assert exported.code == 0, exported.stderr

    home = tmp_path / "elsewhere"
    env = {k: v for k, v in cli.env.items() if k not in ("RAQIB_HOME", "RAQIB_DATABASE_URL")}
    elsewhere = Cli(env | {"RAQIB_HOME": str(home)}, tmp_path)
    assert elsewhere("bank", "create", "imported").code == 0
    imported = elsewhere("bank", "import", "imported", tmp_path / "bundle.json", "--format", "stix")
    assert imported.code == 0, imported.stderr

    probe = tmp_path / "probe"
    probe.mkdir()
    reencode_jpeg(original, 45).save(probe / "copy.jpg")
    (probe / "leaflet-copy.bin").write_bytes((tmp_path / "leaflet.bin").read_bytes())
    found = _matched(elsewhere, probe)
    kinds = {(m["signal_type"], m["bank"], m["labels"]["entity"]) for m in found}
    assert ("pdq", "imported", "Group Q") in kinds
    assert ("md5", "imported", "Group Q") in kinds and ("sha256", "imported", "Group Q") in kinds
    assert _matched(elsewhere, probe / "copy.jpg")  # a single file as well
    make_image(4712).save(probe / "unrelated.jpg")
    assert not _matched(elsewhere, probe / "unrelated.jpg")
