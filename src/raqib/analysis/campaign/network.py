"""The account network: who forwards whom, replies to whom and mentions whom, its communities
(Louvain, seeded) and the accounts that bridge communities (betweenness centrality).

The edges are directed and typed (forward: original author -> the account that forwarded;
reply: replier -> the replied post's author; mention: author -> mentioned account) and weighted
by how often they occur. Communities and betweenness are computed on the undirected graph whose
edge weight is the sum over kinds and both directions. Betweenness counts hops (unweighted): a
weight is a tie's strength, not a distance. It costs one breadth-first search per source
account; when searching from every account would visit more than BETWEENNESS_BUDGET edges, it
is estimated from a seeded sample of sources (at least BETWEENNESS_MIN_SAMPLES), which keeps
large graphs to seconds and still ranks the few accounts that carry most paths.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from raqib.analysis.campaign.load import Edge, ItemTable

BETWEENNESS_BUDGET = 5_000_000  # edges visited in all (sources x edges)
BETWEENNESS_MIN_SAMPLES = 50
LISTED_BRIDGES = 20
LISTED_EDGES = 2000  # the heaviest edges listed in the JSON (for drawing); all are counted
MAX_LISTED = 1000
TOP_ACCOUNTS = 5


@dataclass(frozen=True)
class NetworkOptions:
    seed: int = 0
    resolution: float = 1.0


@dataclass
class Network:
    """The graph, its communities (largest first, ids "g1"...) and its bridge accounts."""

    graph: nx.Graph
    communities: list[list[int]] = field(default_factory=list)
    community_of: dict[int, int] = field(default_factory=dict)  # account -> index
    bridges: list[tuple[int, float, list[int]]] = field(default_factory=list)


def build_network(table: ItemTable, options: NetworkOptions | None = None) -> Network:
    options = options or NetworkOptions()
    network = Network(_undirected(table.edges, table.accounts.handles))
    if network.graph.number_of_edges() == 0:
        return network
    found = nx.community.louvain_communities(
        network.graph, weight="weight", resolution=options.resolution, seed=options.seed
    )
    names = table.accounts.handles
    groups = [sorted(c, key=lambda a: names[a].casefold()) for c in found if len(c) >= 2]
    groups.sort(key=lambda g: (-len(g), names[g[0]].casefold()))
    network.communities = groups
    network.community_of = {a: n for n, group in enumerate(groups) for a in group}
    network.bridges = _bridges(network, options.seed, names)
    return network


def _undirected(edges: dict[Edge, int], handles: list[str]) -> nx.Graph:
    """The weighted undirected graph, nodes and edges added in handle order: Louvain's result
    depends on the order it visits nodes, so this makes it independent of the reading order."""
    weights: dict[tuple[int, int], int] = defaultdict(int)
    for (_kind, source, target), count in edges.items():
        weights[(min(source, target), max(source, target))] += count
    order = sorted({a for pair in weights for a in pair}, key=lambda a: handles[a].casefold())
    rank = {account: number for number, account in enumerate(order)}
    graph = nx.Graph()
    graph.add_nodes_from(order)
    ranked = sorted(weights.items(), key=lambda e: sorted((rank[e[0][0]], rank[e[0][1]])))
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in ranked)
    return graph


def _bridges(network: Network, seed: int, names: list[str]) -> list[tuple[int, float, list[int]]]:
    """Accounts tied to two or more communities, by betweenness, highest first."""
    graph = network.graph
    sources = max(BETWEENNESS_MIN_SAMPLES, BETWEENNESS_BUDGET // graph.number_of_edges())
    sample = sources if sources < graph.number_of_nodes() else None
    centrality = nx.betweenness_centrality(graph, k=sample, normalized=True, seed=seed)
    found = []
    for account in graph.nodes:
        touched = {network.community_of.get(n) for n in (account, *graph.neighbors(account))}
        touched.discard(None)
        if len(touched) >= 2 and centrality[account] > 0:
            found.append(
                (account, float(centrality[account]), sorted(t for t in touched if t is not None))
            )
    found.sort(key=lambda bridge: (-bridge[1], names[bridge[0]].casefold()))
    return found[:LISTED_BRIDGES]


def community_records(network: Network, table: ItemTable) -> list[dict[str, Any]]:
    names = table.accounts.handles
    degree = dict(network.graph.degree(weight="weight"))
    records = []
    for number, group in enumerate(network.communities, 1):
        top = sorted(group, key=lambda a: (-degree[a], names[a].casefold()))[:TOP_ACCOUNTS]
        inside = network.graph.subgraph(group).size(weight="weight")
        records.append(
            {
                "id": f"g{number}",
                "size": len(group),
                "accounts": [names[a] for a in group[:MAX_LISTED]],
                "top_accounts": [names[a] for a in top],
                "internal_weight": int(inside),
            }
        )
    return records


def bridge_records(network: Network, table: ItemTable) -> list[dict[str, Any]]:
    names = table.accounts.handles
    return [
        {
            "account": names[account],
            "betweenness": round(score, 6),
            "communities": [f"g{c + 1}" for c in communities],
            "degree": int(network.graph.degree(account)),
        }
        for account, score, communities in network.bridges
    ]


def edge_records(table: ItemTable) -> list[dict[str, Any]]:
    """The heaviest LISTED_EDGES directed, typed edges."""
    names = table.accounts.handles
    heaviest = sorted(table.edges.items(), key=lambda e: (-e[1], e[0]))[:LISTED_EDGES]
    return [
        {"from": names[source], "to": names[target], "kind": kind, "weight": weight}
        for (kind, source, target), weight in heaviest
    ]
