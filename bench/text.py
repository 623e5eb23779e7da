"""Text assessment throughput: synthetic ~280-character posts against 10,000 and 100,000
indicator patterns, on one core.

Prints posts/s for the full assessment, the cost of each stage, how the indicator stage's cost
changes from 10k to 100k patterns (target: flat), and, as the baseline measured in the same run,
a naive matcher that searches for every normalised pattern with `str.find` (on a small sample of
posts, since it is slow).

    .venv/bin/python bench/text.py                 # 100,000 posts
    .venv/bin/python bench/text.py --posts 10000   # quicker
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Sequence

from raqib.synthetic_text import make_posts
from raqib.text.assess import TextAnalyzer
from raqib.text.crypto import extract_addresses
from raqib.text.cues import count_cues
from raqib.text.indicator_records import Indicator
from raqib.text.indicators import IndicatorMatcher
from raqib.text.language import identify
from raqib.text.normalize import normalize, plain_form
from raqib.text.starter import load_starter_indicators

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
NAIVE_SAMPLE = 200


def synthetic_indicators(count: int, seed: int) -> list[Indicator]:
    """The starter list plus generated names shaped like a sanctions list's: Arabic names of
    two to four words of random letters, and Latin names with a placeholder word."""
    rng = random.Random(seed)
    indicators = list(load_starter_indicators())
    while len(indicators) < count:
        if rng.random() < 0.6:
            words = [
                "".join(rng.choices(ARABIC_LETTERS, k=rng.randint(3, 7)))
                for _ in range(rng.randint(2, 4))
            ]
        else:
            words = [
                "".join(rng.choices(LATIN_LETTERS, k=rng.randint(4, 9)))
                for _ in range(rng.randint(1, 2))
            ]
            words.append(f"placeholder{len(indicators)}")
        indicators.append(
            Indicator(
                name=" ".join(words),
                kind="entity",
                entity=f"PLACEHOLDER ENTITY {len(indicators) % 997}",
                source="bench: generated",
                weight=0.5,
            )
        )
    return indicators


def rate(function: Callable[[str], object], posts: Sequence[str]) -> float:
    """Items per second of `function` over `posts` (one pass, after a short warm-up)."""
    for post in posts[:200]:
        function(post)
    start = time.perf_counter()
    for post in posts:
        function(post)
    return len(posts) / (time.perf_counter() - start)


def naive_find(patterns: list[str]) -> Callable[[str], object]:
    def search(post: str) -> int:
        text = plain_form(post)
        return sum(1 for p in patterns if p in text)

    return search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    _pin_one_core()
    posts = make_posts(args.posts, seed=args.seed)
    mean_length = sum(len(p) for p in posts) / len(posts)
    print(f"{len(posts):,} synthetic posts, mean {mean_length:.0f} characters; one core")

    print("\nstage costs (posts/s):")
    print(f"  normalise (both views)  {rate(normalize, posts):>10,.0f}")
    print(f"  language + script       {rate(identify, posts):>10,.0f}")
    print(f"  crypto addresses        {rate(extract_addresses, posts):>10,.0f}")
    print(f"  cue words               {rate(lambda p: count_cues(plain_form(p)), posts):>10,.0f}")

    indicator_rates = {}
    for size in (10_000, 100_000):
        indicators = synthetic_indicators(size, args.seed)
        started = time.perf_counter()
        analyzer = TextAnalyzer(indicators)
        build = time.perf_counter() - started
        normalized = [normalize(p) for p in posts[: min(len(posts), 20_000)]]
        matcher: IndicatorMatcher = analyzer.matcher
        find_rate = rate(matcher.find, normalized)  # type: ignore[arg-type]
        full_rate = rate(analyzer.assess, posts)
        indicator_rates[size] = find_rate
        print(f"\n{size:,} patterns (build {build:.1f} s)")
        print(f"  indicator stage         {find_rate:>10,.0f} posts/s")
        print(f"  full assessment         {full_rate:>10,.0f} posts/s  (target >= 2,000)")
        sample = posts[:NAIVE_SAMPLE]
        patterns = sorted({plain_form(i.name) for i in indicators})
        naive_rate = rate(naive_find(patterns), sample)
        print(f"  baseline str.find loop  {naive_rate:>10,.1f} posts/s  ({NAIVE_SAMPLE} posts)")
        print(f"  indicator stage vs baseline: x{find_rate / naive_rate:,.0f}")
    flat = indicator_rates[10_000] / indicator_rates[100_000]
    print(f"\nindicator stage cost 100k vs 10k patterns: x{flat:.2f} (1.00 = flat)")


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


if __name__ == "__main__":
    main()
