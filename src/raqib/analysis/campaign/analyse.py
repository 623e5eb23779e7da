"""One campaign analysis: read findings once, then clusters, the network and re-spawns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from raqib.analysis.campaign.clusters import Cluster, ClusterOptions, cluster_record, find_clusters
from raqib.analysis.campaign.load import ItemTable
from raqib.analysis.campaign.network import (
    Network,
    NetworkOptions,
    bridge_records,
    build_network,
    community_records,
    edge_records,
)
from raqib.analysis.campaign.read import read_findings
from raqib.analysis.campaign.respawn import (
    Respawn,
    RespawnOptions,
    chains,
    find_respawns,
    respawn_records,
)


@dataclass(frozen=True)
class CampaignOptions:
    clusters: ClusterOptions = field(default_factory=ClusterOptions)
    network: NetworkOptions = field(default_factory=NetworkOptions)
    respawn: RespawnOptions = field(default_factory=RespawnOptions)


@dataclass
class CampaignAnalysis:
    """What the analysis found, over the items it read."""

    table: ItemTable
    clusters: list[Cluster]
    network: Network
    respawns: list[Respawn]

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `raqib analyse --json` (docs/analysis.md): "clusters", "communities"
        and "respawn" ({"from", "to", "score", "evidence"}), plus "bridges", "chains",
        "network" (the heaviest edges) and "summary"."""
        table = self.table
        return {
            "summary": self.summary(),
            "clusters": [cluster_record(c, table) for c in self.clusters],
            "communities": community_records(self.network, table),
            "bridges": bridge_records(self.network, table),
            "network": {
                "accounts": self.network.graph.number_of_nodes(),
                "edges": self.network.graph.number_of_edges(),
                "edge_list": edge_records(table),
            },
            "respawn": respawn_records(self.respawns, table),
            "chains": chains(self.respawns, table),
        }

    def summary(self) -> dict[str, Any]:
        table = self.table
        signals = {
            k.removeprefix("signals: "): v
            for k, v in sorted(table.counts.items())
            if k.startswith("signals: ")
        }
        return {
            "findings": table.counts["findings"],
            "items_with_account": int(np.count_nonzero(table.authors >= 0)),
            "items_with_time": int(np.count_nonzero(~np.isnan(table.times))),
            "signals": signals,
            "accounts": len(table.accounts),
            "clusters": len(self.clusters),
            "clustered_items": sum(int(c.items.size) for c in self.clusters),
            "communities": len(self.network.communities),
            "respawn": len(self.respawns),
            "problems": table.problems.count,
            "problem_examples": list(table.problems.messages),
        }


def analyse_findings(
    findings: Iterable[Mapping[str, Any]],
    options: CampaignOptions | None = None,
    table: ItemTable | None = None,
) -> CampaignAnalysis:
    """Analyse findings (records as `raqib scan` writes them), read once, in order."""
    options = options or CampaignOptions()
    table = (table if table is not None else ItemTable()).add_all(findings)
    clusters = find_clusters(table, options.clusters)
    network = build_network(table, options.network)
    respawns = find_respawns(table, clusters, options.respawn)
    return CampaignAnalysis(table, clusters, network, respawns)


def analyse_file(path: Path, options: CampaignOptions | None = None) -> CampaignAnalysis:
    """Analyse a findings file (JSONL); bad lines are skipped and counted in the summary.
    Raises InputError when the file cannot be read."""
    table = ItemTable()
    return analyse_findings(read_findings(path, table.problems), options, table)
