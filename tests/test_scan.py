"""`raqib scan` over a folder with good, near-duplicate and hostile files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import Cli
from raqib.synthetic import make_image, mirror, reencode_jpeg


def _findings(text: str) -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return {Path(str(r["item"]["path"])).name: r for r in rows}  # type: ignore[index]


def test_scan_reports_matches_and_goes_on_past_bad_files(cli: Cli, tmp_path: Path) -> None:
    original = make_image(21)
    original.save(tmp_path / "orig.jpg", quality=92)
    cli("bank", "create", "known")
    cli("bank", "add", "known", "orig.jpg", "-l", "entity=ISIS", "-l", "tier=1")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    reencode_jpeg(original, 40).save(corpus / "near.jpg")
    mirror(original).save(corpus / "mirrored.png")
    make_image(22).save(corpus / "other.jpg")
    data = (tmp_path / "orig.jpg").read_bytes()
    (corpus / "truncated.jpg").write_bytes(data[: len(data) // 4])
    (corpus / "empty.png").write_bytes(b"")
    (corpus / "notes.txt").write_text("a neutral note about the weather")
    os.mkfifo(corpus / "pipe")
    (corpus / "loop").symlink_to(corpus)
    (corpus / "dangling.jpg").symlink_to(corpus / "nowhere.jpg")
    (corpus / os.fsdecode(b"caf\xe9.jpg")).write_bytes(data)  # a non-UTF-8 file name

    result = cli("scan", "corpus", "--json", "--report", "report.html", "-o", "f.jsonl")
    assert result.code == 0, result.stderr
    found = _findings(result.stdout)
    assert found["near.jpg"]["matches"] and found["mirrored.png"]["matches"]
    assert found["caf\\xe9.jpg"]["matches"]
    assert not found["other.jpg"]["matches"] and not found["notes.txt"]["errors"]
    for bad in ["truncated.jpg", "empty.png", "pipe", "loop", "dangling.jpg"]:
        assert found[bad]["errors"], bad
    verdict = found["near.jpg"]["verdict"]
    assert verdict == {"tier": 1, "recommended": "review", "reasons": verdict["reasons"]}  # type: ignore[index]
    for finding in found.values():
        assert set(finding) >= {"item", "signals", "matches", "text", "page", "verdict", "errors"}
    os.utime(corpus / "other.jpg", (0, 1_700_000_000))
    rescanned = _findings(cli("scan", "corpus/other.jpg", "--json", "-o", "g.jsonl").stdout)
    assert rescanned["other.jpg"]["item"]["time"] == "2023-11-14T22:13:20+00:00"  # type: ignore[index]
    assert _findings((tmp_path / "f.jsonl").read_text()) == found
    html = (tmp_path / "report.html").read_text()
    assert "near.jpg" in html and "<script" not in html
    assert "Traceback" not in result.stderr


def test_allow_list_match_shows_in_the_finding(cli: Cli, tmp_path: Path) -> None:
    image = make_image(31)
    image.save(tmp_path / "photo.jpg", quality=92)
    cli("bank", "create", "known")
    cli("bank", "create", "news", "--allow-list")
    cli("bank", "add", "known", "photo.jpg", "-t", "pdq")
    cli("bank", "add", "news", "photo.jpg", "-t", "pdq")
    result = cli("scan", "photo.jpg", "--json", "-o", "f.jsonl")
    (finding,) = _findings(result.stdout).values()
    by_bank = {m["bank"]: m for m in finding["matches"]}  # type: ignore[attr-defined]
    assert by_bank["known"]["suppressed_by"] == "news"
    assert finding["verdict"]["recommended"] == "none"  # type: ignore[index]
    assert "allow-listed by bank news" in finding["verdict"]["reasons"]  # type: ignore[index]
