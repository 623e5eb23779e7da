"""Zip and tar archives, unpacked safely into a private temporary folder before scanning.

Untrusted archives attack the unpacker: member names that climb out (`../`, absolute paths,
drive letters), links that point elsewhere, devices, and bombs that expand a few kilobytes into
terabytes. Here every member name is checked before anything is written, links and special
files are refused (never created), and expansion is bounded three ways: the number of members,
the total bytes written, and the ratio of bytes written to the archive's size (and, for zip,
of each member's size to its compressed size). A refused member is reported and skipped; a
bomb refuses the whole archive. The standard library's `extractall` (even with tarfile's "data"
filter) is not used: it extracts links that stay inside, and bounds nothing.
"""

from __future__ import annotations

import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from raqib.errors import InputError

COPY_CHUNK = 1 << 20
_COMPRESSED_TAR = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


@dataclass(frozen=True)
class ArchiveLimits:
    """How far an archive may expand before it is refused as a bomb."""

    max_members: int = 500_000
    max_total_bytes: int = 16 << 30
    max_ratio: int = 200  # bytes out per byte in; ordinary exports compress far less than this
    ratio_floor: int = 8 << 20  # ratios are enforced once this many bytes came out


class ArchiveRefused(InputError):
    """The archive as a whole is refused (a bomb, or not readable)."""


@dataclass
class Extraction:
    """An unpacked archive: where it went and the members refused, (name, why)."""

    root: Path
    refused: list[tuple[str, str]] = field(default_factory=list)
    written: int = 0


def archive_kind(path: Path) -> str | None:
    """ "zip" or "tar" when the file is such an archive (by its bytes, not its name), else None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[257:262] == b"ustar" or (head.startswith(_COMPRESSED_TAR) and _opens_as_tar(path)):
        return "tar"
    return None


def _opens_as_tar(path: Path) -> bool:
    """A compressed file is a tar archive if tarfile can read its first member."""
    try:
        with tarfile.open(path, "r:*") as archive:
            return archive.next() is not None
    except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError):
        return False


@contextmanager
def unpacked(
    path: Path, work_dir: Path, limits: ArchiveLimits | None = None
) -> Iterator[Extraction]:
    """The archive at `path` unpacked under `work_dir` for the duration of the block, then
    deleted. Raises ArchiveRefused for a bomb or an unreadable archive (nothing is kept)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="archive-", dir=work_dir) as temporary:
        root = Path(temporary) / "unpacked"
        root.mkdir()
        yield extract(path, root, limits or ArchiveLimits())


