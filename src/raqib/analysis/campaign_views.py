"""The campaign report's parts, each computed from the analysis (a dict as `raqib analyse --json`
prints it, possibly from a user's file: every field is checked) and the findings' facts:
activity over time, the share matching known banks, the top clusters, the account network and
the re-spawn chains. Each part holds its chart (Markup) and the figures for the JSON."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from markupsafe import Markup
from numpy.typing import NDArray

from raqib.analysis import charts
from raqib.analysis import untrusted as u
from raqib.analysis.campaign_facts import SAMPLED_CLUSTERS, STATUSES, Facts, Sample
from raqib.analysis.timeline import Buckets, buckets_for

NAMED_SERIES = 8  # clusters or entities drawn by name; the rest are "other"
SHARE_CLUSTERS = 10  # clusters with their own bar in the bank-share chart
SHARE_KINDS = 6  # item kinds (text, image, video...) with their own bar, most common first
SHOWN_ACCOUNTS = 8
NAME_CHARS = 120


@dataclass(frozen=True)
class Activity:
    """Items per time bucket, by cluster (stacked) and by entity (lines)."""

    unit: str
    buckets: list[str]
    by_cluster: dict[str, list[int]]
    by_entity: dict[str, list[int]]
    undated: int
    cluster_chart: Markup
    entity_chart: Markup

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "buckets": self.buckets,
            "by_cluster": self.by_cluster,
            "by_entity": self.by_entity,
            "undated_items": self.undated,
        }


def activity(facts: Facts, cluster_ids: Sequence[str]) -> Activity | None:
    """Activity over time (None when no item has a usable time)."""
    times = facts.array_of("times")
    buckets = buckets_for(times)
    if buckets is None:
        return None
    unit_note = f"items per {buckets.unit}"
    clusters = facts.array_of("clusters").astype(np.int64)
    named = min(NAMED_SERIES, len(cluster_ids))
    groups = np.where(clusters < 0, -1, np.minimum(clusters, named))
    counts = buckets.count_by(times, groups, named + 1)
    by_cluster = {cluster_ids[n]: counts[n].tolist() for n in range(named)}
    if counts[named].any():
        by_cluster["other clusters"] = counts[named].tolist()
    by_entity = _entity_counts(facts, times, buckets)
    labels = buckets.labels()
    cluster_series = charts.series_from(
        list(by_cluster), list(by_cluster.values()), "other clusters"
    )
    entity_series = charts.series_from(list(by_entity), list(by_entity.values()))
    return Activity(
        unit=buckets.unit,
        buckets=labels,
        by_cluster=by_cluster,
        by_entity=by_entity,
        undated=int(np.count_nonzero(buckets.index(times) < 0)),
        cluster_chart=charts.time_chart(
            f"Clustered items over time ({unit_note}, largest clusters)",
            labels,
            cluster_series,
            empty="No dated item is in a cluster.",
        ),
        entity_chart=charts.time_chart(
            f"Items naming an entity over time ({unit_note})",
            labels,
            entity_series,
            stacked=False,
            empty="No dated item names an entity (no bank match or assessed entity).",
        ),
    )


def _entity_counts(
    facts: Facts, times: NDArray[np.float64], buckets: Buckets
) -> dict[str, list[int]]:
    """Counts per bucket of the NAMED_SERIES entities named most often."""
    items = facts.array_of("entity_items").astype(np.int64)
    entity = facts.array_of("entity_of").astype(np.int64)
    if not items.size:
        return {}
    names = list(facts.entities)
    totals = np.bincount(entity, minlength=len(names))
    top = sorted(range(len(names)), key=lambda n: (-int(totals[n]), names[n]))[:NAMED_SERIES]
    rank = np.full(len(names), -1, dtype=np.int64)
    rank[top] = np.arange(len(top))
    counts = buckets.count_by(times[items], rank[entity], len(top))
    return {names[n]: counts[r].tolist() for r, n in enumerate(top)}


# --- matched known banks versus newly assessed -----------------------------------------------


@dataclass(frozen=True)
class BankShare:
    """Items by status (STATUSES) for all items, each kind and the largest clusters."""

    rows: list[tuple[str, list[int]]]
    chart: Markup

    def as_dict(self) -> dict[str, Any]:
        keys = ("matched_known_bank", "flagged_by_assessment_only", "not_flagged")
        return {
            "rows": [{"name": name, **dict(zip(keys, v, strict=True))} for name, v in self.rows]
        }


def bank_share(facts: Facts, cluster_ids: Sequence[str]) -> BankShare:
    statuses = facts.array_of("statuses").astype(np.int64)
    kinds = facts.array_of("kind_of").astype(np.int64)
    clusters = facts.array_of("clusters").astype(np.int64)

    def counts(selected: Any) -> list[int]:
        found = np.bincount(statuses[selected], minlength=len(STATUSES))[: len(STATUSES)]
        return [int(n) for n in found]

    rows = [("All items", counts(np.ones(statuses.size, dtype=bool)))]
    per_kind = np.bincount(kinds, minlength=len(facts.kinds))
    kind_names = sorted(facts.kinds, key=lambda k: (-int(per_kind[facts.kinds[k]]), k))
    rows += [(f"kind: {k}", counts(kinds == facts.kinds[k])) for k in kind_names[:SHARE_KINDS]]
    for number, cluster_id in enumerate(cluster_ids[:SHARE_CLUSTERS]):
        rows.append((f"cluster {cluster_id}", counts(clusters == number)))
    series = charts.series_from(
        list(STATUSES), [[row[1][s] for row in rows] for s in range(len(STATUSES))]
    )
    series[-1] = charts.Series(series[-1].name, series[-1].values, charts.NONE_COLOUR)
    chart = charts.stacked_bar_chart(
        "Share of items matching known banks versus newly assessed",
        [name for name, _values in rows],
        series,
        percent=True,
        empty="No items.",
    )
    return BankShare(rows, chart)


# --- clusters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterView:
    id: str
    size: int
    account_count: int
    kinds: list[str]
    first: str
    last: str
    entities: list[str]
    accounts: list[str]
    samples: list[Sample]

    def as_dict(self) -> dict[str, Any]:
        record = {k: v for k, v in vars(self).items() if k != "samples"}
        return record | {"samples": [s.as_dict() for s in self.samples]}


def cluster_views(clusters: Sequence[Mapping[str, Any]], facts: Facts | None) -> list[ClusterView]:
    """The largest SAMPLED_CLUSTERS clusters, with samples when the findings were read."""
    views = []
    for number, record in enumerate(clusters[:SAMPLED_CLUSTERS]):
        views.append(
            ClusterView(
                id=u.text(record.get("id"), 40) or f"#{number + 1}",
                size=u.integer(record.get("size")),
                account_count=u.integer(record.get("account_count")),
                kinds=u.texts(record.get("kinds"), 10, 20),
                first=u.text(record.get("first"), 40),
                last=u.text(record.get("last"), 40),
                entities=u.texts(record.get("entities"), 10, NAME_CHARS),
                accounts=u.texts(record.get("accounts"), SHOWN_ACCOUNTS, NAME_CHARS),
                samples=facts.samples(number) if facts is not None else [],
            )
        )
    return views


# --- re-spawn chains -------------------------------------------------------------------------

MAX_LINKS = 5000  # re-spawn links read from an analysis
MAX_CHAINS = 100
EVIDENCE_ROWS = 20
EVIDENCE_ORDER = (
    "shared_count", "content_jaccard", "handle_similarity", "name_similarity",
    "rhythm_similarity", "gap_days", "from_last", "to_first", "from_posts", "to_posts",
    "from_name", "to_name", "shared_clusters",
)  # fmt: skip


@dataclass(frozen=True)
class Link:
    """One re-spawn candidate: `target` continued `source`, with a score and its evidence
    (names and values checked and cut: numbers, short strings, lists of them)."""

    source: str
    target: str
    score: float
    evidence: dict[str, Any]

    def rows(self) -> list[tuple[str, str]]:
        """The evidence as (name, shown value) rows, known names first."""
        rows = []
        for key, value in self.evidence.items():
            if isinstance(value, list):
                shown = ", ".join(str(v) for v in value[:10]) + (" …" if len(value) > 10 else "")
            else:
                shown = str(value)
            rows.append((key, shown))
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "score": self.score,
            "evidence": self.evidence,
        }


def respawn_links(records: Sequence[Mapping[str, Any]]) -> list[Link]:
    links = []
    for record in records[:MAX_LINKS]:
        source = u.text(record.get("from"), NAME_CHARS)
        target = u.text(record.get("to"), NAME_CHARS)
        if source and target and source != target:
            score = u.number(record.get("score")) or 0.0
            links.append(Link(source, target, round(score, 4), _evidence(record.get("evidence"))))
    return links


def _evidence(value: object) -> dict[str, Any]:
    """The evidence's scalar and list values (known names first), each checked and cut."""
    evidence = u.mapping(value)
    keys = [k for k in EVIDENCE_ORDER if k in evidence]
    keys += sorted(str(k) for k in evidence if k not in EVIDENCE_ORDER)
    kept: dict[str, Any] = {}
    for key in keys[:EVIDENCE_ROWS]:
        raw = evidence[key]
        if isinstance(raw, list | tuple):
            kept[key[:40]] = [_scalar(v) for v in raw[:50] if _scalar(v) not in (None, "")]
        elif (shown := _scalar(raw)) not in (None, ""):
            kept[key[:40]] = shown
    return kept


