"""Near-duplicate clusters: PDQ within 31 bits, vPDQ videos, MinHash texts, exact digests, joined
across kinds by union-find; and the union-find itself."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from campaign_data import (
    at,
    bank_match,
    edited,
    finding,
    flip,
    pdq_signal,
    placeholder_text,
    random_pdq,
    text_signals,
)

from raqib.analysis.campaign import analyse_findings
from raqib.analysis.campaign.unionfind import UnionFind
from raqib.signals.vpdq import Frame, frames_to_value


def _clusters(findings: list[dict[str, Any]]) -> dict[frozenset[str], dict[str, Any]]:
    found = analyse_findings(findings).as_dict()["clusters"]
    return {frozenset(c["items"]): c for c in found}


def _video(hexes: list[str]) -> dict[str, Any]:
    frames = [Frame(h, 100, float(n)) for n, h in enumerate(hexes)]
    return {"signal_type": "vpdq", "signal": frames_to_value(frames), "quality": 100}


def test_pdq_near_duplicates_within_31_bits_cluster_and_others_do_not() -> None:
    rng = random.Random(1)
    base = random_pdq(rng)
    findings = [
        finding("orig", "a1", at(0), [pdq_signal(base)]),
        finding("near15", "a2", at(1), [pdq_signal(flip(base, 15, rng))]),
        finding("edge31", "a3", at(2), [pdq_signal(flip(base, 31, rng))]),
        finding("far40", "a4", at(3), [pdq_signal(flip(base, 40, rng))]),
        finding("other", "a5", at(4), [pdq_signal(random_pdq(rng))]),
    ]
    clusters = _clusters(findings)
    assert list(clusters) == [frozenset({"orig", "near15", "edge31"})]
    (cluster,) = clusters.values()
    assert cluster["kinds"] == ["pdq"] and cluster["size"] == 3
    assert cluster["accounts"] == ["a1", "a2", "a3"] and cluster["account_count"] == 3


def test_texts_edited_by_a_word_cluster_and_unrelated_texts_do_not() -> None:
    rng = random.Random(2)
    text = placeholder_text(rng)
    findings = [
        finding("t1", "a1", at(0), text_signals(text)),
        finding("t2", "a2", at(1), text_signals(edited(text, rng))),
        finding("t3", "a3", at(2), text_signals(placeholder_text(rng))),
        finding("t4", "a4", at(3), text_signals(text)),  # the very same text: text_sha256 too
    ]
    clusters = _clusters(findings)
    assert list(clusters) == [frozenset({"t1", "t2", "t4"})]
    assert next(iter(clusters.values()))["kinds"] == ["text_sha256", "text_minhash"]


def test_kinds_join_through_shared_items_union_find() -> None:
    """A post with image I and text T joins a post with only I' and one with only T'."""
    rng = random.Random(3)
    image, text = random_pdq(rng), placeholder_text(rng)
    digest = {"signal_type": "md5", "signal": "ab" * 16, "quality": None}
    findings = [
        finding("both", "a1", at(5), [pdq_signal(image), *text_signals(text)]),
        finding("image", "a2", at(1), [pdq_signal(flip(image, 9, rng))]),
        finding("text", "a3", at(9), text_signals(edited(text, rng))),
        finding("file", "a4", at(3), [digest]),
        finding("file-again", "a4", None, [dict(digest, signal="AB" * 16)]),
        finding("alone", "a5", at(2), [pdq_signal(random_pdq(rng))]),
    ]
    clusters = _clusters(findings)
    assert set(clusters) == {
        frozenset({"both", "image", "text"}),
        frozenset({"file", "file-again"}),
    }
    joined = clusters[frozenset({"both", "image", "text"})]
    assert joined["kinds"] == ["pdq", "text_minhash"]
    assert joined["first"] == "2024-03-02T00:00:00+00:00" and joined["sample"] == "image"
    assert joined["last"] == "2024-03-10T00:00:00+00:00"
    files = clusters[frozenset({"file", "file-again"})]
    assert files["kinds"] == ["md5"] and files["accounts"] == ["a4"]


def test_clusters_are_ordered_largest_first_with_entities_from_matches() -> None:
    rng = random.Random(4)
    small, large = random_pdq(rng), random_pdq(rng)
    matched = [bank_match("Synthetic Entity B"), bank_match("Synthetic Entity A")]
    suppressed = [dict(bank_match("Suppressed Entity"), suppressed_by="allow-bank")]
    findings = [
        finding("s1", "a1", at(0), [pdq_signal(small)], matches=suppressed),
        finding("s2", "a2", at(0), [pdq_signal(flip(small, 3, rng))]),
        *(
            finding(f"l{n}", f"b{n}", at(n), [pdq_signal(flip(large, 4, rng))], matches=matched)
            for n in range(3)
        ),
    ]
    found = analyse_findings(findings).as_dict()["clusters"]
    assert [(c["id"], c["size"]) for c in found] == [("c1", 3), ("c2", 2)]
    assert found[0]["entities"] == ["Synthetic Entity A", "Synthetic Entity B"]
    assert found[1]["entities"] == []


def test_videos_cluster_when_most_frames_match() -> None:
    rng = random.Random(5)
    frames = [random_pdq(rng) for _ in range(10)]
    reencoded = [flip(h, 6, rng) for h in frames]
    trimmed = reencoded[:9]  # 9 of 10 frames: 90% of the shorter video's frames match
    one_shared = [frames[0]] + [random_pdq(rng) for _ in range(9)]  # an intro frame only
    findings = [
        finding("v1", "a1", at(0), [_video(frames)]),
        finding("v2", "a2", at(1), [_video(trimmed)]),
        finding("v3", "a3", at(2), [_video(one_shared)]),
    ]
    clusters = _clusters(findings)
    assert list(clusters) == [frozenset({"v1", "v2"})]
    assert next(iter(clusters.values()))["kinds"] == ["vpdq"]


def test_union_find_joins_batches_and_names_sets_by_smallest_member() -> None:
    forest = UnionFind(10)
    forest.union([9, 7, 5], [7, 5, 3])  # a chain hooked from its far end
    forest.union([8, 8, 2], [1, 0, 1])  # one root hooked by several pairs at once
    forest.union(np.array([4]), np.array([4]))
    labels = forest.labels().tolist()
    assert labels == [0, 0, 0, 3, 4, 3, 6, 3, 0, 3]
