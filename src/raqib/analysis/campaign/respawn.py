"""Re-spawn detection: an account B that first posts after account A last posted, and carries on
A's content.

Candidates are pairs of accounts that share at least `min_shared_clusters` near-duplicate
clusters (clusters posted by more than `max_cluster_accounts` accounts are too popular to
suggest pairs, but still count in the Jaccard figure), ordered in time: B's first post is no
earlier than A's last (less `overlap_hours`) and at most `max_gap_days` after it. Each is scored
in [0, 1] as a weighted sum of four figures, each in [0, 1]:

- content (0.40): Jaccard similarity of the two accounts' sets of clusters;
- names (0.25): the larger of handle and display-name similarity (`names.name_similarity`);
- rhythm (0.15): cosine similarity of the hour-of-day (UTC) histograms of their posts; 0.5
  (no evidence either way) when either has fewer than MIN_RHYTHM_POSTS posts;
- gap (0.20): 1 when B starts as A stops, halving every GAP_HALF_LIFE_DAYS days of silence.

A candidate whose content figure is below `min_content` is dropped whatever its score: names,
rhythm and timing alone do not make a re-spawn. Each account keeps only its best-scoring
predecessor, so a chain A -> B -> C is reported as its
links (A -> C scores lower than B -> C: less content in common and a longer gap).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from raqib.analysis.campaign.clusters import Cluster
from raqib.analysis.campaign.load import ItemTable, iso_time
from raqib.analysis.campaign.names import name_similarity

WEIGHTS = {"content": 0.40, "names": 0.25, "rhythm": 0.15, "gap": 0.20}
GAP_HALF_LIFE_DAYS = 7.0
MIN_RHYTHM_POSTS = 3
NEUTRAL_RHYTHM = 0.5
LISTED_SHARED = 50
DAY = 86_400.0


@dataclass(frozen=True)
class RespawnOptions:
    min_score: float = 0.5
    min_shared_clusters: int = 2
    # a re-spawn continues the old account's content: at least this Jaccard of their clusters
    # (similar names, rhythm and a short gap alone reached ~0.6 on unrelated accounts)
    min_content: float = 0.25
    max_gap_days: float = 90.0
    overlap_hours: float = 0.0
    max_cluster_accounts: int = 100


@dataclass(frozen=True)
class Profiles:
    """Per account: first and last post time (NaN if none is timed), timed posts, and the
    hour-of-day histogram of those posts."""

    first: NDArray[np.float64]
    last: NDArray[np.float64]
    posts: NDArray[np.int64]
    hours: NDArray[np.float64]  # (accounts, 24)

    @classmethod
    def of(cls, table: ItemTable) -> Profiles:
        count = len(table.accounts)
        timed = (table.authors >= 0) & ~np.isnan(table.times)
        accounts, times = table.authors[timed], table.times[timed]
        first = np.full(count, np.inf)
        last = np.full(count, -np.inf)
        np.minimum.at(first, accounts, times)
        np.maximum.at(last, accounts, times)
        hours = np.zeros((count, 24))
        np.add.at(hours, (accounts, (times // 3600 % 24).astype(np.int64)), 1.0)
        first[np.isinf(first)] = np.nan
        last[np.isinf(last)] = np.nan
        return cls(first, last, np.bincount(accounts, minlength=count), hours)


@dataclass(frozen=True)
class Respawn:
    """One candidate: account `source` went quiet and account `target` continued it."""

    source: int
    target: int
    score: float
    evidence: dict[str, Any]


def find_respawns(
    table: ItemTable, clusters: list[Cluster], options: RespawnOptions | None = None
) -> list[Respawn]:
    """The best-scoring predecessor of each account that has one scoring >= min_score, in the
    order the successors appeared."""
    options = options or RespawnOptions()
    profiles = Profiles.of(table)
    cluster_sets = _cluster_sets(clusters)
    best: dict[int, Respawn] = {}
    handles = table.accounts.handles
    for (a, b), _shared in sorted(_shared_counts(clusters, options).items()):
        ordered = _in_time_order(profiles, a, b, options)
        if ordered is None:
            continue
        found = _score(table, profiles, clusters, cluster_sets, *ordered)
        held = best.get(found.target)
        if found.evidence["content_jaccard"] < options.min_content:
            continue
        if found.score >= options.min_score and (held is None or _better(found, held, handles)):
            best[found.target] = found
    return sorted(
        best.values(),
        key=lambda r: (profiles.first[r.target], -r.score, handles[r.target].casefold()),
    )


def _better(found: Respawn, held: Respawn, handles: list[str]) -> bool:
    """Higher score; on a tie, the handle first in order (whatever the reading order)."""
    if found.score != held.score:
        return found.score > held.score
    return handles[found.source].casefold() < handles[held.source].casefold()


def _cluster_sets(clusters: list[Cluster]) -> dict[int, set[int]]:
    sets: dict[int, set[int]] = {}
    for number, cluster in enumerate(clusters):
        for account in cluster.accounts.tolist():
            sets.setdefault(account, set()).add(number)
    return sets


def _shared_counts(clusters: list[Cluster], options: RespawnOptions) -> Counter[tuple[int, int]]:
    """Pairs of accounts (a < b) sharing at least min_shared_clusters clusters of at most
    max_cluster_accounts accounts, with how many they share."""
    shared: Counter[tuple[int, int]] = Counter()
    for cluster in clusters:
        if 2 <= cluster.accounts.size <= options.max_cluster_accounts:
            shared.update(combinations(cluster.accounts.tolist(), 2))
    return Counter({p: n for p, n in shared.items() if n >= options.min_shared_clusters})


def _in_time_order(
    profiles: Profiles, a: int, b: int, options: RespawnOptions
) -> tuple[int, int] | None:
    """(earlier, later) when one account starts after the other stops, within the limits."""
    overlap = options.overlap_hours * 3600
    for source, target in ((a, b), (b, a)):
        gap = profiles.first[target] - profiles.last[source]
        if -overlap <= gap <= options.max_gap_days * DAY:  # False for NaN
            return source, target
    return None


def _score(
    table: ItemTable,
    profiles: Profiles,
    clusters: list[Cluster],
    cluster_sets: dict[int, set[int]],
    source: int,
    target: int,
) -> Respawn:
    mine, theirs = cluster_sets[source], cluster_sets[target]
    common = sorted(mine & theirs)
    content = len(common) / len(mine | theirs)
    handles, names = table.accounts.handles, table.accounts.names
    handle = name_similarity(handles[source], handles[target]) or 0.0
    display = name_similarity(names.get(source), names.get(target))
    rhythm = _rhythm(profiles, source, target)
    gap_days = float(profiles.first[target] - profiles.last[source]) / DAY
    figures = {
        "content": content,
        "names": max(handle, display or 0.0),
        "rhythm": NEUTRAL_RHYTHM if rhythm is None else rhythm,
        "gap": 0.5 ** (max(gap_days, 0.0) / GAP_HALF_LIFE_DAYS),
    }
    score = sum(WEIGHTS[k] * v for k, v in figures.items())
    evidence = {
        "shared_clusters": [clusters[n].id for n in common[:LISTED_SHARED]],
        "shared_count": len(common),
        "content_jaccard": round(content, 4),
        "handle_similarity": round(handle, 4),
        "name_similarity": _rounded(display),
        "rhythm_similarity": _rounded(rhythm),
        "gap_days": round(gap_days, 3),
        "from_last": iso_time(float(profiles.last[source])),
        "to_first": iso_time(float(profiles.first[target])),
        "from_posts": int(profiles.posts[source]),
        "to_posts": int(profiles.posts[target]),
        "from_name": names.get(source),
        "to_name": names.get(target),
    }
    return Respawn(source, target, round(min(max(score, 0.0), 1.0), 4), evidence)


def _rhythm(profiles: Profiles, a: int, b: int) -> float | None:
    if min(profiles.posts[a], profiles.posts[b]) < MIN_RHYTHM_POSTS:
        return None
    x, y = profiles.hours[a], profiles.hours[b]
    return float(x @ y / math.sqrt(float(x @ x) * float(y @ y)))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def respawn_records(respawns: list[Respawn], table: ItemTable) -> list[dict[str, Any]]:
    """The JSON contract: {"from": handle, "to": handle, "score", "evidence"}."""
    handles = table.accounts.handles
    return [
        {
            "from": handles[r.source],
            "to": handles[r.target],
            "score": r.score,
            "evidence": r.evidence,
        }
        for r in respawns
    ]


def chains(respawns: list[Respawn], table: ItemTable) -> list[list[str]]:
    """Each path of re-spawn links from an account with no predecessor to one with no
    successor, as handles: [A, B, C] for A -> B -> C."""
    successors: dict[int, list[int]] = {}
    for r in sorted(respawns, key=lambda r: -r.score):
        successors.setdefault(r.source, []).append(r.target)
    targets = {r.target for r in respawns}
    paths: list[list[int]] = []
    for root in sorted(successors.keys() - targets):
        stack = [[root]]
        while stack:  # depth first, without recursion: a chain may be long
            path = stack.pop()
            following = [n for n in successors.get(path[-1], []) if n not in path]
            if not following:
                paths.append(path)
            stack.extend([*path, account] for account in reversed(following))
    handles = table.accounts.handles
    return [[handles[account] for account in path] for path in paths]
