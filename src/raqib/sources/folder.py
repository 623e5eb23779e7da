"""Walk a folder (or take one file) safely: no symlink loops, no special files, any file name."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WalkError:
    """A path the walk could not use, and why."""

    path: Path
    message: str


def display_path(path: Path | str) -> str:
    """A path as printable text: undecodable bytes of a non-UTF-8 name become \\xNN escapes."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", errors="backslashreplace")


def walk_files(root: Path) -> Iterator[Path | WalkError]:
    """Every regular file under `root` in a stable order, following directory symlinks once."""
    try:
        info = root.stat()
    except OSError as exc:
        yield WalkError(root, _os_reason(exc))
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _walk_dir(root, {(info.st_dev, info.st_ino)})
    else:
        yield check_regular_file(root)


def _walk_dir(directory: Path, seen: set[tuple[int, int]]) -> Iterator[Path | WalkError]:
    try:
        children = sorted(os.scandir(directory), key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        yield WalkError(directory, _os_reason(exc))
        return
    for child in children:
        path = Path(child.path)
        try:
            info = path.stat()
        except OSError as exc:
            yield WalkError(path, _os_reason(exc))
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in seen:
                yield WalkError(path, "symlink loop: directory already visited, skipped")
                continue
            yield from _walk_dir(path, seen | {key})
        else:
            yield check_regular_file(path)


def check_regular_file(path: Path) -> Path | WalkError:
    status = regular_file_status(path)
    return status if isinstance(status, WalkError) else path


def regular_file_status(path: Path) -> os.stat_result | WalkError:
    """The file's status if it is a regular file (after following links), else why not."""
    try:
        status = path.stat()
    except OSError as exc:
        return WalkError(path, _os_reason(exc))
    if not stat.S_ISREG(status.st_mode):
        return WalkError(path, "not a regular file (folder, device, pipe or socket), skipped")
    return status


def _os_reason(exc: OSError) -> str:
    if exc.errno == 40:  # ELOOP
        return "symlink loop, skipped"
    return f"cannot read: {exc.strerror or exc}"
