"""Re-spawn detection on a planted chain acct_alpha -> acct_alpha2 -> acct_alpha_3, amid
background accounts and decoys that share one popular item with the chain."""

from __future__ import annotations

from typing import Any

import pytest
from campaign_data import CHAIN, respawn_scenario

from raqib.analysis.campaign import CampaignOptions, RespawnOptions, analyse_findings
from raqib.analysis.campaign.names import name_key, name_similarity


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return analyse_findings(respawn_scenario()).as_dict()


def test_the_planted_chain_is_found_link_by_link_with_evidence(result: dict[str, Any]) -> None:
    links = [(r["from"], r["to"]) for r in result["respawn"]]
    assert links == [("acct_alpha", "acct_alpha2"), ("acct_alpha2", "acct_alpha_3")]
    assert result["chains"] == [[handle for handle, _name, _start in CHAIN]]
    for link in result["respawn"]:
        evidence = link["evidence"]
        assert 0.6 <= link["score"] <= 1
        assert evidence["shared_count"] >= 3 and len(evidence["shared_clusters"]) >= 3
        assert set(evidence["shared_clusters"]) <= {c["id"] for c in result["clusters"]}
        assert evidence["handle_similarity"] == 1.0  # digits and underscores do not count
        assert evidence["name_similarity"] == 1.0  # nor a digit, case or a Cyrillic "А"
        assert evidence["rhythm_similarity"] > 0.6  # both post in the evening
        assert 0 < evidence["gap_days"] < 2
        assert evidence["from_last"] < evidence["to_first"]


def test_shared_clusters_hold_both_accounts(result: dict[str, Any]) -> None:
    clusters = {c["id"]: c for c in result["clusters"]}
    for link in result["respawn"]:
        for cluster_id in link["evidence"]["shared_clusters"]:
            assert {link["from"], link["to"]} <= set(clusters[cluster_id]["accounts"])


def test_decoys_sharing_one_popular_item_are_not_respawns(result: dict[str, Any]) -> None:
    popular = max(result["clusters"], key=lambda c: c["account_count"])
    assert "acct_alpha" in popular["accounts"] and "decoy_viewer_0" in popular["accounts"]
    named = {r["from"] for r in result["respawn"]} | {r["to"] for r in result["respawn"]}
    assert not any(h.startswith(("decoy", "bg_")) for h in named)


def test_decoys_score_low_even_when_one_shared_cluster_makes_a_candidate() -> None:
    loose = RespawnOptions(min_shared_clusters=1, min_score=0.0, min_content=0.0)
    found = analyse_findings(respawn_scenario(), CampaignOptions(respawn=loose)).as_dict()
    decoys = [r for r in found["respawn"] if r["to"].startswith("decoy")]
    assert decoys  # they are candidates here: after acct_alpha, the popular item in common
    chain = [r for r in found["respawn"] if r["to"] in {"acct_alpha2", "acct_alpha_3"}]
    assert max(r["score"] for r in decoys) < 0.5 <= min(r["score"] for r in chain)
    assert all(r["evidence"]["shared_count"] == 1 for r in decoys)


def test_too_little_shared_content_is_no_respawn_whatever_the_score() -> None:
    scored_only = RespawnOptions(min_shared_clusters=1, min_score=0.0)  # min_content as default
    found = analyse_findings(respawn_scenario(), CampaignOptions(respawn=scored_only)).as_dict()
    links = {(r["from"], r["to"]) for r in found["respawn"]}
    assert not any(to.startswith("decoy") for _from, to in links)
    assert {("acct_alpha", "acct_alpha2"), ("acct_alpha2", "acct_alpha_3")} <= links


def test_each_account_keeps_its_best_predecessor_only(result: dict[str, Any]) -> None:
    options = CampaignOptions(respawn=RespawnOptions(min_score=0.0))
    found = analyse_findings(respawn_scenario(), options).as_dict()["respawn"]
    into_third = [r["from"] for r in found if r["to"] == "acct_alpha_3"]
    assert into_third == ["acct_alpha2"]  # not acct_alpha: an older, longer gap


def test_accounts_active_at_the_same_time_are_not_respawns() -> None:
    shifted = respawn_scenario()
    for finding in shifted:  # acct_alpha2 now starts while acct_alpha is still posting
        if finding["item"]["id"] == "acct_alpha2-0":
            finding["item"]["time"] = "2024-03-05T19:00:00+00:00"
    links = [(r["from"], r["to"]) for r in analyse_findings(shifted).as_dict()["respawn"]]
    assert ("acct_alpha", "acct_alpha2") not in links
    assert ("acct_alpha2", "acct_alpha_3") in links


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("acct_alpha", "ACCT.alpha_2"),
        ("news_desk", "news-desk٣"),  # an Arabic-Indic digit is a digit too
        ("раndа_news", "panda_news"),  # Cyrillic р а for Latin p a
        ("أخبار_المدينة", "اخبار المدينه"),  # hamza on alef, taa marbuta
        ("قناة_ـالأخبار", "قناه الاخبار 2"),  # tatweel
    ],
)
def test_names_compare_equal_after_normalisation(a: str, b: str) -> None:
    assert name_key(a) == name_key(b) != ""
    assert name_similarity(a, b) == 1.0


def test_name_similarity_is_low_for_unrelated_and_none_for_missing() -> None:
    similarity = name_similarity("acct_alpha", "decoy_viewer")
    assert similarity is not None and similarity < 0.4
    assert name_similarity("acct_alpha", None) is None
    assert name_similarity("1234_", "acct") is None  # no letters at all
