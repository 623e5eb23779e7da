"""`raqib scan`: read a source (a folder, a file, a Telegram or X export, JSON lines, an
archive), hash every item and assess every text on all cores, match every enabled bank.

The source is read in this process, streaming, and its items go to the workers in small
batches with a bounded number in flight, so memory stays flat however large the export. Each
worker process builds its own text analyzer once, from the indicators the scan was given."""

from __future__ import annotations

import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raqib.config import Settings
from raqib.pipeline import Hashed, finding_for, hash_item
from raqib.sources.folder import walk_files
from raqib.sources.items import SourceItem
from raqib.sources.reading import read_source

if TYPE_CHECKING:
    from raqib.matching import Matcher
    from raqib.text.assess import TextAnalyzer
    from raqib.text.indicator_records import Indicator

Progress = Callable[[int], None]
IN_FLIGHT_PER_WORKER = 8
TEXT_BATCH = 64  # post texts hashed per task: one task per post would cost more than the hash


@dataclass
class ScanSummary:
    files: int = 0
    with_signals: int = 0
    matched: int = 0
    errors: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    matches_by_bank: Counter[str] = field(default_factory=Counter)
    texts_assessed: int = 0
    contexts: Counter[str] = field(default_factory=Counter)
    injected_pages: int = 0

    def add(self, finding: dict[str, Any]) -> None:
        self.files += 1
        self.with_signals += bool(finding["signals"])
        counted = [m for m in finding["matches"] if not m.get("suppressed_by")]
        self.matched += bool(counted)
        self.errors += bool(finding["errors"])
        self.verdicts[finding["verdict"]["recommended"]] += 1
        self.matches_by_bank.update(m["bank"] for m in counted)
        context = finding["text"]["context"]
        if context is not None:
            self.texts_assessed += 1
            self.contexts[context] += 1
        self.injected_pages += bool(finding["page"]["injected_scripts"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "with_signals": self.with_signals,
            "matched": self.matched,
            "errors": self.errors,
            "verdicts": dict(self.verdicts),
            "matches_by_bank": dict(self.matches_by_bank),
            "texts_assessed": self.texts_assessed,
            "contexts": dict(self.contexts),
            "injected_pages": self.injected_pages,
        }


def count_files(root: Path) -> int:
    return sum(1 for _ in walk_files(root))


def count_steps(root: Path, source_format: str = "auto") -> int | None:
    """The progress total of a scan: the number of files of a plain folder (each counts one
    step, a JSON file of posts too), or None for exports and archives, read as they stream."""
    from raqib.sources.archives import archive_kind
    from raqib.sources.detect import detect_format

    if source_format not in ("auto", "folder"):
        return None
    if root.is_file() and source_format == "auto" and archive_kind(root) is not None:
        return None
    if source_format == "auto" and detect_format(root).format != "folder":
        return None
    return count_files(root)


def scan(
    root: Path,
    settings: Settings,
    matcher: Matcher,
    progress: Progress | None = None,
    indicators: Sequence[Indicator] | None = None,
    source_format: str = "auto",
) -> Iterator[dict[str, Any]]:
    """One finding per item of the source at `root` (a file, a post, a media file attached to
    a post), in source order; unusable paths and records become error findings. With
    `indicators`, texts are assessed. `source_format` is "auto" or one of
    raqib.sources.detect.FORMATS. `progress(n)` is called as items finish (see
    SourceItem.progress)."""
    with (
        read_source(root, source_format, settings) as items,
        _executor(settings, indicators) as executor,
    ):
        if executor is None:
            _start_worker(settings, indicators)
        number = 0
        for batch in _hash_all(_batches(items), settings, executor):
            for steps, hashed in batch:
                number += 1
                yield finding_for(str(number), hashed, matcher)
                if progress and steps:
                    progress(steps)


_ANALYZER: TextAnalyzer | None = None  # this process's analyzer, built once by _start_worker


def _start_worker(settings: Settings, indicators: Sequence[Indicator] | None) -> None:
    global _ANALYZER
    if indicators is None:
        _ANALYZER = None
        return
    from raqib.text.assess import TextAnalyzer
    from raqib.text.loading import load_model

    _ANALYZER = TextAnalyzer(indicators, load_model(settings))


Done = list[tuple[int, Hashed]]  # (progress steps, hashed item) for each item of a batch


def _hash_batch(batch: list[SourceItem], settings: Settings) -> Done:
    return [(item.progress, hash_item(item, settings, _ANALYZER)) for item in batch]


def _batches(items: Iterable[SourceItem]) -> Iterator[list[SourceItem]]:
    """Files one per batch (hashing one can take seconds); texts and errors up to TEXT_BATCH."""
    batch: list[SourceItem] = []
    for item in items:
        if item.path is not None:
            if batch:
                yield batch
                batch = []
            yield [item]
            continue
        batch.append(item)
        if len(batch) >= TEXT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _hash_all(
    batches: Iterable[list[SourceItem]], settings: Settings, executor: Executor | None
) -> Iterator[Done]:
    if executor is None:
        for batch in batches:
            yield _hash_batch(batch, settings)
        return
    window: deque[Future[Done]] = deque()
    limit = settings.worker_count * IN_FLIGHT_PER_WORKER
    for batch in batches:
        window.append(executor.submit(_hash_batch, batch, settings))
        while len(window) >= limit:
            yield window.popleft().result()
    while window:
        yield window.popleft().result()


class _NoExecutor:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_args: object) -> None:
        return None


def _executor(
    settings: Settings, indicators: Sequence[Indicator] | None
) -> ProcessPoolExecutor | _NoExecutor:
    if settings.worker_count <= 1:
        return _NoExecutor()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["raqib.pipeline", "raqib.scan"])
    return ProcessPoolExecutor(
        settings.worker_count,
        mp_context=context,
        initializer=_start_worker,
        initargs=(settings, list(indicators) if indicators is not None else None),
    )
