"""Image hashing throughput: pdqhash alone against Raqib, on one core and on all cores.

    python bench/hash.py [--n 400] [--quick] [--workers N] [--rounds 3]

Generates N synthetic 640x480 JPEG images (raqib.synthetic.make_image) in a temporary folder and
prints images/s for:
  (a)  baseline: PIL open + convert RGB + np.asarray + pdqhash.compute, one core (what
       python-threatexchange does);
  (a2) the same with pdqhash.compute_dihedral (the 8 rotations/mirrors Raqib hashes for
       queries), for context;
  (b)  Raqib end-to-end: PdqSignalType().hash(Content.file(...), Settings()), one core;
  (c)  (b) across all cores with a ProcessPoolExecutor;
  (d)  what `raqib scan` does per file (kind detection + every signal type for it) across all
       cores, when raqib.pipeline.hash_file is available;
and the ratios to (a), each the best of --rounds interleaved rounds (so a busy machine hurts
less). Every Raqib PDQ hash is checked against the baseline's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.signals.base import Signal
from raqib.signals.pdq import PdqSignalType, bits_to_hex
from raqib.synthetic import make_image

SIZE = (640, 480)
CHUNK = 8


def generate_one(job: tuple[Path, int]) -> None:
    path, seed = job
    make_image(seed, SIZE).save(path, format="JPEG", quality=90)


def generate(directory: Path, count: int, workers: int) -> list[Path]:
    paths = [directory / f"img_{i:05d}.jpg" for i in range(count)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(generate_one, [(p, i) for i, p in enumerate(paths)], chunksize=CHUNK))
    return paths


def baseline_pdq(path: Path) -> str:
    """(a) what python-threatexchange does for a photo."""
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"))
    bits, _quality = pdqhash.compute(rgb)
    return bits_to_hex(bits)


def baseline_dihedral(path: Path) -> str:
    """(a2) the baseline with the 8 dihedral hashes."""
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"))
    hashes, _qualities = pdqhash.compute_dihedral(rgb)
    return bits_to_hex(hashes[0])


_SETTINGS = Settings()
_PDQ = PdqSignalType()


def raqib_pdq(path: Path) -> str:
    """(b) Raqib's PDQ signal type on one file."""
    outcome = _PDQ.hash(Content.file(path, ContentKind.IMAGE), _SETTINGS)
    return outcome.value if isinstance(outcome, Signal) else ""


def raqib_scan_hash(path: Path) -> str:
    """(d) what `raqib scan` runs per file: every signal type for the file's kind."""
    from raqib.pipeline import hash_file

    hashed = hash_file(path, _SETTINGS)
    return next((s.value for s in hashed.signals if s.signal_type == "pdq"), "")


def time_serial(function: Callable[[Path], str], paths: Sequence[Path]) -> tuple[float, list[str]]:
    function(paths[0])  # warm up imports and caches
    start = time.perf_counter()
    results = [function(path) for path in paths]
    return len(paths) / (time.perf_counter() - start), results


def time_parallel(
    function: Callable[[Path], str], paths: Sequence[Path], workers: int
) -> tuple[float, list[str]]:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(function, paths[: workers * 2]))  # start and warm up every worker
        start = time.perf_counter()
        results = list(pool.map(function, paths, chunksize=CHUNK))
        rate = len(paths) / (time.perf_counter() - start)
    return rate, results


def scan_available() -> bool:
    try:
        from raqib.pipeline import hash_file  # noqa: F401
    except ImportError:
        return False
    return True


def report(label: str, rate: float, baseline: float | None) -> None:
    ratio = f"   x{rate / baseline:.2f} of (a)" if baseline else ""
    print(f"{label:<64} {rate:8.1f} images/s{ratio}")


def agreement(name: str, expected: list[str], got: list[str]) -> None:
    same = sum(a == b for a, b in zip(expected, got, strict=True))
    print(f"  {name}: {same}/{len(expected)} PDQ hashes identical to the baseline")
    if same != len(expected):
        print(f"  WARNING: {name} disagrees with pdqhash on {len(expected) - same} images")


Measure = Callable[[], tuple[float, list[str]]]


def measurements(paths: list[Path], workers: int) -> dict[str, tuple[str, Measure]]:
    """Key -> (label, run); runs return (images/s, PDQ hex per path)."""
    table: dict[str, tuple[str, Measure]] = {
        "a": (
            "(a)  pdqhash.compute (PIL decode + RGB + compute), 1 core",
            lambda: time_serial(baseline_pdq, paths),
        ),
        "a2": (
            "(a2) pdqhash.compute_dihedral (8 variants), 1 core",
            lambda: time_serial(baseline_dihedral, paths),
        ),
        "b": (
            "(b)  raqib PdqSignalType.hash (with 8 variants), 1 core",
            lambda: time_serial(raqib_pdq, paths),
        ),
        "c": (
            f"(c)  raqib PdqSignalType.hash, {workers} processes",
            lambda: time_parallel(raqib_pdq, paths, workers),
        ),
    }
    if scan_available():
        table["d"] = (
            f"(d)  raqib scan hashing (all signal types), {workers} processes",
            lambda: time_parallel(raqib_scan_hash, paths, workers),
        )
    return table


def run(count: int, workers: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="raqib-bench-") as tmp:
        start = time.perf_counter()
        paths = generate(Path(tmp), count, workers)
        print(
            f"generated {count} JPEG images {SIZE[0]}x{SIZE[1]} in "
            f"{time.perf_counter() - start:.1f}s; {workers} worker processes, "
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
            f"best of {rounds} interleaved rounds"
        )
        table = measurements(paths, workers)
        best = dict.fromkeys(table, 0.0)
        hashes: dict[str, list[str]] = {}
        for _ in range(rounds):
            for key, (_label, measure) in table.items():
                rate, hashes[key] = measure()
                best[key] = max(best[key], rate)
        for key, (label, _measure) in table.items():
            report(label, best[key], None if key == "a" else best["a"])
            if key in ("b", "c", "d"):
                agreement(f"({key})", hashes["a"], hashes[key])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=400, help="number of images (default 400)")
    parser.add_argument("--quick", action="store_true", help="80 images, for a smoke run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (default 3)")
    args = parser.parse_args(argv)
    count, rounds = (80, 1) if args.quick else (args.n, args.rounds)
    if min(count, args.workers, rounds) < 1:
        parser.error("--n, --workers and --rounds must be at least 1")
    run(count, args.workers, rounds)


if __name__ == "__main__":
    main()
