"""The Telegram/X step of `make demo` (raqib.demo_sources): run whole in a temporary home, it
finds the planted re-spawn chain, refuses the hostile zip's climbing members and writes the
campaign report; and its checks do fail when what they check is missing."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from raqib.demo import run
from raqib.demo_sources import (
    CHAIN,
    SAFE_MEMBER,
    TRAVERSAL_MEMBERS,
    SourceSet,
    check_archive,
    check_chain,
    demo_sources,
    placeholder_sentence,
    read_findings,
    vary_texts,
    write_evil_zip,
    write_sources,
)

CHAIN_NAMES = tuple(channel.name for channel in CHAIN)


def _zip_only_sources(tmp_path: Path) -> SourceSet:
    """Only the hostile zip's part of a SourceSet, without generating the exports."""
    target = tmp_path / "escaped-absolute.txt"
    write_evil_zip(tmp_path / "evil.zip", target)
    return SourceSet(tmp_path, tmp_path, tmp_path, tmp_path / "evil.zip", target, [], CHAIN_NAMES)


def _env(home: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
    env |= {"RAQIB_HOME": str(home), "RAQIB_DATABASE_URL": database_url, "COLUMNS": "200"}
    return env


@pytest.mark.slow
def test_the_step_finds_the_chain_refuses_traversal_and_writes_the_report(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "demo"
    printed = io.StringIO()
    console = Console(file=printed, width=200)
    assert demo_sources(run, _env(root / "home", database_url), console, root), printed.getvalue()

    analysis = json.loads((root / "campaign_analysis.json").read_text(encoding="utf-8"))
    links = {(r["from"], r["to"]): r for r in analysis["respawn"]}
    assert set(links) == {CHAIN_NAMES[:2], CHAIN_NAMES[1:]}
    for link in links.values():
        assert link["evidence"]["shared_count"] >= 10
        assert link["evidence"]["gap_days"] < 1
    assert [list(CHAIN_NAMES)] == analysis["chains"]
    assert f"{CHAIN_NAMES[0]} -> {CHAIN_NAMES[1]}: score" in printed.getvalue()

    zip_findings = read_findings(root / "zip_findings.jsonl")
    refused = {f["item"]["path"].split("!/", 1)[1]: f["errors"] for f in zip_findings[1:]}
    for name in TRAVERSAL_MEMBERS:
        assert "refused" in refused[name][0]["message"]
    absolute = next(name for name in refused if name.startswith("/"))
    assert "absolute path: refused" in refused[absolute][0]["message"]
    assert not Path(absolute).exists()
    assert not list(tmp_path.rglob("escaped-*"))
    assert refused[SAFE_MEMBER] == []

    page = (root / "campaign.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 2 and "Harbour Bulletin Three" in page
    figures = json.loads((root / "campaign.json").read_text(encoding="utf-8"))
    assert figures["summary"]["matched_known_bank"] >= 3  # a banked picture and its two copies
    assert figures["summary"]["findings"] > 300


def test_the_hostile_zip_keeps_its_climbing_names(tmp_path: Path) -> None:
    target = tmp_path / "outside.txt"
    hostile = write_evil_zip(tmp_path / "evil.zip", target)
    with zipfile.ZipFile(tmp_path / "evil.zip") as archive:
        names = archive.namelist()
    assert set(hostile) < set(names) and SAFE_MEMBER in names
    assert "../escaped-by-dotdot.txt" in names and target.as_posix() in names


def test_check_archive_fails_when_a_member_was_not_refused_or_escaped(tmp_path: Path) -> None:
    sources = _zip_only_sources(tmp_path)
    ordinary = {"item": {"path": f"evil.zip!/{SAFE_MEMBER}"}, "signals": [{}], "errors": []}
    problems = check_archive([ordinary], sources, tmp_path)
    assert len(problems) == 3 and all("not reported as refused" in p for p in problems)
    sources.absolute_target.write_text("escaped", encoding="utf-8")
    assert any("was written" in p for p in check_archive([ordinary], sources, tmp_path))


def test_check_chain_fails_on_a_missing_link_or_a_stranger() -> None:
    evidence: dict[str, Any] = {"shared_clusters": ["c1", "c2"]}
    good = [
        {"from": a, "to": b, "score": 0.9, "evidence": evidence}
        for a, b in (CHAIN_NAMES[:2], CHAIN_NAMES[1:])
    ]
    assert check_chain({"respawn": good, "chains": [list(CHAIN_NAMES)]}, CHAIN_NAMES) == []
    missing = check_chain({"respawn": good[:1], "chains": []}, CHAIN_NAMES)
    assert any("not found" in p for p in missing) and any("listed whole" in p for p in missing)
    stranger = {"from": "Sample Weather Desk", "to": CHAIN_NAMES[0], "score": 0.6}
    extra = check_chain({"respawn": [*good, stranger], "chains": [list(CHAIN_NAMES)]}, CHAIN_NAMES)
    assert extra == [f"unexpected re-spawn link Sample Weather Desk -> {CHAIN_NAMES[0]}"]


def test_varied_texts_match_within_a_theme_only(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    lines = [
        {"text": "sample post 3 about the weather, theme 11 #weather"},
        {"text": "sample post 3 about the weather, theme 11 #weather"},
        {"text": "sample post 3 about the weather, theme 21 #weather"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    vary_texts(path)
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert texts[0] == texts[1] == placeholder_sentence(11, 3, "weather") + " #weather"
    assert texts[2] != texts[0] and texts[2].startswith("Placeholder note 21-3 on the weather")


def test_write_sources_plants_the_chain_in_the_export(tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "sources")
    export = json.loads((sources.telegram / "result.json").read_text(encoding="utf-8"))
    chats = {chat["name"]: chat["messages"] for chat in export["chats"]["list"]}
    texts = [[m["text_entities"][0]["text"] for m in chats[name]] for name in CHAIN_NAMES]
    assert texts[0] == texts[1] == texts[2]
    assert not set(texts[0]) & {m["text_entities"][0]["text"] for m in chats["Sample Weather Desk"]}
    last_of_first = max(m["date"] for m in chats[CHAIN_NAMES[0]])
    assert last_of_first < min(m["date"] for m in chats[CHAIN_NAMES[1]])
    assert sources.bank_media and all(path.is_file() for path in sources.bank_media)
