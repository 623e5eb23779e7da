"""Benchmark Raqib's exact Hamming index against faiss and python-threatexchange, in one run.

    python bench/match.py [--n 10000000] [--queries 1000] [--quick]

Two distributions (uniform random; clustered: seeds x 1,000 variants, 5-40 bits flipped) with
planted near-duplicate queries (1-31 bits flipped from database rows). faiss `IndexBinaryFlat`
(exact brute force) also provides the ground truth for recall. python-threatexchange's
`PDQIndex2` (faiss `IndexFlatL2` over 256 floats a hash, built one hash at a time) is measured
at a smaller N, printed, against Raqib at that same N.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

try:
    from raqib.index.hamming import HammingIndex, bytes_to_hex
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from raqib.index.hamming import HammingIndex, bytes_to_hex

THRESHOLD = 31
CLUSTER_SIZE = 1_000
TARGETS = {
    "recall": "100% at <=31 bits",
    "batch": ">= 4,000 lookups/s (2 cores)",
    "p99": "<= 5 ms",
    "memory": "<= 1.5 GB resident",
    "load": "<= 5 s",
    "build": "<= 60 s at 10M",
}
Results = list[set[tuple[int, int]]]


# -- measuring -----------------------------------------------------------------------------


def rss() -> int:
    """Resident set size of this process in bytes (psutil, else /proc/self/status)."""
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@contextmanager
def timed(into: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into[key] = time.perf_counter() - start


def evict_page_cache(directory: Path) -> None:
    """Ask the kernel to drop the saved files from the page cache (a cold load)."""
    for path in directory.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def latencies(query: Callable[[np.ndarray], object], queries: np.ndarray) -> np.ndarray:
    out = np.empty(queries.shape[0])
    for i, q in enumerate(queries):
        start = time.perf_counter()
        query(q)
        out[i] = time.perf_counter() - start
    return out


# -- data ----------------------------------------------------------------------------------


def flip_bits(rng: np.random.Generator, rows: np.ndarray, low: int, high: int) -> np.ndarray:
    """Each row with `low..high` random bit positions flipped (repeats merge: up to high)."""
    n = rows.shape[0]
    counts = rng.integers(low, high + 1, size=n)
    mask = np.zeros_like(rows)
    every = np.arange(n)
    for j in range(high):
        at = rng.integers(0, 256, size=n)
        use = counts > j
        mask[every[use], at[use] >> 3] |= (1 << (at[use] & 7)).astype(np.uint8)
    return rows ^ mask


def uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.frombuffer(rng.bytes(n * 32), dtype=np.uint8).reshape(n, 32).copy()


def clustered(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n // 1000` seeds, each with 1,000 variants 5-40 bits away (in 1M-row slices)."""
    seeds = uniform(rng, max(1, n // CLUSTER_SIZE))
    out = np.empty((n, 32), dtype=np.uint8)
    for lo in range(0, n, 1_000_000):
        hi = min(n, lo + 1_000_000)
        rows = seeds[(np.arange(lo, hi) // CLUSTER_SIZE) % seeds.shape[0]]
        out[lo:hi] = flip_bits(rng, rows, 5, 40)
    return out


def plant(rng: np.random.Generator, hashes: np.ndarray, count: int) -> np.ndarray:
    """`count` queries, each a database row with exactly 1-31 distinct bits flipped."""
    rows = hashes[rng.integers(0, hashes.shape[0], size=count)]
    bits = np.unpackbits(rows, axis=1)
    for i, k in enumerate(rng.integers(1, THRESHOLD + 1, size=count)):
        bits[i, rng.choice(256, size=int(k), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


# -- systems -------------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    n: int
    measured_queries: int
    seconds: dict[str, float] = field(default_factory=dict)
    memory: int = 0
    p50: float = float("nan")
    p99: float = float("nan")
    batch_qps: float = float("nan")
    results: Results = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def bench_raqib(hashes: np.ndarray, queries: np.ndarray, workdir: Path) -> Figures:
    """Build, save, cold-load (mmap), then time single and batch queries on the loaded index."""
    n = hashes.shape[0]
    fig = Figures("raqib HammingIndex", n, queries.shape[0])
    ids = np.arange(n, dtype=np.int64)
    HammingIndex.build(ids[:20_000], hashes[:20_000]).query_batch(queries[:4], THRESHOLD)  # jit
    gc.collect()
    before = rss()
    with timed(fig.seconds, "build"):
        index = HammingIndex.build(ids, hashes)
    built_memory = rss() - before
    target = workdir / "raqib-index"
    with timed(fig.seconds, "save"):
        index.save(target)
    del index
    gc.collect()
    evict_page_cache(target)
    before = rss()
    with timed(fig.seconds, "load"):
        loaded = HammingIndex.load(target, mmap=True)
    with timed(fig.seconds, "first batch (cold)"):
        loaded.query_batch(queries, THRESHOLD)
    runs = []
    for _ in range(5):  # median of 5: other processes may share the cores
        with timed(fig.seconds, "batch"):
            batch = loaded.query_batch(queries, THRESHOLD)
        runs.append(fig.seconds["batch"])
    fig.batch_qps = queries.shape[0] / float(np.median(runs))
    fig.notes.append("lookups/s: median of 5 query_batch runs over all queries")
    lat = latencies(lambda q: loaded.query(q, THRESHOLD), queries)
    fig.p50, fig.p99 = np.percentile(lat, 50), np.percentile(lat, 99)
    fig.memory = max(built_memory, rss() - before)
    fig.notes.append(
        f"RSS: built in memory +{built_memory / 2**20:,.0f} MiB; loaded (mmap) and queried "
        f"+{(rss() - before) / 2**20:,.0f} MiB"
    )
    fig.results = [set(hits) for hits in batch]
    single = [set(loaded.query(q, THRESHOLD)) for q in queries[:100]]
    if single != fig.results[:100]:
        fig.notes.append("MISMATCH: single queries differ from the batch")
    return fig


def bench_faiss_flat(hashes: np.ndarray, queries: np.ndarray) -> Figures:
    import faiss

    fig = Figures("faiss IndexBinaryFlat", hashes.shape[0], queries.shape[0])
    gc.collect()
    before = rss()
    with timed(fig.seconds, "build"):
        index = faiss.IndexBinaryFlat(256)
        index.add(hashes)
    fig.memory = rss() - before
    with timed(fig.seconds, "batch"):
        lims, dists, labels = index.range_search(queries, THRESHOLD + 1)  # radius is exclusive
    fig.batch_qps = queries.shape[0] / fig.seconds["batch"]
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # one query, one core: as Raqib's single query
    lat = latencies(lambda q: index.range_search(q[None], THRESHOLD + 1), queries[:20])
    faiss.omp_set_num_threads(threads)
    fig.p50, fig.p99 = np.percentile(lat, 50), np.percentile(lat, 99)
    fig.notes.append(f"single-query latency: 1 thread, {lat.shape[0]} queries; build = add()")
    fig.results = [
        set(zip(labels[lo:hi].tolist(), dists[lo:hi].tolist(), strict=True))
        for lo, hi in pairwise(lims.tolist())
    ]
    return fig


def bench_threatexchange(hashes: np.ndarray, queries: np.ndarray) -> Figures:
    from threatexchange.signal_type.pdq.pdq_index2 import PDQIndex2

    fig = Figures("threatexchange PDQIndex2", hashes.shape[0], queries.shape[0])
    hexes = [bytes_to_hex(h) for h in hashes]
    gc.collect()
    before = rss()
    with timed(fig.seconds, "build"):
        index = PDQIndex2(entries=zip(hexes, range(len(hexes)), strict=True), threshold=THRESHOLD)
    fig.memory = rss() - before
    qhex = [bytes_to_hex(q) for q in queries]
    lat = latencies(lambda q: index.query(bytes_to_hex(q)), queries)
    fig.p50, fig.p99 = np.percentile(lat, 50), np.percentile(lat, 99)
    fig.batch_qps = queries.shape[0] / lat.sum()
    fig.notes.append("no batch API: 'lookups/s' is sequential single queries")
    fig.results = [
        {(int(m.metadata), int(m.similarity_info.distance)) for m in index.query(q)} for q in qhex
    ]
    return fig


# -- report --------------------------------------------------------------------------------


def recall(got: Results, truth: Results) -> tuple[float, int]:
    """Recall of `got` against `truth` over the queries both have, and the extra hits."""
    pairs = list(zip(got, truth, strict=False))
    found = sum(len(g & t) for g, t in pairs)
    total = sum(len(t) for _, t in pairs)
    extra = sum(len(g - t) for g, t in pairs)
    return (found / total if total else 1.0), extra


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.3f} ms"


def report(title: str, figs: list[Figures], truth: Results) -> None:
    print(f"\n== {title} ==")
    rows: list[tuple[str, ...]] = [("", *(f.name for f in figs), "target")]
    rows.append(("N", *(f"{f.n:,}" for f in figs), ""))
    rows.append(("queries measured", *(f"{f.measured_queries:,}" for f in figs), ""))
    keys = ["build", "save", "load", "first batch (cold)"]
    for key in keys:
        cells = [f"{f.seconds[key]:,.2f} s" if key in f.seconds else "-" for f in figs]
        rows.append((key, *cells, TARGETS.get(key, "")))
    rows.append(("resident memory", *(f"{f.memory / 2**30:,.2f} GiB" for f in figs), "<= 1.5 GB"))
    rows.append(("single query p50", *(ms(f.p50) for f in figs), ""))
    rows.append(("single query p99", *(ms(f.p99) for f in figs), TARGETS["p99"]))
    rows.append(("lookups/s (batch)", *(f"{f.batch_qps:,.0f}" for f in figs), TARGETS["batch"]))
    cells = []
    for f in figs:
        r, extra = recall(f.results, truth)
        cells.append(f"{r:.2%}" + (f" (+{extra} wrong)" if extra else ""))
    rows.append(("recall @31 vs brute force", *cells, TARGETS["recall"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for f in figs:
        for note in f.notes:
            print(f"  note [{f.name}]: {note}")


def ratios(raqib: Figures, other: Figures) -> None:
    same_n = "" if raqib.n == other.n else f" (raqib at N={raqib.n:,}, other at N={other.n:,})"
    print(f"  raqib vs {other.name}{same_n}:")
    print(f"    batch lookups/s: {raqib.batch_qps / other.batch_qps:,.1f}x")
    print(f"    single query p50: {other.p50 / raqib.p50:,.1f}x faster")
    if other.memory > 0:
        print(f"    resident memory: {raqib.memory / other.memory:,.2f}x")


def run_distribution(
    name: str, hashes: np.ndarray, queries: np.ndarray, workdir: Path
) -> tuple[Figures, Figures]:
    raqib = bench_raqib(hashes, queries, workdir)
    flat = bench_faiss_flat(hashes, queries)
    report(
        f"{name}: N={hashes.shape[0]:,}, {queries.shape[0]:,} planted queries",
        [raqib, flat],
        flat.results,
    )
    ratios(raqib, flat)
    return raqib, flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--tx-n", type=int, default=1_000_000, help="N for threatexchange")
    parser.add_argument("--quick", action="store_true", help="200,000 hashes, smoke run")
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args(argv)
    n = 200_000 if args.quick else args.n
    tx_n = min(n, 50_000 if args.quick else args.tx_n)
    rng = np.random.default_rng(args.seed)
    print(f"cores: {os.cpu_count()}  N={n:,}  queries={args.queries:,}  threshold<={THRESHOLD}")
    print(f"load average at start: {os.getloadavg()}")
    workdir = Path(tempfile.mkdtemp(prefix="raqib-bench-"))
    try:
        for name, make in (("uniform", uniform), ("clustered", clustered)):
            start = time.perf_counter()
            hashes = make(rng, n)
            queries = plant(rng, hashes, args.queries)
            print(f"\n[{name}] generated in {time.perf_counter() - start:.1f} s")
            run_distribution(name, hashes, queries, workdir)
            del hashes
            gc.collect()
        hashes = uniform(rng, tx_n)
        queries = plant(rng, hashes, min(args.queries, 100))
        tx = bench_threatexchange(hashes, queries)
        raqib = bench_raqib(hashes, queries, workdir)
        flat = bench_faiss_flat(hashes, queries)
        title = f"threatexchange: N={tx_n:,} (uniform), {queries.shape[0]} planted queries"
        report(title, [raqib, flat, tx], flat.results)
        ratios(raqib, tx)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nload average at end: {os.getloadavg()} (other processes share the 2 cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
