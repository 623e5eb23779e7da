"""The sources part of `make demo`: generate a Telegram-style export with a planted re-spawn
chain (three channels, each starting after the last went quiet, posting the same material under
a similar name) among background channels, an X API v2 JSON lines sample and a zip whose members
try to climb out of the unpacking folder; then scan them, analyse the findings, write the
campaign report, and check each outcome, printing every `raqib` command it runs.

Everything is generated: invented channel names, "Placeholder note 11-3 on the weather: ..."
texts of everyday words and pictures drawn by `raqib.synthetic`. No real account, post or image
is involved."""

from __future__ import annotations

import json
import random
import re
import zipfile
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from raqib.demo_service import Runner
from raqib.synthetic_sources import Channel, write_telegram_export, write_x_jsonl

# The planted chain: one theme (the same texts and pictures), consecutive day ranges, similar
# names. Telegram names accounts by display name, so the analysis reports these names.
CHAIN = (
    Channel("Harbour Bulletin", "harbour_bulletin", 2_000_001, 0, 9, theme=11),
    Channel("Harbour Bulletin 2", "harbour_bulletin2", 2_000_002, 10, 19, theme=11),
    Channel("Harbour Bulletin Three", "harbour_bulletin_3", 2_000_003, 20, 29, theme=11),
)
BACKGROUND = (
    Channel("Sample Weather Desk", "sample_weather", 2_000_011, 0, 29, theme=21),
    Channel("Placeholder Rail News", "placeholder_rail", 2_000_012, 0, 29, theme=22),
    Channel("Example Garden Notes", "example_garden", 2_000_013, 0, 29, theme=23),
)
# X accounts; the first posts what a Telegram background channel posts, at the same time (a
# cross-platform cluster that is not a re-spawn).
X_ACCOUNTS = (
    Channel("Sample Weather Desk", "sample_weather", 3_000_001, 0, 29, theme=21),
    Channel("Placeholder Lectures", "placeholder_lectures", 3_000_002, 0, 29, theme=32),
    Channel("Example Football Desk", "example_football", 3_000_003, 0, 29, theme=33),
)
POSTS_PER_CHANNEL = 50
MEDIA_EVERY = 4
BANK = "demo-sources"
BANK_MEDIA = 5  # pictures of the chain's first channel put in the bank as "known" media
TRAVERSAL_MEMBERS = ("../escaped-by-dotdot.txt", "notes/../../escaped-nested.txt")
SAFE_MEMBER = "notes/readme.txt"
# `raqib.synthetic_sources` writes every post as "sample post N about the T, theme K": texts of
# different themes differ in a character or two, so MinHash (5-character shingles) joins them
# and every channel would seem to share material. Each such sentence is replaced by one drawn
# from the theme and the post number, so posts of one theme stay identical and other themes'
# posts share only their first words.
PLANNED_TEXT = re.compile(r"sample post (\d+) about the ([a-z ]+), theme (\d+)")
VOCABULARY = (
    "morning evening council harbour ferry bridge river market bakery library museum concert "
    "garden orchard season rainfall forecast railway station timetable bicycle lecture school "
    "teacher students festival lanterns kitchen recipe bread olive citrus barley tractor canal "
    "reservoir gallery pottery textile football league stadium marathon orchestra choir"
)
WORDS = tuple(VOCABULARY.split())
NEUTRAL_NOTE = "A placeholder note about the library opening hours. Nothing else is in here.\n"


@dataclass(frozen=True)
class SourceSet:
    """What `write_sources` generated, and what the checks look for."""

    root: Path  # build/demo/sources
    telegram: Path  # the export's folder
    x_jsonl: Path
    evil_zip: Path
    absolute_target: Path  # where the zip's absolute member would land if it were obeyed
    bank_media: list[Path]  # the first chain channel's pictures: the bank's "known" media
    chain: tuple[str, ...]  # the chain's account names, in order