def extract(path: Path, root: Path, limits: ArchiveLimits) -> Extraction:
    """Unpack the archive at `path` into the empty folder `root` (see the module docstring)."""
    kind = archive_kind(path)
    budget = _Budget(path, limits)
    extraction = Extraction(root)
    try:
        if kind == "zip":
            _extract_zip(path, extraction, budget)
        elif kind == "tar":
            _extract_tar(path, extraction, budget)
        else:
            raise ArchiveRefused(f"{path.name}: not a zip or tar archive")
    except ArchiveRefused:
        shutil.rmtree(root, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        message = f"{path.name}: damaged archive ({exc}); nothing in it was scanned"
        raise ArchiveRefused(message) from exc
    extraction.written = budget.written
    return extraction


class _Budget:
    """The bytes and members an archive may still unpack."""

    def __init__(self, path: Path, limits: ArchiveLimits) -> None:
        self.name = path.name
        self.limits = limits
        self.archive_bytes = max(1, path.stat().st_size)
        self.written = 0
        self.members = 0

    def count_member(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise ArchiveRefused(
                f"{self.name}: more than {self.limits.max_members:,} members: refused as an "
                "archive bomb (unpack it yourself and scan the folder if it is genuine)"
            )

    def add(self, count: int) -> None:
        self.written += count
        limits = self.limits
        if self.written > limits.max_total_bytes:
            raise ArchiveRefused(
                f"{self.name}: expands to more than {limits.max_total_bytes >> 20:,} MiB: refused "
                "as an archive bomb"
            )
        ratio = self.written / self.archive_bytes
        if self.written > limits.ratio_floor and ratio > limits.max_ratio:
            raise ArchiveRefused(
                f"{self.name}: expands more than {limits.max_ratio}:1 (a {self.archive_bytes:,}-"
                "byte archive past "
                f"{self.written >> 20:,} MiB): refused as an archive bomb; nothing in it scanned"
            )


def member_target(root: Path, name: str) -> Path | str | None:
    """Where member `name` goes under `root`; why it is refused (a string); or None for a name
    that is only the archive's own top folder ("./")."""
    if "\x00" in name:
        return "name contains a NUL byte: refused"
    relative = name.replace("\\", "/")
    if relative.startswith("/") or (len(relative) > 1 and relative[1] == ":"):
        return "absolute path: refused (members must stay inside the archive)"
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if ".." in parts:
        return "path climbs out of the archive ('..'): refused"
    return root.joinpath(*parts) if parts else None


def _extract_zip(path: Path, extraction: Extraction, budget: _Budget) -> None:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > budget.limits.max_members:
            budget.count_member()  # raises with the message
        declared = sum(info.file_size for info in infos)
        if declared > budget.limits.max_total_bytes:
            budget.add(declared)  # raises with the message
        for info in infos:
            budget.count_member()
            target = _accepted(extraction, info.filename, _zip_refusal(info, budget.limits))
            if target is not None:
                _write_zip_member(archive, info, target, extraction, budget)


def _accepted(extraction: Extraction, name: str, why: str | None) -> Path | None:
    """Where a member goes, or None when it is refused (for `why`, or because its name leaves
    the extraction root); a refusal is recorded with its reason."""
    target = member_target(extraction.root, name)
    if why is None and isinstance(target, str):
        why = target
    if why is not None:
        extraction.refused.append((name, why))
        return None
    return target if isinstance(target, Path) else None


def _zip_refusal(info: zipfile.ZipInfo, limits: ArchiveLimits) -> str | None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link: refused (links are never unpacked)"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # 0: no Unix type
        return "special file (device, pipe or socket): refused"
    if info.flag_bits & 0x1:
        return "encrypted: skipped (Raqib does not guess passwords)"
    packed = max(1, info.compress_size)
    if info.file_size > limits.ratio_floor and info.file_size / packed > limits.max_ratio:
        raise ArchiveRefused(
            f"member {info.filename[:200]!r} expands {info.file_size // packed:,}:1 "
            f"({info.file_size:,} bytes from {info.compress_size:,}): refused as an archive bomb; "
            "nothing in it was scanned"
        )
    return None


def _write_zip_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    extraction: Extraction,
    budget: _Budget,
) -> None:
    if info.is_dir():
        _make_dir(target, info.filename, extraction)
        return
    try:
        with archive.open(info) as source:
            _write(source, target, budget)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        extraction.refused.append((info.filename, f"cannot unpack: {exc}"))


def _extract_tar(path: Path, extraction: Extraction, budget: _Budget) -> None:
    with tarfile.open(path, "r:*") as archive:
        while (member := archive.next()) is not None:
            # TarFile keeps every member it has read in `members`; reading one at a time and
            # forgetting them keeps memory flat for archives with very many members.
            archive.members.clear()  # type: ignore[attr-defined]  # (not in typeshed)
            budget.count_member()
            target = _accepted(extraction, member.name, _tar_refusal(member))
            if target is not None:
                _write_tar_member(archive, member, target, extraction, budget)


def _tar_refusal(member: tarfile.TarInfo) -> str | None:
    if member.issym() or member.islnk():
        return f"link to {member.linkname[:200]!r}: refused (links are never unpacked)"
    if member.issparse():
        return "sparse file: refused (its size on disk is not its real size)"
    if not (member.isfile() or member.isdir()):
        return "special file (device, pipe or socket): refused"
    return None


def _write_tar_member(
    archive: tarfile.TarFile,
    member: tarfile.TarInfo,
    target: Path,
    extraction: Extraction,
    budget: _Budget,
) -> None:
    if member.isdir():
        _make_dir(target, member.name, extraction)
        return
    source = archive.extractfile(member)
    if source is None:
        extraction.refused.append((member.name, "cannot unpack: no data"))
        return
    try:
        with source:
            _write(source, target, budget)
    except OSError as exc:
        extraction.refused.append((member.name, f"cannot unpack: {exc.strerror or exc}"))


def _make_dir(target: Path, name: str, extraction: Extraction) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        extraction.refused.append((name, f"cannot unpack: {exc.strerror or exc}"))


def _write(source: IO[bytes], target: Path, budget: _Budget) -> None:
    """Copy one member's bytes, counting each chunk against the budget as it is written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while chunk := source.read(COPY_CHUNK):
            budget.add(len(chunk))
            out.write(chunk)
