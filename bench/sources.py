"""A synthetic Telegram-style export of 1,000,000 posts and 20,000 media files, end to end:
read, scan, analyse and report, each timed and its peak memory taken on its own.

    .venv/bin/python bench/sources.py                  # 1,000,000 posts, 20,000 media
    .venv/bin/python bench/sources.py --quick          # 50,000 posts, 1,000 media (minutes)
    .venv/bin/python bench/sources.py --quick --profile --home /tmp/raqib-sources

Generates (once: `--home DIR` keeps and reuses it) a full Telegram Desktop export spread over
many channels, channels in pairs that re-post each other's material, and a planted re-spawn
chain of three channels (each starting after the last went quiet, posting the same material
under a similar name); then a bank holding some of the export's photos and random filler PDQ
hashes. Generation is timed apart and counted in no stage.

Each stage runs as its own process (the raqib commands as a user would run them), timed on the
wall clock; memory is the peak of the summed RSS of the stage's process tree (sampled every
0.1 s with psutil: the scan's workers count) and the largest single process's max RSS (from
wait4, exact). Baselines measured in the same run: the raw parse rate of result.json with ijson
alone (the floor of reading) and `json.load` of it (the naive approach's memory). The issue's
target: the whole export scanned and analysed in under 15 minutes with memory under 4 GB.
Below 1,000,000 posts the figures are also extrapolated to it, linearly for the streaming
stages and with the growth measured on half the findings for analyse and report.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import raqib  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from raqib.synthetic_sources import Channel

FULL_POSTS = 1_000_000
TARGET_SECONDS = 15 * 60  # scan + analyse
TARGET_BYTES = 4 << 30
MESSAGES = "chats.list.item.messages.item"  # where a full export's messages are (ijson path)
CHAIN = ("Placeholder Relay", "Placeholder Relay 2", "Placeholder Relay 3")
BANK = "bench"
BANKED_SHARE = 20  # about one photo in 20 is banked
FILLER_HASHES = 10_000  # random PDQ hashes that make the bank's index non-trivial
SAMPLE_SECONDS = 0.1
WORDS = ("Morning", "Evening", "City", "Coastal", "Valley", "Northern", "Harbour", "Campus")
DESKS = ("Weather Desk", "Market Notes", "Rail Updates", "Garden Club", "Football Digest")


# ===========================================================================================
# The export and the bank (generated once per home)
# ===========================================================================================


@dataclass(frozen=True)
class Plan:
    """What to generate: posts, photos and channels, and the seed."""

    posts: int
    media: int
    channels: int
    seed: int

    @property
    def per_channel(self) -> int:
        return self.posts // self.channels

    @property
    def media_every(self) -> int:
        return max(1, self.per_channel * self.channels // self.media)

    @property
    def key(self) -> str:
        return f"p{self.posts}-m{self.media}-c{self.channels}-s{self.seed}"


def make_channels(plan: Plan) -> list[Channel]:
    """The planted chain (theme 1, days 0-8, 10-18 and 20-29: each starts after the last
    stopped), then pairs of channels that share a theme and a random span of days."""
    rng = random.Random(plan.seed)
    days = ((0, 8), (10, 18), (20, 29))
    channels = [
        Channel(name, name.lower().replace(" ", "_"), 2_000_001 + n, *days[n], theme=1)
        for n, name in enumerate(CHAIN)
    ]
    first, last = 0, 29
    while len(channels) < plan.channels:
        n = len(channels)
        if n % 2 == 1:  # the first of a pair draws the pair's days
            first = rng.randint(0, 14)
            last = min(29, first + rng.randint(10, 29))
        name = f"{WORDS[n % len(WORDS)]} {DESKS[n % len(DESKS)]} {n}"
        handle = name.lower().replace(" ", "_")
        channels.append(Channel(name, handle, 3_000_000 + n, first, last, 2 + (n - 3) // 2))
    return channels


def prepare_export(home: Path, plan: Plan) -> tuple[Path, dict[str, Any]]:
    """The export for `plan` under `home` (generated unless a finished one is there)."""
    from raqib.synthetic_sources import write_telegram_export

    root = home / f"export-{plan.key}"
    done = root / "bench-manifest.json"
    if done.is_file():
        print(f"reusing the export generated earlier in {root}")
        return root, dict(json.loads(done.read_text()))
    shutil.rmtree(root, ignore_errors=True)
    if plan.per_channel >= 10_007:  # the generator's photo seeds would collide across themes
        raise SystemExit("too many posts per channel (>= 10,007): raise --channels")
    started = time.perf_counter()
    manifest = write_telegram_export(
        root, make_channels(plan), plan.per_channel, plan.media_every, plan.seed, full=True
    )
    seconds = time.perf_counter() - started
    facts = {"posts": manifest.posts, "media": manifest.media, "seconds": seconds}
    facts["bytes"] = (root / "result.json").stat().st_size
    done.write_text(json.dumps(facts))
    return root, facts


def prepare_store(home: Path, export: Path, plan: Plan) -> tuple[dict[str, str], int, int]:
    """A RAQIB_HOME whose bank holds one photo in BANKED_SHARE, all from the first channel of
    a theme (whose copies in the theme's other channels are re-encoded), and FILLER_HASHES
    random PDQ hashes (created once); the environment the stages run in, the photos banked
    and how many items should match (each banked photo and its copies)."""
    raqib_home = home / f"raqib-{plan.key}"
    env = {**os.environ, "RAQIB_HOME": str(raqib_home)}
    env.pop("RAQIB_DATABASE_URL", None)
    done = raqib_home / "bench-bank.json"
    if done.is_file():
        banked, expected = json.loads(done.read_text())
        return env, banked, expected
    shutil.rmtree(raqib_home, ignore_errors=True)
    raqib_home.mkdir(parents=True)
    photos, expected = banked_photos(export, make_channels(plan))
    rng = random.Random(plan.seed)
    filler = raqib_home / "filler.te"
    filler.write_text("".join(f"pdq {rng.getrandbits(256):064x}\n" for _ in range(FILLER_HASHES)))
    started = time.perf_counter()
    _raqib(env, "bank", "create", BANK)
    _raqib(env, "bank", "add", BANK, *map(str, photos), "-l", "tier=2")
    _raqib(env, "bank", "import", BANK, str(filler), "--format", "te")
    print(
        f"bank {BANK!r}: {len(photos):,} of the export's photos + {FILLER_HASHES:,} filler "
        f"hashes ({time.perf_counter() - started:.1f} s, not counted)"
    )
    done.write_text(json.dumps([len(photos), expected]))
    return env, len(photos), expected


def banked_photos(export: Path, channels: list[Channel]) -> tuple[list[Path], int]:
    """Every (BANKED_SHARE / 2)-th photo of the first channels of the themes (about half of
    the photos), and how many items show them: the theme's channels each post a copy."""
    firsts: dict[int, Channel] = {}
    for channel in channels:
        firsts.setdefault(channel.theme, channel)
    posting = Counter(channel.theme for channel in channels)
    theme_of = {str(c.id): c.theme for c in firsts.values()}
    # the generator names them photos/photo_<channel id>_<post number>.jpg
    own = [p for p in (export / "photos").iterdir() if p.name.split("_")[1] in theme_of]
    chosen = sorted(own)[:: max(1, BANKED_SHARE // 2)]
    return chosen, sum(posting[theme_of[p.name.split("_")[1]]] for p in chosen)


def _raqib(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([raqib_bin(), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"raqib {args[0]} {args[1]} failed: {done.stderr[-2000:]}")


def raqib_bin() -> str:
    found = Path(sys.executable).with_name("raqib")
    return str(found) if found.exists() else "raqib"


# ===========================================================================================
# Measuring one stage: a process tree's wall time and memory
# ===========================================================================================


@dataclass
class Measured:
    """One stage: wall seconds, CPU seconds of its process tree (user + system: less
    sensitive than the wall clock to other load on the machine), peak summed RSS of its
    process tree, the largest process's max RSS, how many posts and items it handled, and
    what it printed last."""

    name: str
    seconds: float
    cpu: float
    tree_peak: int
    largest: int
    main_cpu: float = 0.0  # the command's own process (the rest: its workers)
    posts: int = 0
    items: int = 0
    output: dict[str, Any] = field(default_factory=dict)


def measure(name: str, command: list[str], env: dict[str, str], logs: Path) -> Measured:
    """Run `command`, sampling its process tree's RSS meanwhile; fail loudly if it fails."""
    logs.mkdir(parents=True, exist_ok=True)
    stem = "".join(c if c.isalnum() else "-" for c in name).strip("-")
    out_path, err_path = logs / f"{stem}.out", logs / f"{stem}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        sampler = _Sampler(process.pid)
        sampler.start()
        # wait4 rather than Popen.wait: its rusage is this child's alone (with its reaped
        # children), where getrusage(RUSAGE_CHILDREN) would mix in every earlier stage.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    if process.returncode != 0:
        tail = err_path.read_text(errors="replace")[-2000:]
        raise SystemExit(f"stage {name} failed ({process.returncode}); see {err_path}:\n{tail}")
    largest = usage.ru_maxrss * 1024  # kilobytes on Linux
    lines = out_path.read_text(errors="replace").strip().splitlines()
    output = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    cpu = max(usage.ru_utime + usage.ru_stime, sum(sampler.cpu.values()))
    peak = max(sampler.peak, largest)
    main_cpu = sampler.cpu.get(process.pid, 0.0)
    return Measured(name, seconds, cpu, peak, largest, main_cpu, output=output)


class _Sampler(threading.Thread):
    """Samples a process and its descendants until stopped: the peak of their summed RSS,
    and the CPU seconds each has used (its last sample; wait4 misses the scan's workers,
    which the forkserver never reaps)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.peak = 0
        self.cpu: dict[int, float] = {}
        self.halt = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.halt.wait(SAMPLE_SECONDS):
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                continue
            total = 0
            for process in tree:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
                    times = process.cpu_times()
                    self.cpu[process.pid] = times.user + times.system
            self.peak = max(self.peak, total)

    def stop(self) -> None:
        self.halt.set()
        self.join()


# ===========================================================================================
# Stage children (this file run as `python bench/sources.py _<stage> ...`)
# ===========================================================================================


def child_floor(path: Path) -> dict[str, Any]:
    """The floor of reading: ijson (yajl C) building each message, nothing else."""
    import ijson

    with path.open("rb") as handle:
        posts = sum(1 for _ in ijson.items(handle, MESSAGES, use_float=True))
    return {"posts": posts}


def child_json_load(path: Path) -> dict[str, Any]:
    """The naive approach: the whole document in memory."""
    with path.open("rb") as handle:
        document = json.load(handle)
    return {"posts": sum(len(c["messages"]) for c in document["chats"]["list"])}


def child_read(path: Path) -> dict[str, Any]:
    """Raqib's reader alone: every item of the export, counted by kind."""
    from raqib.config import Settings
    from raqib.sources.reading import read_source

    counts: Counter[str] = Counter()
    with read_source(path, "telegram", Settings.from_env()) as items:
        for item in items:
            counts[item.source] += 1
            counts["errors"] += bool(item.errors)
    return {"posts": counts["post"], "items": counts["post"] + counts["media"], **counts}


def child_profile(output: Path, argv: list[str]) -> dict[str, Any]:
    """`raqib ARGV` in this process under cProfile, the statistics saved to `output`."""
    import cProfile

    from raqib.cli.main import main as raqib_main

    sys.argv = ["raqib", *argv]
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        raqib_main()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
    finally:
        profiler.disable()
        profiler.dump_stats(str(output))
    return {}


def child_main(argv: list[str]) -> int:
    stage, path = argv[0], Path(argv[1])
    if stage == "_profile":
        child_profile(path, argv[2:])
        return 0
    chosen = {"_floor": child_floor, "_json_load": child_json_load, "_read": child_read}[stage]
    print(json.dumps(chosen(path)))
    return 0


# ===========================================================================================
# The run
# ===========================================================================================


@dataclass
class Paths:
    """Where one run's files go."""

    export: Path
    run: Path

    @property
    def result(self) -> Path:
        return self.export / "result.json"

    @property
    def findings(self) -> Path:
        return self.run / "findings.jsonl"

    @property
    def analysis(self) -> Path:
        return self.run / "analysis.json"

    @property
    def logs(self) -> Path:
        return self.run / "logs"


def this_file(*args: str | Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *map(str, args)]


def baselines(paths: Paths, env: dict[str, str], size: int) -> list[Measured]:
    """The ijson floor, and json.load unless the document would not fit in memory."""
    floor = measure("ijson floor", this_file("_floor", paths.result), env, paths.logs)
    floor.posts = floor.items = floor.output["posts"]
    rows = [floor]
    available = _available_memory()
    if size * 12 > available:  # json.load holds about 5-10x the document in Python objects
        print(f"  json.load skipped: a {size / 2**30:.1f} GiB document may not fit in memory")
        return rows
    naive = measure("json.load (naive)", this_file("_json_load", paths.result), env, paths.logs)
    naive.posts = naive.items = naive.output["posts"]
    return [*rows, naive]


def _available_memory() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def stages(paths: Paths, env: dict[str, str]) -> list[Measured]:
    """read_source, `raqib scan`, `raqib analyse` and `raqib report`, in turn."""
    read = measure("read_source", this_file("_read", paths.export), env, paths.logs)
    read.posts, read.items = read.output["posts"], read.output["items"]
    scan_command = [raqib_bin(), "scan", str(paths.export), "--format", "telegram"]
    scan = measure("scan", [*scan_command, "-o", str(paths.findings)], env, paths.logs)
    scan.posts, scan.items = read.posts, _lines(paths.findings)
    analyse, report = analyse_and_report(paths.findings, paths.analysis, env, paths.logs, "")
    analyse.posts = report.posts = read.posts
    analyse.items = report.items = scan.items
    return [read, scan, analyse, report]


def analyse_and_report(
    findings: Path, analysis: Path, env: dict[str, str], logs: Path, suffix: str
) -> tuple[Measured, Measured]:
    analyse = measure(
        f"analyse{suffix}", [raqib_bin(), "analyse", str(findings), "-o", str(analysis)], env, logs
    )
    html = analysis.with_suffix(".html")
    command = [raqib_bin(), "report", str(analysis), "--findings", str(findings), "-o", str(html)]
    return analyse, measure(f"report{suffix}", command, env, logs)


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


STARTUP_FINDINGS = 100  # the run that measures a command's fixed cost (imports, start)


@dataclass(frozen=True)
class Growth:
    """How a stage grows with the findings: a fixed cost (the command on STARTUP_FINDINGS),
    then time ~ n^exponent and bytes_per_item of memory above it."""

    fixed_seconds: float = 0.0
    exponent: float = 1.0
    bytes_per_item: float = 0.0

    def seconds(self, row: Measured, scale: float) -> float:
        return float(self.fixed_seconds + (row.seconds - self.fixed_seconds) * scale**self.exponent)

    def memory(self, row: Measured, scale: float) -> float:
        return row.tree_peak + self.bytes_per_item * row.items * (scale - 1)


def growth(paths: Paths, env: dict[str, str], full: list[Measured]) -> dict[str, Growth]:
    """How analyse and report grow: each run again on the first STARTUP_FINDINGS findings (the
    fixed cost) and on the first half of them; `full` is the scan, analyse and report rows."""
    keep = full[0].items // 2
    runs = []
    for label, count in ((" start", STARTUP_FINDINGS), (" half", keep)):
        part = paths.run / label.strip() / "findings.jsonl"
        _head(paths.findings, part, count)
        analysis = part.with_name("analysis.json")
        runs.append(analyse_and_report(part, analysis, env, paths.logs, label))
    found = {}
    print(f"\ngrowth (analyse and report on the first {STARTUP_FINDINGS} and the first half):")
    for whole, start, half in zip(full[1:], *runs, strict=True):
        fixed = start.seconds
        exponent = 1.0  # when the work is too small against the fixed cost to tell
        if half.seconds - fixed > 1.0 and whole.seconds > half.seconds:
            exponent = math.log((whole.seconds - fixed) / (half.seconds - fixed))
            exponent /= math.log(whole.items / keep)
        per_item = max(0, whole.tree_peak - half.tree_peak) / (whole.items - keep)
        found[whole.name] = Growth(fixed, exponent, per_item)
        print(
            f"  {whole.name:<8} fixed {fixed:4.1f} s; {half.seconds:6.1f} s on {keep:,} findings, "
            f"{whole.seconds:6.1f} s on {whole.items:,}: time above the fixed ~ n^{exponent:.2f}; "
            f"peak {gib(start.tree_peak)} / {gib(half.tree_peak)} / {gib(whole.tree_peak)} "
            f"({per_item:,.0f} bytes per finding)"
        )
    return found


def _head(source: Path, target: Path, count: int) -> None:
    """The first `count` lines of `source` into `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as lines, target.open("wb") as out:
        for line in itertools.islice(lines, count):
            out.write(line)


# ===========================================================================================
# Printing
# ===========================================================================================


def gib(value: float) -> str:
    return f"{value / 2**30:,.2f} GiB"


def print_table(rows: list[Measured], floor: Measured) -> None:
    floor_rate = floor.posts / floor.seconds
    print(
        f"\n  {'stage':<20} {'seconds':>8} {'CPU s':>7} {'posts/s':>10} {'items/s':>10} "
        f"{'floor is':>9} {'peak (tree)':>12} {'largest process':>16}"
    )
    for row in rows:
        rate = row.posts / row.seconds
        print(
            f"  {row.name:<20} {row.seconds:>8.1f} {row.cpu:>7.1f} {rate:>10,.0f} "
            f"{row.items / row.seconds:>10,.0f}"
            f" {'x' + format(floor_rate / rate, ',.1f'):>9} {gib(row.tree_peak):>12} "
            f"{gib(row.largest):>16}"
        )
    print("  (floor is xN: the stage reads posts N times slower than ijson alone)")
    scan = next(row for row in rows if row.name == "scan")
    print(
        f"  scan CPU: {scan.main_cpu:.1f} s in the main process (reading, matching, writing: "
        f"serial), {scan.cpu - scan.main_cpu:.1f} s in its workers (hashing, text assessment)"
    )


def print_target(measured: dict[str, Measured], scale: float, grown: dict[str, Growth]) -> None:
    """Scan + analyse against the target, at this size and, below it, extrapolated to the full
    size (the scan streams: linear time, flat memory)."""
    scan, analyse, report = measured["scan"], measured["analyse"], measured["report"]
    seconds = scan.seconds + analyse.seconds
    memory = max(scan.tree_peak, analyse.tree_peak)
    print(
        f"\nscan + analyse, {scan.posts:,} posts ({scan.items:,} items): {seconds:,.1f} s, "
        f"{scan.items / seconds:,.0f} items/s end to end, peak {gib(memory)}; with the report "
        f"{seconds + report.seconds:,.1f} s"
    )
    verdict(seconds, memory, "at this size")
    if scale <= 1:
        return
    # the scan streams: linear time, flat memory (a Growth with no fixed cost, exponent 1)
    at = {row.name: (grown.get(row.name, Growth()), row) for row in (scan, analyse, report)}
    figures = {name: (g.seconds(row, scale), g.memory(row, scale)) for name, (g, row) in at.items()}
    figures["scan"] = (figures["scan"][0], float(scan.tree_peak))
    print(f"extrapolated to {FULL_POSTS:,} posts:")
    for name, (at_seconds, at_memory) in figures.items():
        print(f"  {name:<8} {at_seconds / 60:6.1f} min  peak ~{gib(at_memory)}")
    (scan_s, scan_m), (analyse_s, analyse_m) = figures["scan"], figures["analyse"]
    verdict(scan_s + analyse_s, max(scan_m, analyse_m), "extrapolated")


def verdict(seconds: float, memory: float, where: str) -> None:
    met = seconds < TARGET_SECONDS and memory < TARGET_BYTES
    print(
        f"target (whole export scanned and analysed < 15 min, memory < 4 GB), {where}: "
        f"{'met' if met else 'NOT MET'} ({seconds / 60:,.1f} min, {gib(memory)})"
    )


def check_chain(paths: Paths) -> bool:
    """The planted chain in the analysis: both links, and the chain itself."""
    analysis = json.loads(paths.analysis.read_text())
    links = {(r["from"], r["to"]): r for r in analysis["respawn"]}
    wanted = list(itertools.pairwise(CHAIN))
    found = all(link in links for link in wanted) and list(CHAIN) in analysis["chains"]
    print(f"\nplanted re-spawn chain {' -> '.join(CHAIN)}: {'found' if found else 'NOT FOUND'}")
    for link in wanted:
        if link in links:
            evidence = links[link]["evidence"]
            shown = {k: evidence[k] for k in ("shared_count", "gap_days", "handle_similarity")}
            print(f"  {link[0]} -> {link[1]}: score {links[link]['score']}, {shown}")
    others = [link for link in links if link not in wanted]
    print(f"  other re-spawn links reported: {len(others)} {others[:5]}")
    summary = analysis["summary"]
    print(
        f"  analysis: {summary['findings']:,} findings, {summary['clusters']:,} clusters, "
        f"{summary['accounts']:,} accounts, {summary['communities']:,} communities"
    )
    return found


def check_matches(paths: Paths, banked: int, expected: int) -> bool:
    """Whether every banked photo matched, and every re-encoded copy of it."""
    matched = 0
    with paths.findings.open(encoding="utf-8") as lines:
        for line in lines:
            if '"matches": []' not in line:
                matched += bool(json.loads(line)["matches"])
    ok = matched == expected
    print(
        f"items matching the bank: {matched:,} of {expected:,} expected ({banked:,} photos "
        f"banked, and their re-encoded copies): {'as expected' if ok else 'NOT AS EXPECTED'}"
    )
    return ok


def profile(paths: Paths, env: dict[str, str], slowest: Measured) -> None:
    """The slowest stage again under cProfile, on one core (RAQIB_WORKERS=1, so the scan's
    work is in the profiled process), and its top functions."""
    import pstats

    commands: dict[str, list[str | Path]] = {
        "scan": ["scan", paths.export, "--format", "telegram", "-o", paths.run / "p.jsonl"],
        "analyse": ["analyse", paths.findings, "-o", paths.run / "p.json"],
        "report": ["report", paths.analysis, "--findings", paths.findings, "-o", paths.run / "p"],
    }
    stats_path = paths.run / f"{slowest.name}.prof"
    one_core = {**env, "RAQIB_WORKERS": "1"}
    took = measure(
        f"profile {slowest.name}",
        this_file("_profile", stats_path, *commands[slowest.name]),
        one_core,
        paths.logs,
    )
    print(f"\nprofile of {slowest.name} (one core, {took.seconds:.1f} s; stats in {stats_path}):")
    stats = pstats.Stats(str(stats_path), stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"load average at start: {os.getloadavg()}  cores: {os.cpu_count()}")
    home = args.home or Path(tempfile.mkdtemp(prefix="raqib-sources-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, home)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=FULL_POSTS)
    parser.add_argument("--media", type=int, default=20_000, help="photos in the export")
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="50,000 posts, 1,000 photos")
    parser.add_argument("--home", type=Path, help="keep the export and bank here (reused)")
    parser.add_argument("--profile", action="store_true", help="cProfile the slowest stage")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.quick:
        args.posts, args.media, args.channels = 50_000, 1_000, 50
    if args.channels < 5 or args.posts < args.channels or not 0 < args.media <= args.posts:
        parser.error("need at least 5 channels, a post per channel and 1..posts photos")
    return args


def run(args: argparse.Namespace, home: Path) -> int:
    plan = Plan(args.posts, args.media, args.channels, args.seed)
    export, facts = prepare_export(home, plan)
    print(
        f"export: {facts['posts']:,} posts, {facts['media']:,} photos, {plan.channels} channels, "
        f"result.json {facts['bytes'] / 2**20:,.0f} MiB (generated in {facts['seconds']:,.1f} s, "
        f"not counted); home: {home}"
    )
    env, banked, expected = prepare_store(home, export, plan)
    paths = Paths(export, home / "run")
    shutil.rmtree(paths.run, ignore_errors=True)
    paths.run.mkdir(parents=True)
    print("\nmeasuring (each stage its own process) ...")
    rows = [*baselines(paths, env, facts["bytes"]), *stages(paths, env)]
    measured = {row.name: row for row in rows}
    print_table(rows, rows[0])
    scale = FULL_POSTS / facts["posts"]
    grown = growth(paths, env, rows[-3:]) if scale > 1 else {}
    print_target(measured, scale, grown)
    checks = [check_chain(paths), check_matches(paths, banked, expected)]
    if args.profile:
        slowest = max(rows[-3:], key=lambda row: row.seconds)
        profile(paths, env, slowest)
    print(f"\nload average at end: {os.getloadavg()}")
    return 0 if all(checks) else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1].startswith("_"):
        sys.exit(child_main(sys.argv[1:]))
    sys.exit(main())