def write_sources(root: Path) -> SourceSet:
    """The Telegram export, the X sample and the hostile zip under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    telegram = root / "telegram_export"
    manifest = write_telegram_export(
        telegram, (*CHAIN, *BACKGROUND), POSTS_PER_CHANNEL, MEDIA_EVERY, seed=7
    )
    vary_texts(telegram / "result.json")
    first = f"photo_{CHAIN[0].id}_"
    bank_media = [telegram / m for m in manifest.media_files if Path(m).name.startswith(first)]
    x_jsonl = root / "x_sample.jsonl"
    write_x_jsonl(x_jsonl, X_ACCOUNTS, posts_per_channel=30, media_every=5, seed=7)
    vary_texts(x_jsonl)
    absolute_target = (root / "escaped-absolute.txt").resolve()
    evil_zip = root / "evil.zip"
    write_evil_zip(evil_zip, absolute_target)
    chain = tuple(channel.name for channel in CHAIN)
    return SourceSet(root, telegram, x_jsonl, evil_zip, absolute_target, bank_media, chain)


def placeholder_sentence(theme: int, number: int, topic: str) -> str:
    """A neutral placeholder sentence, the same for the same theme and post number."""
    rng = random.Random(f"{theme}:{number}")
    words = " ".join(rng.choice(WORDS) for _ in range(14))
    return f"Placeholder note {theme}-{number} on the {topic}: {words}"


def vary_texts(path: Path) -> None:
    """Replace each generated post sentence in `path` (an export or JSON lines file, a few
    megabytes at most) by `placeholder_sentence`; the sentences hold no quotes or backslashes,
    so the JSON stays valid."""
    text = path.read_text(encoding="utf-8")
    varied = PLANNED_TEXT.sub(lambda m: placeholder_sentence(int(m[3]), int(m[1]), m[2]), text)
    path.write_text(varied, encoding="utf-8")


def write_evil_zip(path: Path, absolute_target: Path) -> list[str]:
    """A zip with one ordinary member and members whose names climb out (`../`) or are absolute;
    all hold the same neutral note. The hostile member names, as stored."""
    hostile = [*TRAVERSAL_MEMBERS, absolute_target.as_posix()]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(SAFE_MEMBER, NEUTRAL_NOTE)
        for name in hostile:
            # ZipFile.writestr keeps a name as given (ZipFile.write would strip "/" and ".."),
            # which is what a hand-crafted hostile archive looks like.
            archive.writestr(zipfile.ZipInfo(name), NEUTRAL_NOTE)
    return hostile


def read_findings(path: Path) -> list[dict[str, Any]]:
    """The findings of a small findings file (JSON lines)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def merge_findings(parts: list[Path], target: Path) -> int:
    """Concatenate findings files (JSON lines) so one analysis covers both platforms."""
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for part in parts:
            for line in part.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    out.write(line + "\n")
                    count += 1
    return count


def refusals(findings: list[dict[str, Any]]) -> list[str]:
    """The messages of the findings' errors that refuse something."""
    return [e["message"] for f in findings for e in f["errors"] if "refused" in e["message"]]


def check_archive(findings: list[dict[str, Any]], sources: SourceSet, watched: Path) -> list[str]:
    """Problems with the hostile zip's scan: a hostile member not reported as refused, the
    ordinary member not scanned, or a file written where a hostile member pointed (anywhere
    under `watched`, which holds the sources and RAQIB_HOME, or at the absolute path)."""
    refused = refusals(findings)
    hostile = [*TRAVERSAL_MEMBERS, sources.absolute_target.as_posix()]
    problems = [
        f"member {name!r} was not reported as refused"
        for name in hostile
        if not any(repr(name) in message for message in refused)
    ]
    scanned = [str(f["item"].get("path") or "") for f in findings if f["signals"]]
    if not any(path.endswith(f"!/{SAFE_MEMBER}") for path in scanned):
        problems.append(f"the ordinary member {SAFE_MEMBER} was not scanned")
    names = {Path(name).name for name in hostile}
    written = [path for path in watched.rglob("*") if path.name in names]
    written += [sources.absolute_target] if sources.absolute_target.exists() else []
    return problems + [f"{path} was written by unpacking the zip" for path in written]


def check_chain(analysis: dict[str, Any], chain: tuple[str, ...]) -> list[str]:
    """Problems with the re-spawn result: a link of the planted chain missing or without
    evidence, or the chain not listed whole."""
    found = {(r["from"], r["to"]): r for r in analysis["respawn"]}
    problems = []
    for link in pairwise(chain):
        respawn = found.get(link)
        if respawn is None:
            problems.append(f"re-spawn link {link[0]} -> {link[1]} not found")
        elif not respawn["evidence"].get("shared_clusters"):
            problems.append(f"re-spawn link {link[0]} -> {link[1]} has no shared clusters")
    if list(chain) not in analysis.get("chains", []):
        problems.append(f"the chain {' -> '.join(chain)} is not listed whole")
    planted = set(pairwise(chain))
    problems += [f"unexpected re-spawn link {a} -> {b}" for a, b in found if (a, b) not in planted]
    return problems


def check_report(path: Path, figures: dict[str, Any]) -> list[str]:
    """Problems with the campaign report: missing, without SVG charts, or showing no share of
    items matching a known bank."""
    if not path.is_file():
        return [f"{path} was not written"]
    problems = []
    page = path.read_text(encoding="utf-8")
    if page.count("<svg") < 2:
        problems.append(f"{path} has {page.count('<svg')} SVG charts; expected several")
    if not figures["summary"]["matched_known_bank"]:
        problems.append("no item of the report matched a known bank")
    return problems


