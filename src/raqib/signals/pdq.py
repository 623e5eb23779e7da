"""`pdq`: Meta's perceptual hash for images, via the pdqhash bindings.

String form as python-threatexchange: 64 lower-case hex digits, the first pdqhash bit being the
most significant bit of the first digit. Quality below 50 yields no signal.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pdqhash
from numpy.typing import NDArray

from raqib.config import Settings
from raqib.content.image import load_rgb
from raqib.content.kinds import Content, ContentKind
from raqib.signals.base import IndexKind, NoSignal, Signal, SignalType

MIN_QUALITY = 50
PDQ_THRESHOLD = 31
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def bits_to_hex(bits: NDArray[np.int64]) -> str:
    """pdqhash's 256 bits (0/1 array) as threatexchange's 64-hex string."""
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def hash_pixels(rgb: NDArray[np.uint8]) -> tuple[str, tuple[str, ...], int]:
    """PDQ of an RGB array: (hash, the 8 dihedral hashes with the original first, quality)."""
    dihedral, quality = pdqhash.compute_dihedral(rgb)
    hexes = tuple(bits_to_hex(bits) for bits in dihedral)
    return hexes[0], hexes, int(quality)


class PdqSignalType(SignalType):
    name: ClassVar[str] = "pdq"
    content_kinds = frozenset({ContentKind.IMAGE})
    index_kind = IndexKind.HAMMING
    default_threshold = PDQ_THRESHOLD

    def hash(self, content: Content, settings: Settings) -> Signal | NoSignal:
        rgb = load_rgb(content.require_path(), settings)
        value, dihedral, quality = hash_pixels(rgb)
        if quality < MIN_QUALITY:
            return NoSignal(
                self.name, f"PDQ quality {quality} is below {MIN_QUALITY}: image too flat to hash"
            )
        variants = tuple(dict.fromkeys(h for h in dihedral[1:] if h != value))
        return Signal(self.name, value, quality=quality, variants=variants)

    def normalize(self, value: str) -> str:
        text = value.strip().lower()
        if not _HEX64.match(text):
            raise ValueError(f"not a PDQ hash (want 64 hex digits): {value[:80]!r}")
        return text

    def distance(self, a: str, b: str) -> float:
        return float(hamming(a, b))

    def validate_threshold(self, threshold: float) -> float:
        if not 0 <= threshold <= 256 or threshold != int(threshold):
            raise ValueError("pdq: threshold must be a whole number of bits from 0 to 256")
        return threshold
