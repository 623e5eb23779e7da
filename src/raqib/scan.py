"""`raqib scan`: walk a path, hash every file on all cores, match every enabled bank."""

from __future__ import annotations

import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raqib.config import Settings
from raqib.pipeline import Hashed, finding_for, hash_file
from raqib.sources.folder import WalkError, display_path, walk_files

if TYPE_CHECKING:
    from raqib.matching import Matcher

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

    def add(self, finding: dict[str, Any]) -> None:
        self.files += 1
        self.with_signals += bool(finding["signals"])
        counted = [m for m in finding["matches"] if not m.get("suppressed_by")]
        self.matched += bool(counted)
        self.errors += bool(finding["errors"])
        self.verdicts[finding["verdict"]["recommended"]] += 1
        self.matches_by_bank.update(m["bank"] for m in counted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "with_signals": self.with_signals,
            "matched": self.matched,
            "errors": self.errors,
            "verdicts": dict(self.verdicts),
            "matches_by_bank": dict(self.matches_by_bank),
        }


def count_files(root: Path) -> int:
    return sum(1 for _ in walk_files(root))


def scan(
    root: Path, settings: Settings, matcher: Matcher, progress: Progress | None = None
) -> Iterator[dict[str, Any]]:
    """One finding per file under `root`, in walk order; unusable paths become error findings."""
    with _executor(settings) as executor:
        for number, hashed in enumerate(_hash_all(walk_files(root), settings, executor), 1):
            yield finding_for(str(number), hashed, matcher)
            if progress:
                progress(1)


def _hash_all(
    paths: Iterable[Path | WalkError], settings: Settings, executor: Executor | None
) -> Iterator[Hashed]:
    if executor is None:
        for path in paths:
            yield _walk_error(path) if isinstance(path, WalkError) else hash_file(path, settings)
        return
    window: deque[Future[Hashed] | Hashed] = deque()
    limit = settings.worker_count * IN_FLIGHT_PER_WORKER
    for path in paths:
        if isinstance(path, WalkError):
            window.append(_walk_error(path))
        else:
            window.append(executor.submit(hash_file, path, settings))
        while len(window) >= limit:
            yield _result(window.popleft())
    while window:
        yield _result(window.popleft())


def _result(slot: Future[Hashed] | Hashed) -> Hashed:
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


def _executor(settings: Settings) -> ProcessPoolExecutor | _NoExecutor:
    if settings.worker_count <= 1:
        return _NoExecutor()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["raqib.pipeline"])
    return ProcessPoolExecutor(settings.worker_count, mp_context=context)
