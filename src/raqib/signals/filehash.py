"""Streamed cryptographic file digests shared by the `md5` and `sha256` signal types."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import ClassVar

from raqib.config import Settings
from raqib.content.kinds import FILE_BACKED, Content
from raqib.errors import InputError
from raqib.signals.base import IndexKind, NoSignal, Signal, SignalType

CHUNK_BYTES = 1 << 20


def file_digests(path: Path, algorithms: tuple[str, ...]) -> dict[str, str]:
    """Hex digests of a file, read once in 1 MiB chunks (constant memory at any size)."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                for hasher in hashers.values():
                    hasher.update(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


class DigestSignalType(SignalType):
    """Base of the exact file-digest signal types; `name` is the hashlib algorithm."""

    hex_length: ClassVar[int]
    content_kinds = FILE_BACKED
    index_kind = IndexKind.EXACT
    default_threshold = 0

    def hash(self, content: Content, settings: Settings) -> Signal | NoSignal:
        digest = content.digest(self.name)
        if digest is None:
            digest = file_digests(content.require_path(), (self.name,))[self.name]
        return Signal(self.name, digest)

    def normalize(self, value: str) -> str:
        text = value.strip().lower()
        if len(text) != self.hex_length or not all(c in "0123456789abcdef" for c in text):
            raise ValueError(
                f"not an {self.name} digest (want {self.hex_length} hex digits): {value[:80]!r}"
            )
        return text
