"""The signal interface: every signal type is one class registered by its unique name.

A signal type says which content kinds it hashes, turns content into a `Signal` (or a
`NoSignal` with the reason), parses and formats the python-threatexchange string form, measures
the distance between two signals and names the kind of index that serves it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind


class IndexKind(StrEnum):
    """Which matching structure serves a signal type (see raqib.index)."""

    EXACT = "exact"  # equality on the canonical string
    HAMMING = "hamming"  # 256-bit binary hashes, Hamming distance (PDQ)
    VIDEO = "video"  # frame lists matched frame by frame (vPDQ)
    NEAR_TEXT = "near_text"  # MinHash / LSH (text, later issue)


@dataclass(frozen=True)
class Signal:
    """A signal value in its canonical string form (what follows `<signal_type> ` in a list).

    `variants` are query-only alternates of the same content, e.g. the PDQ hashes of the 8
    rotations and mirrors of an image; they are never stored in a bank.
    """

    signal_type: str
    value: str
    quality: int | None = None
    variants: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.signal_type} {self.value}"


@dataclass(frozen=True)
class NoSignal:
    """Content that yields no signal of a type, and why (e.g. PDQ quality below 50)."""

    signal_type: str
    reason: str


class SignalType(ABC):
    """One signal type. Subclasses are stateless; the registry holds one instance of each."""

    name: ClassVar[str]
    # python-threatexchange names accepted on import (e.g. "video_md5" for md5).
    aliases: ClassVar[tuple[str, ...]] = ()
    content_kinds: ClassVar[frozenset[ContentKind]]
    index_kind: ClassVar[IndexKind]
    # Largest distance that still counts as a match; 0 for exact types.
    default_threshold: ClassVar[float] = 0

    @abstractmethod
    def hash(self, content: Content, settings: Settings) -> Signal | NoSignal:
        """Hash content of one of `content_kinds`. Raises InputError for unreadable content."""

    @abstractmethod
    def normalize(self, value: str) -> str:
        """Canonical form of a signal string; raises ValueError saying what is wrong."""

    def parse(self, value: str) -> Signal:
        return Signal(self.name, self.normalize(value))

    def format(self, signal: Signal) -> str:
        return signal.value

    def distance(self, a: str, b: str) -> float:
        """Distance between two canonical values; exact types answer 0 or 1."""
        return 0.0 if a == b else 1.0

    def validate_threshold(self, threshold: float) -> float:
        if threshold < 0:
            raise ValueError(f"{self.name}: threshold must be >= 0")
        return threshold
