"""`raqib scan`: walk a path, hash every file and assess every text on all cores, match every
enabled bank. Each worker process builds its own text analyzer once, from the indicators the
scan was given."""

from __future__ import annotations

import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raqib.config import Settings
from raqib.pipeline import Hashed, finding_for, hash_path
from raqib.sources.folder import WalkError, display_path, walk_files

if TYPE_CHECKING:
    from raqib.matching import Matcher
    from raqib.text.assess import TextAnalyzer
    from raqib.text.indicator_records import Indicator

Progress = Callable[[int], None]
IN_FLIGHT_PER_WORKER = 8


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


def scan(
    root: Path,
    settings: Settings,
    matcher: Matcher,
    progress: Progress | None = None,
    indicators: Sequence[Indicator] | None = None,
) -> Iterator[dict[str, Any]]:
    """One finding per item under `root` (a file, or a post of a JSON/JSONL file), in walk
    order; unusable paths become error findings. With `indicators`, texts are assessed."""
    with _executor(settings, indicators) as executor:
        if executor is None:
            _start_worker(settings, indicators)
        number = 0
        for items in _hash_all(walk_files(root), settings, executor):
            for hashed in items:
                number += 1
                yield finding_for(str(number), hashed, matcher)
            if progress:
                progress(1)


_ANALYZER: TextAnalyzer | None = None  # this process's analyzer, built once by _start_worker


def _start_worker(settings: Settings, indicators: Sequence[Indicator] | None) -> None:
    global _ANALYZER
    if indicators is None:
        _ANALYZER = None
        return
    from raqib.text.assess import TextAnalyzer
    from raqib.text.loading import load_model

    _ANALYZER = TextAnalyzer(indicators, load_model(settings))


def _hash_items(path: Path, settings: Settings) -> list[Hashed]:
    return hash_path(path, settings, _ANALYZER)


def _hash_all(
    paths: Iterable[Path | WalkError], settings: Settings, executor: Executor | None
) -> Iterator[list[Hashed]]:
    if executor is None:
        for path in paths:
            yield (
                [_walk_error(path)] if isinstance(path, WalkError) else _hash_items(path, settings)
            )
        return
    window: deque[Future[list[Hashed]] | list[Hashed]] = deque()
    limit = settings.worker_count * IN_FLIGHT_PER_WORKER
    for path in paths:
        if isinstance(path, WalkError):
            window.append([_walk_error(path)])
        else:
            window.append(executor.submit(_hash_items, path, settings))
        while len(window) >= limit:
            yield _result(window.popleft())
    while window:
        yield _result(window.popleft())


def _result(slot: Future[list[Hashed]] | list[Hashed]) -> list[Hashed]:
    return slot.result() if isinstance(slot, Future) else slot


def _walk_error(error: WalkError) -> Hashed:
    return Hashed(
        display_path(error.path), "file", errors=[{"stage": "read", "message": error.message}]
    )


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
