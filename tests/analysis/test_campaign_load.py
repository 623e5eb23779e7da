"""Reading findings files: hostile and broken input is skipped and counted, never a crash."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from campaign_data import at, finding, pdq_signal, random_pdq, write_findings

from raqib.analysis.campaign import analyse_file, is_findings_file
from raqib.analysis.campaign import read as read_module
from raqib.analysis.timeline import parse_time
from raqib.errors import InputError


def _good(item_id: str, author: str, pdq: str) -> str:
    return json.dumps(finding(item_id, author, at(1), [pdq_signal(pdq)]))


def test_bad_lines_and_bad_fields_are_skipped_and_counted(tmp_path: Path) -> None:
    rng = random.Random(9)
    pdq = random_pdq(rng)
    odd = finding("odd", "x", "yesterday", [pdq_signal("zz" * 32), {"signal_type": "pdq"}])
    odd["item"]["author"] = ["not", "a", "handle"]
    odd["item"]["mentions"] = "not-a-list"
    odd["matches"] = "none"
    bad_text = finding("bad-text", "y", at(2), [{"signal_type": "text_minhash", "signal": "v9:x"}])
    short_text = finding("short", "y", at(3), [{"signal_type": "text_minhash", "signal": "v1:AA"}])
    bad_video = finding("bad-video", "y", at(4), [{"signal_type": "vpdq", "signal": "[1, 2"}])
    lines = [
        _good("first", "alpha", pdq).encode(),
        b"",
        b"not json {",
        b"[1, 2, 3]",
        b'{"item": 5}',
        b'{"item": {"id": "\xff\xfe"}}',
        json.dumps(odd).encode(),
        json.dumps(bad_text).encode(),
        json.dumps(short_text).encode(),
        json.dumps(bad_video).encode(),
        _good("second", "beta", pdq).encode(),
        _good("truncated", "gamma", pdq).encode()[:60],
    ]
    path = tmp_path / "findings.jsonl"
    path.write_bytes(b"\n".join(lines))
    result = analyse_file(path).as_dict()
    summary = result["summary"]
    assert summary["findings"] == 6  # first, odd, bad-text, short, bad-video, second
    assert summary["problems"] == 9
    examples = "\n".join(summary["problem_examples"])
    for expected in (
        "line 3:",
        "line 4:",
        "line 5:",
        "line 6:",
        "line 12:",
        "text_minhash",
        "vpdq",
    ):
        assert expected in examples
    assert "version 'v9' is not supported" in examples
    assert [c["items"] for c in result["clusters"]] == [["first", "second"]]
    assert summary["items_with_account"] == 5 and summary["items_with_time"] == 5


def test_a_line_over_the_limit_is_skipped_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_module, "MAX_LINE_BYTES", 2000)
    pdq = random_pdq(random.Random(10))
    huge = finding("huge", "a", at(1), [pdq_signal(pdq)], note="x" * 5000)
    path = write_findings(
        tmp_path / "findings.jsonl",
        [
            finding("one", "a", at(1), [pdq_signal(pdq)]),
            huge,
            finding("two", "b", at(2), [pdq_signal(pdq)]),
        ],
    )
    result = analyse_file(path).as_dict()
    assert result["summary"]["findings"] == 2
    assert result["summary"]["problem_examples"] == ["line 2: longer than 2,000 bytes, skipped"]
    assert result["clusters"][0]["items"] == ["one", "two"]


def test_which_files_are_findings_files(tmp_path: Path) -> None:
    findings = write_findings(tmp_path / "f.jsonl", [finding("a", "b", at(0), [])])
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": 1, "author": "a", "text": "a placeholder post"}\n')
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(bytes(range(256)) * 4)
    assert is_findings_file(findings)
    assert not any(is_findings_file(p) for p in (posts, empty, binary, tmp_path, tmp_path / "no"))


def test_an_unreadable_findings_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the findings file"):
        analyse_file(tmp_path / "missing.jsonl")


def test_times_in_iso_8601_or_epoch_seconds() -> None:
    assert parse_time("2024-03-01T10:00:00Z") == 1709287200.0
    assert parse_time("2024-03-01T10:00:00") == 1709287200.0  # no zone: UTC
    assert parse_time("2024-03-01T12:00:00+02:00") == 1709287200.0
    assert parse_time(1709287200) == 1709287200.0
    for bad in ("yesterday", "", None, True, [], 1e300, float("nan")):
        assert math.isnan(parse_time(bad))