def _scalar(value: object) -> float | str | None:
    number = u.number(value)
    return number if number is not None else u.text(value, NAME_CHARS) or None


def respawn_chains(links: Sequence[Link]) -> list[list[Link]]:
    """Chains A -> B -> C ...: from each account that continues no one, follow the links
    (highest score first) as far as they go, never visiting an account twice; a link left
    over (part of a loop) is a chain of its own."""
    best: dict[str, Link] = {}
    for link in links:  # one predecessor per account: its best
        if link.target not in best or link.score > best[link.target].score:
            best[link.target] = link
    following: dict[str, list[Link]] = defaultdict(list)
    for link in sorted(best.values(), key=lambda k: (-k.score, k.target)):
        following[link.source].append(link)
    roots = sorted(set(following) - set(best))
    chains: list[list[Link]] = []
    for root in roots:
        stack: list[list[Link]] = [[link] for link in reversed(following[root])]
        while stack and len(chains) < MAX_CHAINS:
            path = stack.pop()
            seen = {root, *(link.target for link in path)}
            onward = [k for k in following.get(path[-1].target, []) if k.target not in seen]
            if not onward:
                chains.append(path)
            stack.extend([*path, k] for k in reversed(onward))
    used = {id(link) for chain in chains for link in chain}
    chains += [[link] for link in best.values() if id(link) not in used]
    return chains[:MAX_CHAINS]