def describe_chain(analysis: dict[str, Any], chain: tuple[str, ...]) -> list[str]:
    """The planted chain's links as printable lines, with their evidence."""
    lines = []
    for respawn in analysis["respawn"]:
        if (respawn["from"], respawn["to"]) not in set(pairwise(chain)):
            continue
        evidence = respawn["evidence"]
        lines.append(
            f"  {respawn['from']} -> {respawn['to']}: score {respawn['score']}, "
            f"{evidence['shared_count']} shared clusters, "
            f"content Jaccard {evidence['content_jaccard']}, "
            f"name similarity {evidence['name_similarity']}, "
            f"rhythm similarity {evidence['rhythm_similarity']}, "
            f"gap {evidence['gap_days']} days "
            f"({evidence['from_last']} to {evidence['to_first']})"
        )
    return lines


def demo_sources(run: Runner, env: dict[str, str], console: Console, root: Path) -> bool:
    """Generate the sources under `root`/sources, then scan, analyse and report on them with
    the `raqib` commands `run` runs (with `env`, whose RAQIB_HOME should be under `root`);
    print each outcome and check it. True when every check passed."""
    with console.status("generating a Telegram-style export, an X sample and a hostile zip"):
        sources = write_sources(root / "sources")
    console.print(f"sources: {sources.root} (planted chain: {' -> '.join(sources.chain)})")
    run(env, "bank", "create", BANK, "--description", "synthetic stand-ins for known media")
    labels = ("-l", "entity=ISIS", "-l", "tier=1", "-l", "source=raqib-demo")
    run(env, "bank", "add", BANK, *map(str, sources.bank_media[:BANK_MEDIA]), *labels)
    telegram, x_posts = root / "telegram_findings.jsonl", root / "x_findings.jsonl"
    _scan(run, env, console, sources.telegram, telegram)
    _scan(run, env, console, sources.x_jsonl, x_posts)
    problems = _hostile_zip(run, env, console, sources, root)
    findings = root / "campaign_findings.jsonl"
    count = merge_findings([telegram, x_posts], findings)
    console.print(f"Telegram and X findings together: {findings} ({count} findings)")
    problems += _analyse(run, env, console, findings, sources.chain)
    problems += _report(run, env, console, findings, root / "campaign.html")
    for problem in problems:
        console.print(f"[red]{escape(problem)}[/]")
    return not problems


def _scan(run: Runner, env: dict[str, str], console: Console, path: Path, out: Path) -> None:
    done = run(env, "scan", str(path), "-o", str(out))
    console.print(done.stdout.rstrip(), markup=False, highlight=False)


def _hostile_zip(
    run: Runner, env: dict[str, str], console: Console, sources: SourceSet, root: Path
) -> list[str]:
    """Scan the hostile zip; print what was refused; the problems found."""
    out = root / "zip_findings.jsonl"
    run(env, "scan", str(sources.evil_zip), "-o", str(out))
    findings = read_findings(out)
    for message in refusals(findings):
        console.print(f"  {message}", markup=False, highlight=False)
    problems = check_archive(findings, sources, root)
    if not problems:
        console.print("hostile zip: every climbing member refused and reported, nothing escaped")
    return problems


def _analyse(
    run: Runner, env: dict[str, str], console: Console, findings: Path, chain: tuple[str, ...]
) -> list[str]:
    """`raqib analyse --json`; print the planted chain's links; the problems found."""
    analysis_path = findings.with_name("campaign_analysis.json")
    run(env, "analyse", str(findings), "--json", "-o", str(analysis_path))
    if not analysis_path.is_file():
        return [f"{analysis_path} was not written"]
    analysis = json.loads(analysis_path.read_text(encoding="utf-8"))
    summary = analysis["summary"]
    console.print(
        f"{summary['accounts']} accounts, {summary['clusters']} clusters, "
        f"{summary['communities']} communities, {summary['respawn']} re-spawn links"
    )
    problems = check_chain(analysis, chain)
    if not problems:
        console.print("planted re-spawn chain found:")
        for line in describe_chain(analysis, chain):
            console.print(line, markup=False, highlight=False)
    return problems


def _report(
    run: Runner, env: dict[str, str], console: Console, findings: Path, report: Path
) -> list[str]:
    """`raqib report`; print where it is; the problems found."""
    figures_path = report.with_suffix(".json")
    run(env, "report", str(findings), "-o", str(report), "--json", str(figures_path))
    if not figures_path.is_file():
        return [f"{figures_path} was not written"]
    problems = check_report(report, json.loads(figures_path.read_text(encoding="utf-8")))
    if not problems:
        console.print(f"campaign report: {report.resolve()}")
    return problems
