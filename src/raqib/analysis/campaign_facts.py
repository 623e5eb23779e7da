"""What the campaign report needs from each finding, read in one pass after the analysis: the
item's time, its cluster, whether it matched a known bank or was flagged by the assessment, the
entities it names, and for the largest clusters a few samples.

The facts are kept in flat arrays (a few bytes per item), not as findings, so a report over a
million findings stays small; samples are kept only for the clusters the report shows.
"""

from __future__ import annotations

import heapq
import math
import re
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from raqib.analysis import untrusted as u
from raqib.analysis.timeline import parse_time

SAMPLED_CLUSTERS = 20  # the largest clusters get samples
SAMPLES_PER_CLUSTER = 3
SAMPLE_CHARS = 280  # characters of a post's text shown
FIELD_CHARS = 120
ENTITIES_PER_ITEM = 10
ID_CHARS = 200  # as the analysis cuts item ids
MAX_LISTED_IDS = 5_000_000  # item ids read from an analysis file's clusters, in all
STATUSES = ("matched a known bank", "flagged by assessment only", "not flagged")
MATCHED, FLAGGED, NOT_FLAGGED = 0, 1, 2
FLAGGING = frozenset({"review", "remove", "preserve"})
TEXT_KINDS = frozenset({"text", "page"})
_HEX = re.compile(r"[0-9a-fA-F]{8,64}")


@dataclass(frozen=True)
class MediaBox:
    """Stands for media that is never shown: its kind and the start of its sha256."""

    kind: str
    sha256_prefix: str


@dataclass(frozen=True)
class Sample:
    """One item of a cluster as the report shows it: metadata, a text excerpt or a media box."""

    item: str
    author: str
    author_name: str
    time: str
    platform: str
    kind: str
    text: str
    clipped: bool
    media: MediaBox | None

    def as_dict(self) -> dict[str, Any]:
        media = None if self.media is None else vars(self.media).copy()
        return {
            "item": self.item,
            "author": self.author,
            "author_name": self.author_name,
            "time": self.time,
            "platform": self.platform,
            "kind": self.kind,
            "text": self.text,
            "text_clipped": self.clipped,
            "media": media,
        }


@dataclass
class Membership:
    """Which cluster (an index into the analysis's clusters, largest first) each item is in:
    by reading position when the analysis ran over the same findings here, else by item id
    (an analysis file lists at most 1,000 item ids per cluster)."""

    by_position: NDArray[np.int32] | None = None
    by_id: dict[str, int] = field(default_factory=dict)

    def of(self, position: int, item_id: str) -> int:
        if self.by_position is not None:
            inside = 0 <= position < self.by_position.size
            return int(self.by_position[position]) if inside else -1
        return self.by_id.get(item_id, -1)

    @classmethod
    def from_clusters(cls, item_count: int, clusters: Sequence[NDArray[np.int32]]) -> Membership:
        """From the clusters' item positions (the analysis's own clusters)."""
        found = np.full(item_count, -1, dtype=np.int32)
        for number, items in enumerate(clusters):
            found[items] = number
        return cls(by_position=found)

    @classmethod
    def from_records(cls, clusters: Sequence[Mapping[str, Any]]) -> Membership:
        """From the clusters' "items" lists of an analysis JSON."""
        by_id: dict[str, int] = {}
        for number, cluster in enumerate(clusters):
            if len(by_id) >= MAX_LISTED_IDS:
                break
            for item in u.texts(cluster.get("items"), chars=ID_CHARS):
                by_id.setdefault(item, number)
        return cls(by_id=by_id)


