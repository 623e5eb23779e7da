"""`raqib scan` end to end on a Telegram export, an X JSONL file and an archive: the findings
carry the item fields campaign analysis reads (platform, author, time, chat, reply and
forward links, hashtags, links, parent), media attached to posts are matched as their own
items, and archive traversal is refused and reported."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from conftest import Cli
from raqib.synthetic_sources import (
    DEFAULT_CHANNELS,
    Channel,
    tweet_id,
    write_telegram_export,
    write_x_jsonl,
)

# Two channels of one theme: the second re-posts the first's material (re-encoded photos).
NETWORK = (
    Channel("Placeholder News One", "placeholder_news1", 1_000_001, 0, 14, theme=1),
    Channel("Placeholder News Two", "placeholder_news2", 1_000_002, 15, 29, theme=1),
)


def _scan(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = cli("scan", *args, "--json", "-o", "findings.jsonl")
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_scan_a_telegram_export_with_media_matching_a_bank(cli: Cli, tmp_path: Path) -> None:
    manifest = write_telegram_export(tmp_path / "export", NETWORK, 10, media_every=5)
    cli("bank", "create", "known")
    added = cli("bank", "add", "known", f"export/{manifest.media_files[0]}", "-l", "tier=2")
    assert added.code == 0, added.stderr
    findings = _scan(cli, "export")
    assert len(findings) == manifest.posts + manifest.media == 24
    posts = {f["item"]["external_id"]: f for f in findings if f["item"]["source"] == "post"}
    fifth = posts["1000001/5"]["item"]
    assert fifth["platform"] == "telegram" and fifth["chat"] == "Placeholder News One"
    assert fifth["author"] == "Placeholder News One" and fifth["author_id"] == "channel1000001"
    assert fifth["reply_to"] == "1000001/4" and fifth["time"].startswith("2024-01-")
    assert fifth["hashtags"] and fifth["links"][0].startswith("https://example.org/")
    assert posts["1000002/7"]["item"]["forwarded_from"] == "Placeholder News One"
    signal_types = {s["signal_type"] for s in posts["1000001/5"]["signals"]}
    assert {"text_sha256", "text_minhash", "url"} <= signal_types
    media = [f for f in findings if f["item"]["source"] == "media"]
    assert len(media) == 4 and all(m["item"]["kind"] == "image" for m in media)
    assert {m["item"]["parent"] for m in media} == {
        "1000001/5",
        "1000001/10",
        "1000002/5",
        "1000002/10",
    }
    matched = {m["item"]["parent"] for m in media if m["matches"]}
    assert matched == {"1000001/5", "1000002/5"}  # the banked photo and its re-encoded copy
    first, second = (
        {s["signal"] for s in posts[i]["signals"] if s["signal_type"] == "text_sha256"}
        for i in ("1000001/5", "1000002/5")
    )
    assert first and first == second  # the re-posted text: one exact text signal
    photo = next(m for m in media if m["item"]["parent"] == "1000001/5")
    assert (
        photo["item"]["author"] == "Placeholder News One" and photo["item"]["time"] == fifth["time"]
    )
    assert "external_id" not in photo["item"]
    assert all(not f["errors"] for f in findings)
    saved = [json.loads(line) for line in (tmp_path / "findings.jsonl").read_text().splitlines()]
    assert saved == findings


def test_scan_an_x_jsonl_file_and_force_a_format(cli: Cli, tmp_path: Path) -> None:
    write_x_jsonl(tmp_path / "x.jsonl", posts_per_channel=8, media_every=4, style="v2")
    findings = _scan(cli, "x.jsonl")
    assert len(findings) == 16
    items = {f["item"]["external_id"]: f["item"] for f in findings}
    retweet = items[tweet_id(DEFAULT_CHANNELS[0], 7)]
    assert retweet["platform"] == "x" and retweet["author"] == "placeholder_news1"
    assert retweet["author_name"] == "Placeholder News One"
    assert retweet["forwarded_from"] == "sample_weather"
    reply = items[tweet_id(DEFAULT_CHANNELS[0], 5)]
    assert reply["reply_to"] == tweet_id(DEFAULT_CHANNELS[0], 4)
    assert reply["time"].endswith("+00:00") and reply["url"].startswith("https://x.com/")
    generic = _scan(cli, "x.jsonl", "--format", "jsonl")
    assert len(generic) == 2  # two v2 response pages, each one generic "post"
    assert all("platform" not in f["item"] for f in generic)
    bad = cli("scan", "x.jsonl", "--format", "csv")
    assert bad.code == 2 and "--format csv: unknown" in bad.stderr


def test_scan_an_archive_refuses_traversal_and_reports_it(cli: Cli, tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "dump.zip", "w") as archive:
        archive.writestr("notes/weather.txt", "sample note about the weather")
        archive.writestr("../../escape.txt", "planted")
        archive.writestr("/abs/escape.txt", "planted")
    findings = _scan(cli, "dump.zip")
    by_path = {f["item"]["path"]: f for f in findings}
    assert set(by_path) == {
        "dump.zip",
        "dump.zip!/../../escape.txt",
        "dump.zip!//abs/escape.txt",
        "dump.zip!/notes/weather.txt",
    }
    assert "climbs out" in by_path["dump.zip!/../../escape.txt"]["errors"][0]["message"]
    assert "absolute" in by_path["dump.zip!//abs/escape.txt"]["errors"][0]["message"]
    assert by_path["dump.zip!/notes/weather.txt"]["text"]["context"] is not None
    assert not (tmp_path.parent / "escape.txt").exists()
