"""The evidence byte store: original bytes kept content-addressed under RAQIB_HOME/evidence.

A file lives at RAQIB_HOME/evidence/<first two hex digits>/<sha256>; the same bytes are kept
once however many records name them. Bytes arrive in a temporary file in their folder, are
hashed there (the copy is what is verified, not the source) and only then moved into place, so
the store never holds a file under a name its bytes do not hash to. Files from the case media
store (itself content-addressed and never written in place) are hard-linked when the two
stores share a file system; anything else, such as an investigator's own file, is copied, so
later edits to the original cannot reach the evidence.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from raqib.config import Settings
from raqib.errors import InputError

_CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class StoredBytes:
    """Bytes now in the store: their digest and size."""

    sha256: str
    size: int


def evidence_root(settings: Settings) -> Path:
    return settings.home / "evidence"


def check_digest(sha256: str) -> str:
    """The digest if it is 64 lowercase hex digits (so it can never name a path), else an
    InputError."""
    if len(sha256) != 64 or not set(sha256) <= _HEX:
        raise InputError("an evidence digest is 64 lowercase hex digits")
    return sha256


def evidence_path(settings: Settings, sha256: str) -> Path:
    """Where the bytes with this sha256 live (whether or not they are there)."""
    check_digest(sha256)
    return evidence_root(settings) / sha256[:2] / sha256


def file_digest(path: Path) -> StoredBytes:
    """The sha256 and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return StoredBytes(digest.hexdigest(), size)


def has_bytes(settings: Settings, sha256: str) -> bool:
    return evidence_path(settings, sha256).is_file()


def intact(settings: Settings, sha256: str) -> bool:
    """Whether the stored file exists and still hashes to its name."""
    path = evidence_path(settings, sha256)
    return path.is_file() and file_digest(path).sha256 == sha256


def put_file(
    settings: Settings, source: Path, expected: str | None = None, link: bool = False
) -> StoredBytes:
    """Keep the bytes of `source`. `expected`: the sha256 the source must have (a file of the
    media store); without it the source is hashed first and the copy must match that. `link`:
    try a hard link before copying (only for files that are never written in place)."""
    if not source.is_file():
        raise InputError(f"{source} is not a regular file")
    wanted = expected or file_digest(source).sha256
    target = evidence_path(settings, wanted)
    if target.is_file() and file_digest(target).sha256 == wanted:
        return StoredBytes(wanted, target.stat().st_size)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".incoming-{secrets.token_hex(8)}"
    try:
        if not (link and _try_link(source, temporary)):
            _copy(source, temporary)
        found = file_digest(temporary)
        if found.sha256 != wanted:
            raise InputError(
                f"the bytes of {source.name} hash to {found.sha256}, not the expected {wanted}: "
                "the source changed or is damaged; check it and preserve it again"
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return found


def put_bytes(settings: Settings, data: bytes) -> StoredBytes:
    """Keep these bytes (a finding's canonical JSON, for instance)."""
    wanted = hashlib.sha256(data).hexdigest()
    target = evidence_path(settings, wanted)
    if target.is_file() and file_digest(target).sha256 == wanted:
        return StoredBytes(wanted, len(data))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".incoming-{secrets.token_hex(8)}"
    try:
        with temporary.open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o400)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return StoredBytes(wanted, len(data))


def remove_bytes(settings: Settings, sha256: str) -> bool:
    """Delete the stored bytes; whether there were any."""
    path = evidence_path(settings, sha256)
    if not path.is_file():
        return False
    path.unlink()
    return True


def _try_link(source: Path, temporary: Path) -> bool:
    try:
        os.link(source, temporary)
    except OSError:  # another file system, or links not allowed: copy instead
        return False
    return True


def _copy(source: Path, temporary: Path) -> None:
    with source.open("rb") as src, temporary.open("xb") as out:
        while chunk := src.read(_CHUNK):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, 0o400)
