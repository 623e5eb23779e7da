"""The account network drawing of the campaign report: the analysis's heaviest links
(`network.edge_list`), at most MAX_NODES accounts (bridge accounts first, then by how many links
they have), placed by networkx's seeded spring layout, coloured by community; what is not drawn
is counted per community."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from raqib.analysis import charts
from raqib.analysis import untrusted as u

MAX_NODES = 300
LABELLED = 20  # the best-linked accounts named on the drawing (bridges always are)
MAX_EDGES_READ = 20_000
MAX_COMMUNITIES = 1000
MAX_BRIDGES = 100
NAME_CHARS = 120
SEED = 0


@dataclass(frozen=True)
class CommunityRow:
    id: str
    size: int
    drawn: int
    colour: str
    top_accounts: list[str]


@dataclass(frozen=True)
class BridgeRow:
    account: str
    betweenness: float
    communities: list[str]


@dataclass(frozen=True)
class NetworkView:
    """The drawing and its figures: accounts and links in all and drawn."""

    chart: Markup
    accounts: int
    links: int
    nodes: list[charts.NetworkNode]
    drawn_links: int
    communities: list[CommunityRow]
    bridges: list[BridgeRow]

    @property
    def hidden_accounts(self) -> int:
        return max(self.accounts - len(self.nodes), 0)

    @property
    def hidden_links(self) -> int:
        return max(self.links - self.drawn_links, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "links": self.links,
            "drawn_accounts": len(self.nodes),
            "drawn_links": self.drawn_links,
            "hidden_accounts": self.hidden_accounts,
            "hidden_links": self.hidden_links,
            "nodes": [
                {
                    "account": n.name,
                    "x": round(n.x, 4),
                    "y": round(n.y, 4),
                    "community": n.group or None,
                    "bridge": n.bridge,
                    "links": n.degree,
                }
                for n in self.nodes
            ],
            "communities": [vars(c).copy() for c in self.communities],
            "bridges": [vars(b).copy() for b in self.bridges],
        }


def network_view(analysis: Mapping[str, Any]) -> NetworkView:
    network = u.mapping(analysis.get("network"))
    weights = _weights(u.mappings(network.get("edge_list"), MAX_EDGES_READ))
    degree: defaultdict[str, float] = defaultdict(float)
    for (a, b), weight in weights.items():
        degree[a] += weight
        degree[b] += weight
    groups = u.mappings(analysis.get("communities"), MAX_COMMUNITIES)
    community_of = _community_of(groups)
    bridges = _bridges(analysis)
    chosen = _chosen(weights, degree, {b.account for b in bridges})
    index = {name: n for n, name in enumerate(chosen)}
    edges = [(index[a], index[b], w) for (a, b), w in weights.items() if a in index and b in index]
    positions = charts.spring_positions(chosen, edges, SEED)
    named = set(sorted(chosen, key=lambda n: (-degree[n], n))[:LABELLED])
    bridge_names = {b.account for b in bridges}
    nodes = [
        charts.NetworkNode(
            name=name,
            x=x,
            y=y,
            colour=_colour(community_of.get(name)),
            group=_group_id(groups, community_of.get(name)),
            degree=degree[name],
            bridge=name in bridge_names,
            labelled=name in named or name in bridge_names,
        )
        for name, (x, y) in zip(chosen, positions, strict=True)
    ]
    rows = _community_rows(groups, nodes)
    legend = [charts.Series(f"{r.id} ({r.size} accounts)", (), r.colour) for r in rows[:10]]
    chart = charts.network_chart(
        f"Account network: {len(nodes)} of {max(len(degree), len(nodes))} linked accounts drawn",
        nodes,
        [charts.NetworkEdge(a, b, w) for a, b, w in edges],
        legend,
    )
    accounts = u.integer(network.get("accounts")) or len(degree)
    links = u.integer(network.get("edges")) or len(weights)
    return NetworkView(chart, accounts, links, nodes, len(edges), rows, bridges)


def _weights(records: list[Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    """Undirected link weights: forwards, replies and mentions both ways added up."""
    weights: defaultdict[tuple[str, str], float] = defaultdict(float)
    for record in records:
        a, b = u.text(record.get("from"), NAME_CHARS), u.text(record.get("to"), NAME_CHARS)
        weight = u.number(record.get("weight"))
        if a and b and a != b:
            weights[(min(a, b), max(a, b))] += weight if weight is not None and weight > 0 else 1
    return dict(weights)


def _community_of(groups: list[Mapping[str, Any]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, group in enumerate(groups):
        for account in u.texts(group.get("accounts"), chars=NAME_CHARS):
            found.setdefault(account, number)
    return found


def _bridges(analysis: Mapping[str, Any]) -> list[BridgeRow]:
    rows = []
    for record in u.mappings(analysis.get("bridges"), MAX_BRIDGES):
        account = u.text(record.get("account"), NAME_CHARS)
        if account:
            score = u.number(record.get("betweenness")) or 0.0
            rows.append(BridgeRow(account, score, u.texts(record.get("communities"), 20, 40)))
    return rows


def _chosen(
    weights: dict[tuple[str, str], float], degree: dict[str, float], bridges: set[str]
) -> list[str]:
    """The accounts drawn, MAX_NODES at most: linked bridges first, then the two ends of each
    link from the heaviest down (so most drawn accounts have a drawn link), best-linked first."""
    chosen = dict.fromkeys(sorted((b for b in bridges if b in degree), key=lambda n: -degree[n]))
    ranked = sorted(weights, key=lambda e: (-weights[e], -degree[e[0]] - degree[e[1]], e))
    for a, b in ranked:
        if len(chosen) >= MAX_NODES:
            break
        if len(chosen) + (a not in chosen) + (b not in chosen) <= MAX_NODES:
            chosen.update(dict.fromkeys((a, b)))
    return sorted(list(chosen)[:MAX_NODES])


def _colour(community: int | None) -> str:
    return charts.NONE_COLOUR if community is None else charts.colour(community)


def _group_id(groups: list[Mapping[str, Any]], community: int | None) -> str:
    if community is None:
        return ""
    return u.text(groups[community].get("id"), 40) or f"#{community + 1}"


def _community_rows(
    groups: list[Mapping[str, Any]], nodes: list[charts.NetworkNode]
) -> list[CommunityRow]:
    drawn = Counter(node.group for node in nodes if node.group)
    rows = []
    for number, group in enumerate(groups):
        shown = _group_id(groups, number)
        rows.append(
            CommunityRow(
                id=shown,
                size=u.integer(group.get("size")),
                drawn=drawn.get(shown, 0),
                colour=_colour(number),
                top_accounts=u.texts(group.get("top_accounts"), 5, NAME_CHARS),
            )
        )
    return rows
