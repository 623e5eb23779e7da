"""Random 256-bit hashes for tests (PDQ-shaped: 64 hex digits) and near copies of them."""

from __future__ import annotations

import random


def random_hash(rng: random.Random) -> str:
    """64 random hex digits."""
    return f"{rng.getrandbits(256):064x}"


def flip(value: str, bits: int, rng: random.Random) -> str:
    """`value` (64 hex digits) with exactly `bits` distinct bits flipped."""
    number = int(value, 16)
    for bit in rng.sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"
