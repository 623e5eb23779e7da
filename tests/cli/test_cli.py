"""The `raqib` command as users and scripts meet it: exit codes, JSON shapes, one-line errors."""

from __future__ import annotations

import json
import random
from pathlib import Path

from PIL import Image

from conftest import Cli
from raqib.store.migrate import SCHEMA_HEAD
from raqib.synthetic import make_image, reencode_jpeg, resize_half


def _images(directory: Path) -> None:
    original = make_image(11)
    original.save(directory / "orig.jpg", quality=92)
    reencode_jpeg(resize_half(original), quality=40).save(directory / "near.jpg")
    make_image(12).save(directory / "other.jpg", quality=92)


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_one_hash_bank_matches_near_duplicate_and_not_other(cli: Cli, tmp_path: Path) -> None:
    _images(tmp_path)
    assert cli("bank", "create", "solo", "--tlp", "amber").code == 0
    assert cli("bank", "add", "solo", "orig.jpg", "-t", "pdq", "-l", "tier=1").code == 0
    near = cli("match", "near.jpg", "--json")
    assert near.code == 0, near.stderr
    (record,) = _json_lines(near.stdout)
    assert record["bank"] == "solo" and record["query"] == "near.jpg"
    assert 0 < int(record["distance"]) <= 31 and record["tier"] == 1
    assert cli("match", "other.jpg").code == 1


def test_hash_prints_one_record_per_signal(cli: Cli, tmp_path: Path) -> None:
    _images(tmp_path)
    result = cli("hash", "orig.jpg", "--json")
    assert result.code == 0
    records = _json_lines(result.stdout)
    assert [r["signal_type"] for r in records] == ["pdq", "md5", "sha256"]
    assert set(records[0]) >= {"path", "signal_type", "signal", "quality"}


def test_bad_input_is_one_line_exit_2_naming_the_file(cli: Cli, tmp_path: Path) -> None:
    _images(tmp_path)
    data = (tmp_path / "orig.jpg").read_bytes()
    (tmp_path / "broken.jpg").write_bytes(data[:2000])
    Image.new("L", (9000, 9000)).save(tmp_path / "bomb.png")
    for name in ["broken.jpg", "bomb.png", "missing.jpg"]:
        result = cli("hash", name)
        assert result.code == 2
        assert "Traceback" not in result.stderr + result.stdout
        errors = [line for line in result.stderr.splitlines() if line.startswith("raqib: error")]
        assert len(errors) == 1 and name in errors[0]


def test_signal_threshold_boundary_and_grep_exit_codes(cli: Cli, tmp_path: Path) -> None:
    rng = random.Random(7)
    stored = rng.getrandbits(256)
    (tmp_path / "edge.te").write_text(f"pdq {stored:064x}\n")
    cli("bank", "create", "edge")
    assert cli("bank", "import", "edge", "edge.te", "--format", "te").code == 0

    def flipped(bits: int) -> str:
        value = stored
        for bit in rng.sample(range(256), bits):
            value ^= 1 << bit
        return f"pdq {value:064x}"

    assert cli("match", "--signal", flipped(31)).code == 0
    assert cli("match", "--signal", flipped(32)).code == 1
    assert cli("match", "--signal", "pdq nothex").code == 2
    assert cli("match", "--signal", flipped(2), "--bank", "nosuch").code == 2


def test_import_rejects_a_bad_file_whole_and_reimport_adds_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    rng = random.Random(8)
    good = "".join(f"pdq {rng.getrandbits(256):064x}\n" for _ in range(3))
    (tmp_path / "good.te").write_text(good)
    (tmp_path / "bad.csv").write_text(
        f"signal_type,signal,tier\npdq,{rng.getrandbits(256):064x},1\npdq,{'x' * 64},1\n"
    )
    cli("bank", "create", "k")
    first = cli("bank", "import", "k", "good.te", "--json")
    assert _json_lines(first.stdout) == [{"bank": "k", "added": 3, "already_present": 0}]
    bad = cli("bank", "import", "k", "bad.csv")
    assert bad.code == 2 and "line 3" in bad.stderr
    again = cli("bank", "import", "k", "good.te", "--json")
    assert _json_lines(again.stdout)[0]["added"] == 0
    assert cli("bank", "export", "k").stdout == good


def test_export_formats_round_trip_through_another_bank(cli: Cli, tmp_path: Path) -> None:
    _images(tmp_path)
    cli("bank", "create", "src", "--tlp", "green", "--description", "source")
    cli("bank", "add", "src", "orig.jpg", "other.jpg", "-l", "entity=ISIS", "-l", "tier=2")
    for fmt in ["csv", "jsonl", "te"]:
        assert cli("bank", "export", "src", "--format", fmt, "-o", f"out.{fmt}").code == 0
        cli("bank", "create", f"copy-{fmt}")
        assert cli("bank", "import", f"copy-{fmt}", f"out.{fmt}").code == 0
        original = cli("bank", "export", "src", "--format", "te").stdout
        assert cli("bank", "export", f"copy-{fmt}", "--format", "te").stdout == original
    listed = {r["name"]: r for r in _json_lines(cli("bank", "list", "--json").stdout)}
    assert listed["src"]["entries"] == 6 and listed["src"]["tlp"] == "green"


def test_remove_and_update(cli: Cli, tmp_path: Path) -> None:
    _images(tmp_path)
    cli("bank", "create", "k")
    cli("bank", "add", "k", "orig.jpg", "-t", "pdq")
    assert cli("match", "near.jpg").code == 0
    assert cli("bank", "update", "k", "--threshold", "pdq=0").code == 0
    assert cli("match", "near.jpg").code == 1
    assert cli("bank", "update", "k", "--threshold", "pdq=31", "--disable").code == 0
    assert cli("match", "near.jpg").code == 1
    cli("bank", "update", "k", "--enable")
    assert cli("bank", "remove", "k", "orig.jpg").code == 0
    assert cli("match", "near.jpg").code == 1
    show = _json_lines(cli("bank", "show", "k", "--json").stdout)[0]
    assert show["entries"] == 0
    deleted = _json_lines(cli("bank", "delete", "k", "--yes", "--json").stdout)
    assert deleted == [{"bank": "k", "deleted": True, "entries_removed": 0}]
    assert cli("bank", "show", "k").code == 2


def test_db_upgrade(cli: Cli) -> None:
    result = cli("db", "upgrade", "--json")
    assert result.code == 0 and _json_lines(result.stdout)[0]["revision"] == SCHEMA_HEAD


def test_hashing_a_pipe_or_a_folder_is_an_error_not_a_hang(cli: Cli, tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    for name in ["pipe", "folder"]:
        result = cli("hash", name)
        assert result.code == 2 and name in result.stderr and "Traceback" not in result.stderr
