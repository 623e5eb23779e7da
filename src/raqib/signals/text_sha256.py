"""`text_sha256`: SHA-256 of a text's canonical form, so obfuscated copies of a text match.

The value is the lower-case hex SHA-256 of `canonical_text(text)` encoded as UTF-8: diacritics,
tatweel, zero-width characters, spaced-out letters, punctuation and runs of whitespace do not
change it. Canonical texts shorter than 8 characters yield no signal: such short strings recur
in unrelated posts, so an exact match on them says nothing about the content.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import ClassVar

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.errors import InputError
from raqib.signals.base import IndexKind, NoSignal, Signal, SignalType

NAME = "text_sha256"
MIN_CANONICAL_CHARS = 8
MAX_TEXT_CHARS = 1_000_000  # longer texts are refused (InputError) by both text signal types
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def canonical_for_hashing(text: str) -> str:
    """`canonical_text` of a text to hash; raises InputError over MAX_TEXT_CHARS. The last few
    results are kept, as both text signal types hash each text and canonicalising dominates."""
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"text has {len(text):,} characters, more than {MAX_TEXT_CHARS:,}")
    return _canonical(text)


@lru_cache(maxsize=4)
def _canonical(text: str) -> str:
    # Imported on first use: its tables take ~0.1-0.3 s to build, which commands that hash
    # only images or videos should not pay when they import the signal registry.
    from raqib.text.normalize import canonical_text

    return canonical_text(text)


def sha256_of_text(text: str) -> Signal | NoSignal:
    """The `text_sha256` signal of a raw text (canonicalised here)."""
    canonical = canonical_for_hashing(text)
    if len(canonical) < MIN_CANONICAL_CHARS:
        return NoSignal(
            NAME,
            f"canonical text has {len(canonical)} characters, fewer than {MIN_CANONICAL_CHARS}: "
            "too short to be a useful exact signal",
        )
    return Signal(NAME, hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest())


class TextSha256SignalType(SignalType):
    name: ClassVar[str] = NAME
    content_kinds = frozenset({ContentKind.TEXT})
    index_kind = IndexKind.EXACT
    default_threshold = 0

    def hash(self, content: Content, settings: Settings) -> Signal | NoSignal:
        text = content.require_text()
        if len(text) > MAX_TEXT_CHARS:  # a book, not a post: assessed, but not hashed
            return NoSignal(self.name, f"text longer than {MAX_TEXT_CHARS:,} characters")
        return sha256_of_text(text)

    def normalize(self, value: str) -> str:
        text = value.strip().lower()
        if not _HEX64.match(text):
            raise ValueError(f"not a text_sha256 digest (want 64 hex digits): {value[:80]!r}")
        return text
