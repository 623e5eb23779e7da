"""The campaign report (`raqib report FINDINGS|ANALYSIS.json`): a self-contained HTML page (and
the same figures as JSON) with activity over time by cluster and by entity, the share of items
matching known banks versus newly assessed, the largest clusters with samples, the account
network and the re-spawn chains.

From a findings file the campaign analysis (raqib.analysis.campaign) runs first, then the
findings are read a second time for times, statuses and samples. From an analysis JSON (the
contract of `raqib analyse --json`) the report shows what that holds, and more when the findings
it came from are given too. Everything read is untrusted: see raqib.analysis.untrusted (types,
sizes) and the template (escaping, bidi controls made visible, CSP, no script, media never
embedded: a grey placeholder with the kind and sha256 prefix stands in for it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from raqib.analysis import untrusted as u
from raqib.analysis.campaign import (
    CampaignAnalysis,
    CampaignOptions,
    analyse_file,
    analyse_findings,
    read_findings,
)
from raqib.analysis.campaign.read import Problems
from raqib.analysis.campaign_facts import STATUSES, Facts, Membership, read_facts
from raqib.analysis.campaign_network import NetworkView, network_view
from raqib.analysis.campaign_views import (
    Activity,
    BankShare,
    ClusterView,
    Link,
    activity,
    bank_share,
    cluster_views,
    respawn_chains,
    respawn_links,
)
from raqib.analysis.scan_report import environment
from raqib.errors import InputError

MAX_ANALYSIS_BYTES = 256 * 1024 * 1024
MAX_CLUSTERS_READ = 200_000
SUMMARY_KEYS = (
    "findings", "accounts", "clusters", "clustered_items", "communities", "respawn", "problems",
)  # fmt: skip
DEFAULT_TITLE = "Raqib campaign report"


@dataclass
class CampaignReport:
    """Every part of the report; `html()` renders the page, `as_dict()` gives the JSON."""

    title: str
    generated_at: datetime
    summary: dict[str, int]
    clusters: list[ClusterView]
    network: NetworkView
    chains: list[list[Link]]
    activity: Activity | None = None
    share: BankShare | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": "campaign",
            "title": self.title,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "summary": self.summary,
            "activity": self.activity.as_dict() if self.activity else None,
            "bank_share": self.share.as_dict() if self.share else None,
            "clusters": [c.as_dict() for c in self.clusters],
            "network": self.network.as_dict(),
            "respawn_chains": [
                {"accounts": chain_accounts(chain), "links": [k.as_dict() for k in chain]}
                for chain in self.chains
            ],
            "notes": self.notes,
        }

    def html(self) -> str:
        page = environment().get_template("campaign_report.html")
        return page.render(
            title=self.title, report=self, statuses=STATUSES, chain_accounts=chain_accounts
        )


def chain_accounts(chain: Sequence[Link]) -> list[str]:
    """A chain's accounts in order: A, B, C for A -> B -> C."""
    return [chain[0].source, *(link.target for link in chain)] if chain else []


# --- entry points ----------------------------------------------------------------------------


def report_from_findings_file(
    path: Path, options: CampaignOptions | None = None, title: str = DEFAULT_TITLE
) -> CampaignReport:
    """Analyse a findings file (JSONL from `raqib scan -o`), then read it again for the report's
    facts. Raises InputError when it cannot be read."""
    analysis = analyse_file(path, options)
    membership = _membership(analysis)
    facts = read_facts(read_findings(path, Problems()), membership)
    return build_report(analysis.as_dict(), facts, title)


def report_from_findings(
    findings: Sequence[Mapping[str, Any]],
    options: CampaignOptions | None = None,
    title: str = DEFAULT_TITLE,
) -> CampaignReport:
    """The same from findings in memory (records as `raqib scan` writes them)."""
    analysis = analyse_findings(findings, options)
    facts = read_facts(findings, _membership(analysis))
    return build_report(analysis.as_dict(), facts, title)


def report_from_analysis(
    analysis: Mapping[str, Any],
    findings: Iterable[Mapping[str, Any]] | None = None,
    title: str = DEFAULT_TITLE,
) -> CampaignReport:
    """From an analysis (the JSON of `raqib analyse --json`) and, optionally, the findings it
    was made from (matched to its clusters by item id)."""
    facts = None
    if findings is not None:
        records = u.mappings(analysis.get("clusters"), MAX_CLUSTERS_READ)
        facts = read_facts(findings, Membership.from_records(records))
    report = build_report(analysis, facts, title)
    if facts is None:
        report.notes.append(
            "Only an analysis was given: activity over time, the share matching known banks and "
            "cluster samples need the findings too (raqib report ANALYSIS.json --findings FILE)."
        )
    return report


def _membership(analysis: CampaignAnalysis) -> Membership:
    return Membership.from_clusters(len(analysis.table), [c.items for c in analysis.clusters])


def build_report(
    analysis: Mapping[str, Any], facts: Facts | None, title: str = DEFAULT_TITLE
) -> CampaignReport:
    clusters = u.mappings(analysis.get("clusters"), MAX_CLUSTERS_READ)
    cluster_ids = [u.text(c.get("id"), 40) or f"#{n + 1}" for n, c in enumerate(clusters)]
    report = CampaignReport(
        title=title[:200],
        generated_at=datetime.now(UTC),
        summary=_summary(analysis, facts),
        clusters=cluster_views(clusters, facts),
        network=network_view(analysis),
        chains=respawn_chains(respawn_links(u.mappings(analysis.get("respawn"), 5000))),
        notes=u.texts(u.mapping(analysis.get("summary")).get("problem_examples"), 20, 300),
    )
    if facts is not None:
        report.activity = activity(facts, cluster_ids)
        report.share = bank_share(facts, cluster_ids)
    return report


def _summary(analysis: Mapping[str, Any], facts: Facts | None) -> dict[str, int]:
    given = u.mapping(analysis.get("summary"))
    summary = {key: u.integer(given.get(key)) for key in SUMMARY_KEYS}
    summary["clusters"] = summary["clusters"] or len(u.mappings(analysis.get("clusters")))
    summary["respawn"] = summary["respawn"] or len(u.mappings(analysis.get("respawn")))
    if facts is not None:
        statuses = facts.array_of("statuses")
        summary["findings"] = summary["findings"] or len(facts)
        summary["matched_known_bank"] = int((statuses == 0).sum())
        summary["flagged_by_assessment_only"] = int((statuses == 1).sum())
    return summary


# --- reading an analysis file ----------------------------------------------------------------


def load_analysis(path: Path) -> dict[str, Any]:
    """An analysis JSON (`raqib analyse --json -o FILE`): one object with "clusters",
    "communities" or "respawn". Raises InputError saying what to give instead."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_ANALYSIS_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_ANALYSIS_BYTES:
        raise InputError(
            f"{path}: larger than {MAX_ANALYSIS_BYTES // 2**20} MB; report from the findings "
            "file instead (raqib report FINDINGS.jsonl)"
        )
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputError(
            f"{path}: not a findings file nor an analysis JSON ({type(exc).__name__}); give "
            "the JSONL of `raqib scan -o` or the JSON of `raqib analyse --json -o`"
        ) from None
    if not isinstance(value, dict) or not any(
        isinstance(value.get(k), list) for k in ("clusters", "communities", "respawn")
    ):
        raise InputError(
            f"{path}: a JSON value without clusters, communities or respawn lists; give the "
            "JSONL of `raqib scan -o` or the JSON of `raqib analyse --json -o`"
        )
    return value
