"""Campaign analysis of findings: near-duplicate clusters, the account network and re-spawned
accounts (`raqib analyse`). See docs/analysis.md for the method and the JSON it gives."""

from raqib.analysis.campaign.analyse import (
    CampaignAnalysis,
    CampaignOptions,
    analyse_file,
    analyse_findings,
)
from raqib.analysis.campaign.clusters import ClusterOptions
from raqib.analysis.campaign.network import NetworkOptions
from raqib.analysis.campaign.read import is_findings_file, read_findings
from raqib.analysis.campaign.respawn import RespawnOptions

__all__ = [
    "CampaignAnalysis",
    "CampaignOptions",
    "ClusterOptions",
    "NetworkOptions",
    "RespawnOptions",
    "analyse_file",
    "analyse_findings",
    "is_findings_file",
    "read_findings",
]
