"""`raqib analyse` as users and scripts meet it: the --json contract, -o, tables, scanning a
path that is not a findings file first, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from campaign_data import at, finding, respawn_scenario, write_findings

from conftest import Cli


def _scenario_file(tmp_path: Path) -> Path:
    findings = respawn_scenario()
    findings.append(finding("markup", "[bold]odd[/bold", at(3), [], mentions=["[/]"]))
    return write_findings(tmp_path / "findings.jsonl", findings)


def test_json_is_one_object_with_the_contracted_keys(cli: Cli, tmp_path: Path) -> None:
    path = _scenario_file(tmp_path)
    result = cli("analyse", path, "--json", "-o", tmp_path / "out" / "analysis.json")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    report: dict[str, Any] = json.loads(lines[0])
    assert {"clusters", "communities", "respawn"} <= set(report)
    assert report == json.loads((tmp_path / "out" / "analysis.json").read_text(encoding="utf-8"))
    for link in report["respawn"]:
        assert set(link) == {"from", "to", "score", "evidence"}
        assert isinstance(link["score"], float) and 0 <= link["score"] <= 1
    links = [(r["from"], r["to"]) for r in report["respawn"]]
    assert links == [("acct_alpha", "acct_alpha2"), ("acct_alpha2", "acct_alpha_3")]
    cluster = report["clusters"][0]
    assert {"id", "size", "items", "accounts", "first", "last", "entities", "sample"} <= set(
        cluster
    )


def test_options_change_what_is_reported(cli: Cli, tmp_path: Path) -> None:
    path = _scenario_file(tmp_path)
    short = cli("analyse", path, "--json", "--max-gap-days", "0.5")
    assert short.code == 0, short.stderr
    assert json.loads(short.stdout)["respawn"] == []  # each started a day after the last stopped
    assert cli("analyse", path, "--min-score", "2").code == 2


def test_tables_without_json_show_handles_as_written(cli: Cli, tmp_path: Path) -> None:
    result = cli("analyse", _scenario_file(tmp_path))
    assert result.code == 0, result.stderr
    assert "Re-spawned accounts" in result.stdout and "acct_alpha_3" in result.stdout
    assert "Largest clusters" in result.stdout and "Bridge accounts" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


def test_a_path_that_is_not_findings_is_scanned_first(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    text = "A placeholder notice about the library opening hours and the weekend book fair."
    posts = [
        {"id": "p1", "author": "reader_one", "time": at(0), "text": text},
        {"id": "p2", "author": "reader_two", "time": at(1), "text": text},
        {"id": "p3", "author": "reader_three", "time": at(2), "text": "An unrelated note."},
    ]
    (export / "posts.jsonl").write_text("\n".join(json.dumps(p) for p in posts) + "\n")
    result = cli("analyse", export, "--json")
    assert result.code == 0, result.stderr
    assert "scanning it first" in result.stderr
    (written,) = (Path(cli.env["RAQIB_HOME"]) / "scans").glob("*/findings.jsonl")
    assert len(written.read_text(encoding="utf-8").splitlines()) == 3
    report = json.loads(result.stdout)
    (cluster,) = report["clusters"]
    assert cluster["accounts"] == ["reader_one", "reader_two"]
    assert cluster["kinds"] == ["text_sha256", "text_minhash"]


def test_bad_paths_are_one_line_errors(cli: Cli, tmp_path: Path) -> None:
    missing = cli("analyse", tmp_path / "nowhere.jsonl")
    assert missing.code == 2
    assert missing.stderr.strip().startswith("raqib: error:") and "nowhere.jsonl" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    path = _scenario_file(tmp_path)
    blocked = tmp_path / "file"
    blocked.write_text("")
    unwritable = cli("analyse", path, "-o", blocked / "analysis.json")
    assert unwritable.code == 2 and "cannot write the analysis" in unwritable.stderr
    assert "Traceback" not in unwritable.stderr
