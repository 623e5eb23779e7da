"""`make demo`: generate a synthetic corpus (images, videos, texts, posts, saved pages), build
sample banks from part of it with the `raqib` command, scan the corpus and check that every
planted near-duplicate (and no unrelated file) was found, that the page with an injected loader
was caught, and show how the labelled posts' contexts came out; scan a synthetic Telegram
export and X sample, find the planted re-spawn chain, refuse a zip's climbing members and write
the campaign report (raqib.demo_sources); then start the service with a seeded admin and run
items, a report and a decision through it (raqib.demo_service).
Everything is generated; no real extremist media or text is involved.

`python -m raqib.demo --serve` (`make demo-serve`) keeps the service running at the end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from raqib.demo_service import demo_service
from raqib.demo_sources import demo_sources
from raqib.demo_text import TextSet, check_texts, write_known_list, write_texts
from raqib.synthetic import CorpusManifest, write_corpus
from raqib.synthetic_text import write_labelled
from raqib.synthetic_video import make_video, reencode, rescale

console = Console(stderr=True)
DEMO_DIR = Path("build/demo")
RAQIB = Path(sys.executable).with_name("raqib")


@dataclass(frozen=True)
class VideoSet:
    originals: list[str]
    near: list[str]
    unrelated: list[str]


def write_videos(root: Path) -> VideoSet:
    """One bank video, two near-duplicates of it (re-encoded, rescaled) and an unrelated one."""
    for sub in ("video/originals", "video/near", "video/unrelated"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    original = make_video(root / "video/originals/clip.mp4", source="testsrc2", seconds=6)
    reencode(original, root / "video/near/clip_reencoded.mp4", crf=40)
    rescale(original, root / "video/near/clip_small.mp4", width=160)
    make_video(root / "video/unrelated/other.mp4", source="mandelbrot", seconds=6)
    return VideoSet(
        ["video/originals/clip.mp4"],
        ["video/near/clip_reencoded.mp4", "video/near/clip_small.mp4"],
        ["video/unrelated/other.mp4"],
    )


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    console.print(f"[bold cyan]$ raqib {' '.join(args)}[/]")
    done = subprocess.run([str(RAQIB), *args], env=env, text=True, capture_output=True)
    if done.stdout.strip() and args[0] != "scan" and "--json" not in args:
        console.print(done.stdout.rstrip(), markup=False, highlight=False)
    if done.stderr.strip():
        console.print(done.stderr.rstrip(), markup=False, highlight=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"demo: `raqib {' '.join(args)}` failed with exit {done.returncode}")
    return done


def check(findings_path: Path, corpus: CorpusManifest, videos: VideoSet, texts: TextSet) -> bool:
    by_path = {}
    for line in findings_path.read_text(encoding="utf-8").splitlines():
        finding = json.loads(line)
        by_path[Path(finding["item"]["path"]).relative_to(corpus.root).as_posix()] = finding
    texts_ok, text_lines = check_texts(by_path, texts)
    for text_line in text_lines:
        console.print(text_line)
    matched = {path for path, finding in by_path.items() if finding["matches"]}
    matched -= {path for path in matched if path.startswith("text/")}
    planted = {n.path for n in corpus.near_duplicates} | set(videos.near)
    unrelated = set(corpus.unrelated) | set(videos.unrelated)
    other = set(corpus.other_files) | set(corpus.bad_files)
    missed, false_hits = planted - matched, (unrelated | other) & matched
    console.print(f"planted near-duplicates found: {len(planted - missed)}/{len(planted)}")
    console.print(f"unrelated or other files matched: {len(false_hits)}")
    for path in sorted(missed):
        console.print(f"[red]missed {path}[/]")
    for path in sorted(false_hits):
        console.print(f"[red]wrongly matched {path}[/]")
    return texts_ok and not missed and not false_hits


def main() -> None:
    keep_serving = "--serve" in sys.argv[1:]
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    corpus_dir, home = DEMO_DIR / "corpus", DEMO_DIR / "home"
    with console.status("generating a synthetic corpus (images, videos, other and bad files)"):
        corpus = write_corpus(corpus_dir, n_originals=12, seed=0)
        videos = write_videos(corpus_dir)
        texts = write_texts(corpus_dir)
        write_known_list(DEMO_DIR / "known_texts.te")
    files = sum(1 for path in corpus_dir.rglob("*") if path.is_file())
    console.print(f"corpus: {corpus_dir} ({files} files)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
    env["RAQIB_HOME"] = str(home)
    run(
        env,
        "bank",
        "create",
        "demo-known",
        "--tlp",
        "amber",
        "--description",
        "synthetic stand-ins for known media",
    )
    bank_files = [str(corpus_dir / p) for p in (*corpus.originals, *videos.originals)]
    run(
        env,
        "bank",
        "add",
        "demo-known",
        *bank_files,
        "-l",
        "entity=ISIS",
        "-l",
        "tier=1",
        "-l",
        "source=raqib-demo",
    )
    run(env, "bank", "create", "demo-texts", "--description", "synthetic known texts")
    run(env, "bank", "import", "demo-texts", str(DEMO_DIR / "known_texts.te"))
    run(env, "bank", "list")
    write_labelled(DEMO_DIR / "labelled_train.jsonl", 1500, seed=11)
    write_labelled(DEMO_DIR / "labelled_test.jsonl", 500, seed=12)
    run(env, "text", "train", str(DEMO_DIR / "labelled_train.jsonl"))
    run(env, "text", "eval", str(DEMO_DIR / "labelled_test.jsonl"))
    findings, report = DEMO_DIR / "findings.jsonl", DEMO_DIR / "report.html"
    scan = run(env, "scan", str(corpus_dir), "--report", str(report), "-o", str(findings))
    console.print(scan.stdout.rstrip(), markup=False, highlight=False)
    ok = check(findings, corpus, videos, texts)
    console.print(f"\nfindings: {findings}\nreport:   {report.resolve()}")
    console.print("\n[bold]Telegram and X exports: a re-spawn chain, a hostile zip, a report[/]")
    sources_ok = demo_sources(run, env, console, DEMO_DIR)
    console.print("\n[bold]the service[/]")
    service_ok = demo_service(run, str(RAQIB), env, console, keep_serving)
    raise SystemExit(0 if ok and sources_ok and service_ok else 1)


if __name__ == "__main__":
    main()
