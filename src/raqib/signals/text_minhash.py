"""`text_minhash`: a MinHash of a text's character shingles, for near-duplicate text matching.

Definition, version 1 (the `v1:` prefix of every value; any change below needs a new version):

1. The text is reduced to `canonical_text` (de-obfuscated, punctuation turned into spaces,
   whitespace collapsed) and read as Unicode code points (a lone surrogate is kept as one).
2. Shingles are the windows of k = 5 consecutive code points (spaces included, so shingles
   keep some word order). Measured on ~230-character neutral Arabic and English paragraphs:
   unrelated paragraphs share Jaccard 0.03 on average (0.06-0.07 at k = 4, 0.12-0.13 at
   k = 3), so LSH candidates stay few, while 3 replaced words still leave Jaccard 0.84 (0.81
   at k = 6, 0.75 at k = 8), inside the 0.8 matching bound: each edit destroys up to k shingles.
3. Each distinct shingle hashes to 32 bits: the five code points c0..c4 are folded as
   h = (((c0*M + c1)*M + c2)*M + c3)*M + c4 mod 2^64 with M = 0x9E3779B97F4A7C15, then
   MurmurHash3's 64-bit finaliser (fmix64) is applied and the high 32 bits kept.
4. 128 permutations of the 32-bit hash space, h_i(x) = (a_i*x + b_i) mod 2^32 with a_i odd
   (so each h_i is a bijection): a_i is the first 4 bytes (little-endian) of
   SHA-256("raqib text_minhash v1 a <i>") with the low bit set, b_i likewise from
   "... b <i>". The signature is min over shingles of h_i, for i = 0..127. The modulus is
   2^32 rather than a prime: shingle hashes are already uniformly mixed by fmix64, and the
   measured estimator error matches the binomial bound sqrt(J(1-J)/128) for both choices,
   while 32-bit arithmetic is twice as fast in numpy.
5. The string form is "v1:" + base64url (no padding) of the 128 values as little-endian
   uint32: 683 characters after the prefix.

The distance between two signatures is 1 - (equal positions / 128), i.e. 1 - the estimated
Jaccard similarity of the shingle sets. Texts with fewer than 20 distinct shingles (about 24
characters) yield no signal: there one edited character already changes a quarter or more of
the shingles, so near-duplicate matching reduces to exact matching, which `text_sha256` does.

The shingle hashing and the permutations are written by hand with numpy (no library offers a
vectorised, versioned MinHash whose values are stable across processes and machines).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.signals.base import IndexKind, NoSignal, Signal, SignalType
from raqib.signals.text_sha256 import MAX_TEXT_CHARS, canonical_for_hashing

NAME = "text_minhash"
VERSION = "v1"
PREFIX = f"{VERSION}:"
SHINGLE_CHARS = 5
NUM_PERMUTATIONS = 128
MIN_SHINGLES = 20
MINHASH_THRESHOLD = 0.2  # distance; matches need an estimated Jaccard of at least 0.8
SIGNATURE_BYTES = 4 * NUM_PERMUTATIONS
ENCODED_CHARS = 683  # base64 of 512 bytes without padding
CHUNK_SHINGLES = 2048  # shingles per (chunk x 128) block: 1 MiB of uint32

_ALPHABET_ERROR = "text_minhash value has characters outside base64url (A-Z a-z 0-9 - _)"
_VERSIONED = re.compile(r"^v\d+:")
_POLY = np.uint64(0x9E3779B97F4A7C15)
_FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT33 = np.uint64(33)


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _seeded_words(label: str) -> NDArray[np.uint32]:
    """128 uint32 constants from SHA-256 of "raqib text_minhash v1 <label> <i>"."""
    words = [
        int.from_bytes(_sha256(f"raqib text_minhash v1 {label} {i}")[:4], "little")
        for i in range(NUM_PERMUTATIONS)
    ]
    return np.array(words, dtype=np.uint32)


PERM_A = _seeded_words("a") | np.uint32(1)
PERM_B = _seeded_words("b")


def high32_of_fmix64(values: NDArray[np.uint64]) -> NDArray[np.uint32]:
    """The high 32 bits of MurmurHash3's 64-bit finaliser, vectorised. fmix64's last step,
    h ^= h >> 33, changes only the low 31 bits, so it is skipped here."""
    h = values ^ (values >> _SHIFT33)
    h *= _FMIX1
    h ^= h >> _SHIFT33
    h *= _FMIX2
    return h.astype("<u8", copy=False).view("<u4")[1::2].astype(np.uint32)


def shingle_hashes(text: str) -> NDArray[np.uint32]:
    """The sorted distinct 32-bit hashes of the k-code-point windows of `text` (step 3)."""
    encoded = text.encode("utf-32-le", "surrogatepass")
    points = np.frombuffer(encoded, dtype="<u4").astype(np.uint64)
    count = points.size - SHINGLE_CHARS + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint32)
    folded = points[:count].copy()
    for offset in range(1, SHINGLE_CHARS):
        folded *= _POLY
        folded += points[offset : offset + count]
    hashes = high32_of_fmix64(folded)
    hashes.sort()
    distinct = np.ones(hashes.size, dtype=bool)
    np.not_equal(hashes[1:], hashes[:-1], out=distinct[1:])
    return hashes[distinct]


def signature(hashes: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """The 128 minima of h_i over the shingle hashes (step 4), in blocks of bounded memory."""
    mins = np.full(NUM_PERMUTATIONS, np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, hashes.size, CHUNK_SHINGLES):
        block = np.multiply.outer(hashes[start : start + CHUNK_SHINGLES], PERM_A)
        block += PERM_B
        np.minimum(mins, block.min(axis=0), out=mins)
    return mins


def encode_signature(values: NDArray[np.uint32]) -> str:
    raw = values.astype("<u4").tobytes()
    return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_signature(value: str) -> NDArray[np.uint32]:
    """The 128 values of a `text_minhash` string; raises ValueError saying what is wrong."""
    return _decode_bodies(_encoded_body(value) + "A", 1).reshape(NUM_PERMUTATIONS)


def decode_signatures(values: Sequence[str]) -> NDArray[np.uint32]:
    """(n, 128) values of n `text_minhash` strings, decoded in one pass; raises ValueError."""
    bodies = [_encoded_body(value) for value in values]
    # Each 683-character body plus one "A" (six zero bits) decodes to 513 bytes whose last
    # byte is padding, so all bodies decode together with the bodies aligned to 4 characters.
    return _decode_bodies("A".join(bodies) + "A", len(bodies))


def _decode_bodies(joined: str, count: int) -> NDArray[np.uint32]:
    if not joined.isascii() or "+" in joined or "/" in joined:
        raise ValueError(_ALPHABET_ERROR)
    try:
        raw = binascii.a2b_base64(joined.replace("-", "+").replace("_", "/"), strict_mode=True)
    except binascii.Error:
        raise ValueError(_ALPHABET_ERROR) from None
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(count, SIGNATURE_BYTES + 1)
    values = np.ascontiguousarray(rows[:, :SIGNATURE_BYTES]).view(np.dtype("<u4"))
    return values.astype(np.uint32, copy=False)


def _encoded_body(value: str) -> str:
    text = value.strip()
    if not text.startswith(PREFIX):
        version = _VERSIONED.match(text)
        if version:
            raise ValueError(
                f"text_minhash version {version.group()[:-1]!r} is not supported "
                f"(this Raqib reads {VERSION})"
            )
        raise ValueError(f"not a text_minhash value (want {PREFIX!r} + base64url): {text[:40]!r}")
    body = text[len(PREFIX) :].removesuffix("=")
    if len(body) != ENCODED_CHARS:
        raise ValueError(
            f"text_minhash value has {len(body)} characters after {PREFIX!r}, "
            f"want {ENCODED_CHARS} (128 uint32 in base64url)"
        )
    return body


def estimated_distance(a: NDArray[np.uint32], b: NDArray[np.uint32]) -> float:
    """1 - the fraction of equal positions: 1 - the estimated Jaccard similarity."""
    return 1.0 - int(np.count_nonzero(a == b)) / NUM_PERMUTATIONS


def minhash_of_text(text: str) -> Signal | NoSignal:
    """The `text_minhash` signal of a raw text (canonicalised here)."""
    hashes = shingle_hashes(canonical_for_hashing(text))
    if hashes.size < MIN_SHINGLES:
        return NoSignal(
            NAME,
            f"canonical text has {hashes.size} distinct {SHINGLE_CHARS}-character shingles, "
            f"fewer than {MIN_SHINGLES}: too short for near-duplicate matching",
        )
    return Signal(NAME, encode_signature(signature(hashes)))


class TextMinhashSignalType(SignalType):
    name: ClassVar[str] = NAME
    content_kinds = frozenset({ContentKind.TEXT})
    index_kind = IndexKind.NEAR_TEXT
    default_threshold = MINHASH_THRESHOLD

    def hash(self, content: Content, settings: Settings) -> Signal | NoSignal:
        text = content.require_text()
        if len(text) > MAX_TEXT_CHARS:  # a book, not a post: assessed, but not hashed
            return NoSignal(self.name, f"text longer than {MAX_TEXT_CHARS:,} characters")
        return minhash_of_text(text)

    def normalize(self, value: str) -> str:
        return encode_signature(decode_signature(value))

    def distance(self, a: str, b: str) -> float:
        return estimated_distance(decode_signature(a), decode_signature(b))

    def validate_threshold(self, threshold: float) -> float:
        if not 0 <= threshold <= 1:
            raise ValueError("text_minhash: threshold must be a distance from 0 to 1")
        return threshold
