"""Per-caller rate limits: one token bucket per key (an API key's or user's actor name).

Hand-written on purpose: a token bucket is a dozen lines, and the libraries we looked at either
need a shared store (Redis) or are framework middleware; this one is in-process, dependency-free
and checked by its own tests. Limits are per process: run N service processes and a caller can
reach N times its rate.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float  # time.monotonic() of the last refill
    rate: float  # the rate of the last request, to tell when the bucket is full again
    capacity: float  # the bucket's size at the last request


class RateLimiter:
    """Token buckets: `rate` tokens per second flow into a bucket holding at most
    `max(1, rate)`; each request takes one. A caller not seen before starts with a full bucket,
    so it may send a burst of up to `max(1, rate)` requests at once. Thread-safe."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys  # beyond this many callers, buckets that are full are dropped
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, rate: float, burst: float | None = None) -> tuple[bool, float]:
        """(whether the request may go ahead, seconds until it would be allowed; 0.0 if
        allowed). `rate` is requests/s, above 0; math.inf lets everything through. `burst`:
        the bucket's size (default max(1, rate))."""
        if not rate > 0:
            raise ValueError(f"a rate limit must be above 0 requests/s, got {rate}")
        if math.isinf(rate):
            return True, 0.0
        capacity = max(1.0, rate if burst is None else burst)
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._prune(now)
                bucket = self._buckets[key] = _Bucket(capacity, now, rate, capacity)
            else:
                bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
                bucket.updated, bucket.rate, bucket.capacity = now, rate, capacity
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True, 0.0
            return False, (1.0 - bucket.tokens) / rate

    def reset(self, key: str) -> None:
        """Forget a caller's bucket (its next request starts full)."""
        with self._lock:
            self._buckets.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def _prune(self, now: float) -> None:
        """Drop buckets that would be full again by now (forgetting them changes nothing for
        their callers); if that is not enough, drop the least recently used half."""
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.updated) * b.rate >= b.capacity
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            by_age = sorted(self._buckets, key=lambda k: self._buckets[k].updated)
            for key in by_age[: len(by_age) // 2 + 1]:
                del self._buckets[key]
