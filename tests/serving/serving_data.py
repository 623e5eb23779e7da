"""Synthetic signals for the serving tests: random PDQ hashes and near copies, vPDQ frame lists
and MinHash signatures (no media needed)."""

from __future__ import annotations

import random

import numpy as np

from hash_data import flip, random_hash
from raqib.signals.text_minhash import NUM_PERMUTATIONS, encode_signature
from raqib.signals.vpdq import Frame, frames_to_value


def video(rng: random.Random, frames: int = 6) -> list[str]:
    """The PDQ hashes of a synthetic video's frames."""
    return [random_hash(rng) for _ in range(frames)]


def video_value(hashes: list[str], rng: random.Random, bits: int = 0, poor: int = 0) -> str:
    """A vPDQ signal of the frames, each `bits` bits away from `hashes`; the first `poor`
    frames have a PDQ quality too low to count."""
    frames = [
        Frame(flip(h, bits, rng) if bits else h, 20 if second < poor else 100, float(second))
        for second, h in enumerate(hashes)
    ]
    return frames_to_value(frames)


def signature(seed: int) -> np.ndarray:
    gen = np.random.default_rng(seed)
    return gen.integers(0, 2**32, size=NUM_PERMUTATIONS, dtype=np.uint64).astype(np.uint32)


def minhash_value(base: np.ndarray, mismatches: int = 0, seed: int = 0) -> str:
    """A `text_minhash` value differing from `base` at `mismatches` positions."""
    copy = base.copy()
    gen = np.random.default_rng(seed)
    at = gen.choice(NUM_PERMUTATIONS, mismatches, replace=False)
    copy[at] = copy[at] ^ np.uint32(0x5A5A5A5A)
    return encode_signature(copy)