@dataclass
class Facts:
    """Per item (in reading order): time (epoch seconds, NaN unknown), cluster (-1 none),
    status (MATCHED / FLAGGED / NOT_FLAGGED) and kind (index into `kinds`); entity mentions
    as (item, entity) pairs; samples of the largest clusters."""

    times: array[float] = field(default_factory=lambda: array("d"))
    clusters: array[int] = field(default_factory=lambda: array("i"))
    statuses: array[int] = field(default_factory=lambda: array("b"))
    kind_of: array[int] = field(default_factory=lambda: array("i"))
    kinds: dict[str, int] = field(default_factory=dict)
    entity_items: array[int] = field(default_factory=lambda: array("i"))
    entity_of: array[int] = field(default_factory=lambda: array("i"))
    entities: dict[str, int] = field(default_factory=dict)
    _samples: dict[int, list[tuple[float, int, Sample]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.times)

    def array_of(self, name: str) -> NDArray[Any]:
        """One of the columns as a numpy array (times, clusters, statuses, kind_of, ...)."""
        return np.asarray(getattr(self, name))

    def samples(self, cluster: int) -> list[Sample]:
        """The cluster's earliest samples (undated ones last)."""
        kept = sorted(self._samples.get(cluster, []), key=lambda s: (-s[0], -s[1]))
        return [sample for _time, _order, sample in kept]

    def add(self, position: int, finding: Mapping[str, Any], membership: Membership) -> None:
        item = u.mapping(finding.get("item"))
        when = parse_time(item.get("time"))
        cluster = membership.of(position, item_id(item, position))
        kind = u.text(item.get("kind"), 20) or "unknown"
        self.times.append(when)
        self.clusters.append(cluster)
        self.statuses.append(status(finding))
        self.kind_of.append(self.kinds.setdefault(kind, len(self.kinds)))
        for entity in item_entities(finding):
            self.entity_items.append(position)
            self.entity_of.append(self.entities.setdefault(entity, len(self.entities)))
        if 0 <= cluster < SAMPLED_CLUSTERS:
            self._keep_sample(cluster, when, position, finding)

    def _keep_sample(
        self, cluster: int, when: float, position: int, finding: Mapping[str, Any]
    ) -> None:
        """Keep the SAMPLES_PER_CLUSTER earliest items (a max-heap on time, by negation)."""
        key = -when if math.isfinite(when) else -math.inf
        kept = self._samples.setdefault(cluster, [])
        if len(kept) >= SAMPLES_PER_CLUSTER and key <= kept[0][0]:
            return
        entry = (key, -position, sample_of(finding, position))
        if len(kept) < SAMPLES_PER_CLUSTER:
            heapq.heappush(kept, entry)
        else:
            heapq.heapreplace(kept, entry)


def read_facts(findings: Iterable[Mapping[str, Any]], membership: Membership) -> Facts:
    """The facts of every finding, in order (position n is the n-th finding)."""
    facts = Facts()
    for position, finding in enumerate(findings):
        facts.add(position, u.mapping(finding), membership)  # a non-finding counts as empty
    return facts


def item_id(item: Mapping[str, Any], position: int) -> str:
    """The item's id as the campaign analysis names it: id, else external id, else #n."""
    return (
        u.text(item.get("id"), ID_CHARS)
        or u.text(item.get("external_id"), ID_CHARS)
        or (f"#{position + 1}")
    )


def counted_matches(finding: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Matches that count: not suppressed by, nor on, an allow list."""
    return [
        m
        for m in u.mappings(finding.get("matches"), 100)
        if not m.get("suppressed_by") and not m.get("allow_list")
    ]


def status(finding: Mapping[str, Any]) -> int:
    """MATCHED when a known bank matched; FLAGGED when only the assessment asks for review or
    more (a verdict with a tier or a recommendation); else NOT_FLAGGED."""
    if counted_matches(finding):
        return MATCHED
    verdict = u.mapping(finding.get("verdict"))
    tier = verdict.get("tier")
    if verdict.get("recommended") in FLAGGING or (
        isinstance(tier, int) and not isinstance(tier, bool)
    ):
        return FLAGGED
    return NOT_FLAGGED


def item_entities(finding: Mapping[str, Any]) -> list[str]:
    """The entities a finding names: its counted matches' entity labels and the entity the
    text assessment named, each once."""
    found = [
        u.text(u.mapping(m.get("labels")).get("entity"), FIELD_CHARS)
        for m in counted_matches(finding)
    ]
    found.append(u.text(u.mapping(finding.get("text")).get("entity"), FIELD_CHARS))
    return list(dict.fromkeys(e for e in found if e))[:ENTITIES_PER_ITEM]


def sample_of(finding: Mapping[str, Any], position: int) -> Sample:
    """A sample: text items show an excerpt (the case's full text or the assessment's window);
    media shows only a placeholder with its kind and sha256 prefix."""
    item = u.mapping(finding.get("item"))
    kind = u.text(item.get("kind"), 20) or "unknown"
    when = parse_time(item.get("time"))
    body, cut = "", False
    media = None
    if kind in TEXT_KINDS:
        body, cut = sample_text(finding)
    else:
        digest = u.text(item.get("sha256"), 64)
        prefix = digest[:16] if _HEX.fullmatch(digest) else ""
        media = MediaBox(kind, prefix.lower())
    return Sample(
        item=item_id(item, position),
        author=u.text(item.get("author"), FIELD_CHARS),
        author_name=u.text(item.get("author_name"), FIELD_CHARS),
        time=_iso(when),
        platform=u.text(item.get("platform"), 40),
        kind=kind,
        text=body,
        clipped=cut,
        media=media,
    )


def sample_text(finding: Mapping[str, Any]) -> tuple[str, bool]:
    """The item's text (`item.text`), else the assessment's excerpt, cut to SAMPLE_CHARS; and
    whether there is more than is shown."""
    full = u.mapping(finding.get("item")).get("text")
    if isinstance(full, str) and full.strip():
        return u.clipped(full, SAMPLE_CHARS)
    excerpt = u.mapping(u.mapping(finding.get("text")).get("excerpt"))
    window = excerpt.get("text")
    if not isinstance(window, str):
        return "", False
    shown, cut = u.clipped(window, SAMPLE_CHARS)
    return shown, cut or bool(excerpt.get("more")) or u.integer(excerpt.get("start")) > 0


def _iso(seconds: float) -> str:
    if not math.isfinite(seconds):
        return ""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
