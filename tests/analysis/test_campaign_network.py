"""The account network: forward, reply and mention edges; communities; bridge accounts."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from campaign_data import at, finding

from raqib.analysis.campaign import analyse_findings


def _two_communities() -> list[dict[str, Any]]:
    """Two tight groups of six accounts that mention and forward each other, and one account
    (hub_bridge) tied to two members of each group."""
    findings: list[dict[str, Any]] = []
    for group in ("north", "south"):
        members = [f"{group}_{n}" for n in range(6)]
        for number, (a, b) in enumerate(combinations(members, 2)):
            findings.append(finding(f"{a}-{b}", a, at(number), [], mentions=[b, f"@{b}"]))
            findings.append(finding(f"{b}-{a}", b, at(number), [], forwarded_from=a))
    for target in ("north_0", "north_1", "south_0", "south_1"):
        findings.append(finding(f"bridge-{target}", "hub_bridge", at(20), [], mentions=[target]))
    return findings


def test_two_planted_communities_and_their_bridge() -> None:
    result = analyse_findings(_two_communities()).as_dict()
    groups = [set(c["accounts"]) - {"hub_bridge"} for c in result["communities"]]
    assert sorted(groups, key=sorted) == [
        {f"north_{n}" for n in range(6)},
        {f"south_{n}" for n in range(6)},
    ]
    assert [c["id"] for c in result["communities"]] == ["g1", "g2"]
    assert result["bridges"][0]["account"] == "hub_bridge"
    assert result["bridges"][0]["communities"] == ["g1", "g2"]
    assert result["bridges"][0]["betweenness"] > max(
        b["betweenness"] for b in result["bridges"][1:]
    )
    assert result["network"]["accounts"] == 13


def test_communities_are_the_same_on_every_run() -> None:
    first = analyse_findings(_two_communities()).as_dict()["communities"]
    again = analyse_findings(list(reversed(_two_communities()))).as_dict()["communities"]
    assert first == again


def test_edges_of_forwards_replies_and_mentions_with_weights() -> None:
    findings = [
        finding("p1", "origin", at(0), []),
        finding("p2", "relay", at(1), [], forwarded_from="@Origin"),
        finding("p3", "relay", at(2), [], forwarded_from="origin"),
        finding("p4", "critic", at(3), [], reply_to="p1"),
        finding("p5", "critic", at(4), [], reply_to="not-in-the-dump"),
        finding("p6", "critic", at(5), [], reply_to="p4"),  # a reply to oneself: no edge
        finding("p7", "origin", at(6), [], mentions=["critic", 7, None, ["x"]]),
        finding("img", None, None, [], parent="p2", kind="image"),  # media of relay's post
    ]
    result = analyse_findings(findings).as_dict()
    edges = {(e["from"], e["to"], e["kind"]): e["weight"] for e in result["network"]["edge_list"]}
    assert edges == {
        ("origin", "relay", "forward"): 2,  # "@Origin" and "origin" are one account
        ("critic", "origin", "reply"): 1,
        ("origin", "critic", "mention"): 1,
        ("origin", "7", "mention"): 1,
    }
    assert result["summary"]["items_with_account"] == 8  # the image took its post's author
    assert result["summary"]["items_with_time"] == 8


def test_replies_and_media_whose_posts_are_missing_are_left_alone() -> None:
    findings = [
        finding("r1", "critic", at(0), [], reply_to="gone", external_id=None),
        finding("m1", None, None, [], parent="also-gone", external_id=None),
    ]
    result = analyse_findings(findings).as_dict()
    assert result["network"]["edges"] == 0
    assert result["summary"]["items_with_account"] == 1


def test_no_edges_means_no_communities() -> None:
    result = analyse_findings([finding("p1", "alone", at(0), [])]).as_dict()
    assert result["communities"] == [] and result["bridges"] == []
    assert result["network"] == {"accounts": 0, "edges": 0, "edge_list": []}
