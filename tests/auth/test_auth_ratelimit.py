"""The token-bucket rate limiter: a burst, then refusals with a retry time, then refill."""

from __future__ import annotations

import math
import threading
import time

import pytest

from raqib.auth.ratelimit import RateLimiter


def test_burst_then_refuse_then_refill() -> None:
    limiter = RateLimiter()
    assert all(limiter.allow("key:1", 20)[0] for _ in range(20))
    allowed, retry_after = limiter.allow("key:1", 20)
    assert not allowed and 0 < retry_after <= 1 / 20 + 1e-9
    time.sleep(retry_after + 0.01)
    assert limiter.allow("key:1", 20) == (True, 0.0)


def test_callers_have_separate_buckets() -> None:
    limiter = RateLimiter()
    assert limiter.allow("key:1", 1)[0]
    assert not limiter.allow("key:1", 1)[0]
    assert limiter.allow("key:2", 1)[0]
    limiter.reset("key:1")
    assert limiter.allow("key:1", 1)[0]


def test_slow_rate_holds_one_request() -> None:
    limiter = RateLimiter()
    assert limiter.allow("user:alice", 0.5) == (True, 0.0)
    allowed, retry_after = limiter.allow("user:alice", 0.5)
    assert not allowed and 1.9 < retry_after <= 2.0


def test_bad_and_unlimited_rates() -> None:
    limiter = RateLimiter()
    with pytest.raises(ValueError, match="above 0"):
        limiter.allow("key:1", 0)
    assert all(limiter.allow("key:1", math.inf)[0] for _ in range(1000))


def test_threads_share_one_bucket_exactly() -> None:
    limiter, allowed, lock = RateLimiter(), [0], threading.Lock()
    rate = 50.0

    def hammer() -> None:
        count = sum(limiter.allow("key:9", rate)[0] for _ in range(200))
        with lock:
            allowed[0] += count

    started = time.monotonic()
    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert 50 <= allowed[0] <= 50 + math.ceil(elapsed * rate) + 1


def test_many_callers_are_pruned() -> None:
    limiter = RateLimiter(max_keys=10)
    for n in range(25):
        assert limiter.allow(f"key:{n}", 5)[0]
    assert len(limiter) <= 10
