"""A 100,000-finding analysis: it finishes in reasonable time and its clusters are exact."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from campaign_data import bulk_findings, write_findings

from raqib.analysis.campaign import analyse_file

COUNT = 100_000
TIME_LIMIT = 300.0  # seconds; about 25 s on an idle 2-core machine


@pytest.mark.slow
def test_a_hundred_thousand_findings(tmp_path: Path) -> None:
    path = write_findings(tmp_path / "findings.jsonl", bulk_findings(COUNT))
    started = time.perf_counter()
    analysis = analyse_file(path)
    report = analysis.as_dict()
    elapsed = time.perf_counter() - started
    print(f"{COUNT} findings analysed in {elapsed:.1f} s")
    assert elapsed < TIME_LIMIT
    assert report["summary"]["findings"] == COUNT and report["summary"]["problems"] == 0
    pieces = [{item.rsplit("-piece-", 1)[-1] for item in c["items"]} for c in report["clusters"]]
    assert all(len(found) == 1 for found in pieces)  # no cluster mixes two pieces
    assert len(pieces) == 500  # and each piece is one cluster
    with path.open(encoding="utf-8") as lines:
        expected = sum("-piece-" in line for line in lines)
    assert report["summary"]["clustered_items"] == expected
    assert report["communities"] and report["network"]["accounts"] > 1000
