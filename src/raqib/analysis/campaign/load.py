"""Findings -> the compact columns campaign analysis works on.

A finding is read once and reduced to what the analyses need: its item id, account number, time
(seconds since the epoch, NaN when unknown), bank entities, links to other accounts, and its
signals in columnar form (fixed-width numbers and bytes in `array`/numpy buffers, not Python
objects), so that a million findings stay within a few hundred MB:

- exact digests (md5, sha256, text_sha256): a 64-bit key per value (BLAKE2b of kind and value);
- PDQ hashes: 32 bytes each; vPDQ videos: their unique good frames (32 bytes each);
- text MinHash signatures: 128 values cut to their low 16 bits (256 bytes instead of 512; see
  `minhash_rows`).

Replies and media attached to a post name the post by its external id: they are resolved in
`finish`, once every post has been read.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from raqib.analysis.campaign.accounts import Accounts, clean_field, handle_of
from raqib.analysis.campaign.read import Problems
from raqib.analysis.timeline import parse_time
from raqib.signals.text_minhash import NUM_PERMUTATIONS, decode_signature, decode_signatures
from raqib.signals.vpdq import QUALITY_THRESHOLD, parse_frames

SIGNAL_KINDS = ("md5", "sha256", "text_sha256", "pdq", "vpdq", "text_minhash")
EXACT_KINDS = frozenset({"md5", "sha256", "text_sha256"})
KIND_BIT = {kind: 1 << number for number, kind in enumerate(SIGNAL_KINDS)}
MINHASH_BATCH = 4096  # MinHash strings decoded together
MAX_LIST_VALUES = 50  # mentions read per item
NO_ACCOUNT = -1
EDGE_KINDS = ("forward", "reply", "mention")
NUMBER_TIME_LIMIT = 1e11  # item times given as numbers: epoch seconds within ±this, else unknown

Edge = tuple[str, int, int]  # kind, from account, to account


def key64(*parts: str) -> int:
    """A signed 64-bit key for strings (BLAKE2b); equal parts give equal keys in every run."""
    digest = hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "little", signed=True)


def iso_time(seconds: float) -> str | None:
    """ISO 8601 (UTC, whole seconds) of an epoch time, None for NaN."""
    if math.isnan(seconds):
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


@dataclass
class SignalColumns:
    """Every item's signals, by kind, each row tagged with its item number."""

    exact_keys: array[int] = field(default_factory=lambda: array("q"))
    exact_items: array[int] = field(default_factory=lambda: array("i"))
    exact_kinds: array[int] = field(default_factory=lambda: array("b"))  # index in SIGNAL_KINDS
    pdq_bytes: bytearray = field(default_factory=bytearray)
    pdq_items: array[int] = field(default_factory=lambda: array("i"))
    videos: dict[int, NDArray[np.uint8]] = field(default_factory=dict)  # item -> frames[k, 32]
    minhash_items: array[int] = field(default_factory=lambda: array("i"))
    _minhash_chunks: list[NDArray[np.uint16]] = field(default_factory=list)
    _pending: list[tuple[int, str]] = field(default_factory=list)

    def pdq_rows(self) -> NDArray[np.uint8]:
        return np.frombuffer(bytes(self.pdq_bytes), dtype=np.uint8).reshape(-1, 32)

    def minhash_rows(self) -> NDArray[np.uint16]:
        """(n, 128) signatures, each value cut to its low 16 bits. A MinHash value is the
        minimum of a permutation over the shingles, so its high bits are mostly zero and its
        low bits near uniform: two unequal values agree on 16 low bits with chance 2^-16, which
        leaves the estimated Jaccard similarity practically unchanged."""
        if not self._minhash_chunks:
            return np.zeros((0, NUM_PERMUTATIONS), dtype=np.uint16)
        return np.concatenate(self._minhash_chunks)

    def add_minhash(self, item: int, value: str, problems: Problems) -> None:
        self._pending.append((item, value))
        if len(self._pending) >= MINHASH_BATCH:
            self.flush_minhash(problems)

    def flush_minhash(self, problems: Problems) -> None:
        """Decode the MinHash strings read since the last flush."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            rows = decode_signatures([value for _item, value in pending])
            items = [item for item, _value in pending]
        except ValueError:  # name each bad value; keep the good ones
            decoded, items = [], []
            for item, value in pending:
                try:
                    decoded.append(decode_signature(value))
                    items.append(item)
                except ValueError as exc:
                    problems.add(f"item {item + 1}: text_minhash: {exc}")
            if not decoded:
                return
            rows = np.stack(decoded)
        self._minhash_chunks.append(rows.astype(np.uint16))
        self.minhash_items.extend(items)


@dataclass
class ItemTable:
    """The items of the findings read so far, numbered from 0 in reading order."""

    ids: list[str] = field(default_factory=list)
    accounts: Accounts = field(default_factory=Accounts)
    signals: SignalColumns = field(default_factory=SignalColumns)
    entities: dict[int, tuple[str, ...]] = field(default_factory=dict)
    edges: Counter[Edge] = field(default_factory=Counter)
    problems: Problems = field(default_factory=Problems)
    counts: Counter[str] = field(default_factory=Counter)
    _authors: array[int] = field(default_factory=lambda: array("i"))
    _times: array[float] = field(default_factory=lambda: array("d"))
    _post_keys: array[int] = field(default_factory=lambda: array("q"))
    _post_items: array[int] = field(default_factory=lambda: array("i"))
    _link_parent: array[int] = field(default_factory=lambda: array("b"))  # 1 parent, 0 reply
    _link_items: array[int] = field(default_factory=lambda: array("i"))
    _link_keys: array[int] = field(default_factory=lambda: array("q"))
    authors: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    times: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.ids)

    def add_all(self, findings: Iterable[Mapping[str, Any]]) -> ItemTable:
        for finding in findings:
            self.add(finding)
        self.finish()
        return self

    def add(self, finding: Mapping[str, Any]) -> None:
        """Read one finding (a record as `raqib scan` writes it; odd fields are ignored)."""
        number = len(self.ids)
        raw_item = finding.get("item")
        item: Mapping[str, Any] = raw_item if isinstance(raw_item, Mapping) else {}
        shown = clean_field(item.get("id")) or clean_field(item.get("external_id"))
        self.ids.append(shown or f"#{number + 1}")
        author = self._author(item)
        self._authors.append(author)
        self._times.append(parse_time(item.get("time"), -NUMBER_TIME_LIMIT, NUMBER_TIME_LIMIT))
        self.counts["findings"] += 1
        self._read_links(number, author, item)
        self._read_signals(number, finding.get("signals"))
        entities = _entities(finding.get("matches"))
        if entities:
            self.entities[number] = entities

    def _author(self, item: Mapping[str, Any]) -> int:
        handle = handle_of(item.get("author")) or handle_of(item.get("author_id"))
        if handle is None:
            return NO_ACCOUNT
        account = self.accounts.number(handle)
        self.accounts.name(account, clean_field(item.get("author_name")))
        return account

    def _read_links(self, number: int, author: int, item: Mapping[str, Any]) -> None:
        scope = (clean_field(item.get("platform")) or "", clean_field(item.get("chat")) or "")
        external_id = clean_field(item.get("external_id"))
        if external_id is not None:
            self._post_keys.append(key64(*scope, external_id))
            self._post_items.append(number)
        for is_parent, link in enumerate(("reply_to", "parent")):
            target = clean_field(item.get(link))
            if target is not None:
                self._link_parent.append(is_parent)
                self._link_items.append(number)
                self._link_keys.append(key64(*scope, target))
        if author == NO_ACCOUNT:
            return
        source = handle_of(item.get("forwarded_from"))
        if source is not None:
            self._edge("forward", self.accounts.number(source), author)
        mentions = item.get("mentions")
        if isinstance(mentions, list):
            for mention in mentions[:MAX_LIST_VALUES]:
                handle = handle_of(mention)
                if handle is not None:
                    self._edge("mention", author, self.accounts.number(handle))

    def _edge(self, kind: str, source: int, target: int) -> None:
        if source != target:
            self.edges[(kind, source, target)] += 1

    def _read_signals(self, number: int, signals: Any) -> None:
        if not isinstance(signals, list):
            return
        for record in signals:
            if not isinstance(record, Mapping):
                continue
            kind, value = record.get("signal_type"), record.get("signal")
            if kind not in KIND_BIT or not isinstance(value, str):
                continue
            try:
                self._add_signal(number, str(kind), value)
            except ValueError as exc:
                self.problems.add(f"item {number + 1} ({self.ids[number]}): {kind}: {exc}")
                continue
            self.counts[f"signals: {kind}"] += 1

    def _add_signal(self, number: int, kind: str, value: str) -> None:
        columns = self.signals
        if kind in EXACT_KINDS:
            columns.exact_keys.append(key64(kind, value.strip().lower()))
            columns.exact_items.append(number)
            columns.exact_kinds.append(SIGNAL_KINDS.index(kind))
        elif kind == "pdq":
            columns.pdq_bytes += _hash_bytes(value)
            columns.pdq_items.append(number)
        elif kind == "vpdq":
            frames = _good_frames(value)
            if frames.size:
                columns.videos[number] = frames
        else:
            columns.add_minhash(number, value, self.problems)

    def finish(self) -> None:
        """Decode what is pending, resolve replies and attached media to their posts."""
        self.signals.flush_minhash(self.problems)
        self.authors = np.frombuffer(self._authors, dtype=np.int32).copy()
        self.times = np.frombuffer(self._times, dtype=np.float64).copy()
        items, posts = self._linked_posts()
        is_parent = np.frombuffer(self._link_parent, dtype=np.int8) == 1
        self._attach_media(items[is_parent], posts[is_parent])
        self._reply_edges(items[~is_parent], posts[~is_parent])

    def _linked_posts(self) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """For each reply or attached item: its own number and the linked post's (-1 if the
        post is not among the findings)."""
        keys = np.frombuffer(self._post_keys, dtype=np.int64)
        items = np.frombuffer(self._link_items, dtype=np.int32)
        wanted = np.frombuffer(self._link_keys, dtype=np.int64)
        if not keys.size:
            return items, np.full(items.size, -1, dtype=np.int32)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        post_items = np.frombuffer(self._post_items, dtype=np.int32)[order]
        at = np.minimum(np.searchsorted(sorted_keys, wanted), sorted_keys.size - 1)
        posts = np.where(sorted_keys[at] == wanted, post_items[at], -1)
        return items, posts.astype(np.int32)

    def _attach_media(self, items: NDArray[np.int32], posts: NDArray[np.int32]) -> None:
        """Media of a post without an author or time of their own take the post's."""
        keep = posts >= 0
        items, posts = items[keep], posts[keep]
        no_author = self.authors[items] == NO_ACCOUNT
        self.authors[items[no_author]] = self.authors[posts[no_author]]
        no_time = np.isnan(self.times[items])
        self.times[items[no_time]] = self.times[posts[no_time]]

    def _reply_edges(self, items: NDArray[np.int32], posts: NDArray[np.int32]) -> None:
        keep = posts >= 0
        sources, targets = self.authors[items[keep]], self.authors[posts[keep]]
        known = (sources != NO_ACCOUNT) & (targets != NO_ACCOUNT) & (sources != targets)
        pairs, counts = np.unique(
            np.stack([sources[known], targets[known]], axis=1), axis=0, return_counts=True
        )
        for (source, target), count in zip(pairs.tolist(), counts.tolist(), strict=True):
            self.edges[("reply", source, target)] += count


def _hash_bytes(value: str) -> bytes:
    text = value.strip()
    if len(text) != 64:
        raise ValueError(f"a PDQ hash is 64 hex digits, got {len(text)} characters")
    return bytes.fromhex(text)  # ValueError names a non-hex character


def _good_frames(value: str) -> NDArray[np.uint8]:
    """The unique frames of PDQ quality >= QUALITY_THRESHOLD of a vPDQ value, as rows."""
    good = dict.fromkeys(f.pdq_hex for f in parse_frames(value) if f.quality >= QUALITY_THRESHOLD)
    raw = b"".join(bytes.fromhex(pdq_hex) for pdq_hex in good)
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 32)


def _entities(matches: Any) -> tuple[str, ...]:
    """The entity labels of the matches that count (not suppressed, not on an allow list)."""
    if not isinstance(matches, list):
        return ()
    found: set[str] = set()
    for match in matches:
        if not isinstance(match, Mapping) or match.get("suppressed_by") or match.get("allow_list"):
            continue
        labels = match.get("labels")
        entity = clean_field(labels.get("entity")) if isinstance(labels, Mapping) else None
        if entity:
            found.add(entity)
    return tuple(sorted(found))
