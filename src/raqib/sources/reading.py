"""One entry point for every source: `read_source(path, format)` gives the stream of items
to scan, whatever `path` is (a folder, a file, an export, an archive of any of these).

An archive given as the path is scanned as a file (its own hashes, as before) and then
unpacked safely (see `raqib.sources.archives`) and its contents read in the format detected
inside it; refused members are error items. Archives found inside a folder or an archive are
hashed as files, not opened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

from raqib.config import Settings
from raqib.errors import InputError
from raqib.sources.archives import ArchiveLimits, ArchiveRefused, archive_kind, unpacked
from raqib.sources.detect import FORMATS, JSON_SUFFIXES, detect_format
from raqib.sources.folder import WalkError, display_path, walk_files
from raqib.sources.items import SourceItem, error_item
from raqib.sources.jsonl import read_jsonl
from raqib.sources.telegram import read_telegram
from raqib.sources.twitter import read_x, read_x_archive


@contextmanager
def read_source(
    path: Path, source_format: str, settings: Settings, limits: ArchiveLimits | None = None
) -> Iterator[Iterator[SourceItem]]:
    """The items of `path` read as `source_format` ("auto" detects it). Archives are unpacked
    under RAQIB_HOME/tmp for the duration of the block."""
    if source_format not in FORMATS:
        raise InputError(f"unknown format {source_format!r}: use one of {', '.join(FORMATS)}")
    if source_format == "folder" or not path.is_file() or archive_kind(path) is None:
        yield _items(path, source_format)
        return
    with ExitStack() as stack:
        try:
            extraction = stack.enter_context(unpacked(path, settings.home / "tmp", limits))
        except ArchiveRefused as exc:
            yield iter([SourceItem(display_path(path), path=path).with_errors([_read(exc)])])
            return
        shown = display_path(path)
        inside = display_path(extraction.root)
        refused = (
            error_item(f"{shown}!/{name}", f"archive member {name[:200]!r}: {why}", source="file")
            for name, why in extraction.refused
        )
        members = (_relabel(i, inside, f"{shown}!") for i in _items(extraction.root, source_format))
        yield _chain(SourceItem(shown, path=path), refused, members)


def _items(path: Path, source_format: str) -> Iterator[SourceItem]:
    detected = detect_format(path) if source_format == "auto" else None
    chosen = detected.format if detected else source_format
    where = detected.path if detected else path
    if chosen == "telegram":
        return read_telegram(where)
    if chosen == "x-archive":
        return read_x_archive(where)
    if chosen in ("x", "jsonl"):
        return _json_files(where, read_x if chosen == "x" else read_jsonl)
    return read_folder(where)


def read_folder(root: Path) -> Iterator[SourceItem]:
    """Every file under `root` (or `root` itself), as today: a JSON or JSONL file is read as
    posts, any other file hashed whole; unusable paths are error items."""
    for found in walk_files(root):
        if isinstance(found, WalkError):
            yield error_item(display_path(found.path), found.message, source="file")
        elif found.suffix.lower() in JSON_SUFFIXES:
            yield from read_jsonl(found, first_progress=True)
        else:
            yield SourceItem(display_path(found), path=found)


def _json_files(path: Path, read: Callable[[Path], Iterator[SourceItem]]) -> Iterator[SourceItem]:
    """`read` over one file, or over every JSON/JSONL file of a folder."""
    for found in walk_files(path):
        if isinstance(found, WalkError):
            yield error_item(display_path(found.path), found.message, source="file")
        elif path.is_file() or found.suffix.lower() in JSON_SUFFIXES:
            yield from read(found)


def _relabel(item: SourceItem, inside: str, outside: str) -> SourceItem:
    """An unpacked item named after the archive ("export.zip!/photos/1.jpg") rather than the
    temporary folder it was read from, in its location and in its messages."""
    if inside not in item.where and not any(inside in e["message"] for e in item.errors):
        return item
    errors = tuple({**e, "message": e["message"].replace(inside, outside)} for e in item.errors)
    return replace(item, where=item.where.replace(inside, outside), errors=errors)


def _read(exc: Exception) -> dict[str, str]:
    return {"stage": "read", "message": str(exc)}


def _chain(*parts: SourceItem | Iterator[SourceItem]) -> Iterator[SourceItem]:
    for part in parts:
        if isinstance(part, SourceItem):
            yield part
        else:
            yield from part
