"""`raqib scan PATH` picks the reader from what PATH holds, not from its name alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raqib.config import Settings
from raqib.errors import InputError
from raqib.sources.detect import detect_format
from raqib.sources.reading import read_source
from raqib.synthetic import make_image
from raqib.synthetic_sources import (
    DEFAULT_CHANNELS,
    write_telegram_export,
    write_x_archive,
    write_x_jsonl,
)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    write_telegram_export(root / "single", DEFAULT_CHANNELS[:1], 3, media_every=0)
    write_telegram_export(root / "full", DEFAULT_CHANNELS, 3, media_every=0)
    write_telegram_export(root / "wrapped" / "ChatExport_2024", DEFAULT_CHANNELS[:1], 3, 0)
    for style in ("v2", "flatten", "v1"):
        write_x_jsonl(root / f"x_{style}.jsonl", posts_per_channel=2, style=style)
    write_x_jsonl(root / "twarc.json", posts_per_channel=2, style="flatten")  # JSONL named .json
    write_x_archive(root / "archive", posts=3, media_every=0)
    posts = [{"id": 1, "author": "desk", "text": "sample post about the weather"}]
    (root / "posts.jsonl").write_text(json.dumps(posts[0]) + "\n")
    (root / "pretty.json").write_text(json.dumps(posts, indent=2))
    (root / "folder").mkdir()
    make_image(1, (32, 32)).save(root / "folder" / "a.png")
    return root


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("single", "telegram"),
        ("single/result.json", "telegram"),
        ("full", "telegram"),
        ("wrapped", "telegram"),
        ("x_v2.jsonl", "x"),
        ("x_flatten.jsonl", "x"),
        ("x_v1.jsonl", "x"),
        ("twarc.json", "x"),
        ("archive", "x-archive"),
        ("archive/data/tweets.js", "x-archive"),
        ("posts.jsonl", "jsonl"),
        ("pretty.json", "jsonl"),
        ("folder", "folder"),
        ("folder/a.png", "folder"),
    ],
)
def test_formats_are_detected(sources: Path, name: str, expected: str) -> None:
    assert detect_format(sources / name).format == expected


def test_a_wrapped_export_is_read_from_its_inner_folder(sources: Path) -> None:
    detected = detect_format(sources / "wrapped")
    assert detected.path == sources / "wrapped" / "ChatExport_2024"


def test_format_can_be_forced(sources: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with read_source(sources / "single" / "result.json", "jsonl", settings) as items:
        forced = list(items)
    assert len(forced) == 3 and all("platform" not in i.meta for i in forced)  # generic reading
    with read_source(sources / "single", "folder", settings) as items:
        walked = list(items)  # the folder walk reads result.json as generic posts, as before
    assert [i.meta.get("external_id") for i in walked] == ["1", "2", "3"]
    assert [i.progress for i in walked] == [1, 0, 0]  # one file: one progress step
    with read_source(sources / "posts.jsonl", "x", settings) as items:
        (refused,) = items
    assert "not an X/Twitter record" in refused.errors[0]["message"]
    with (
        pytest.raises(InputError, match="unknown format"),
        read_source(sources / "posts.jsonl", "csv", settings),
    ):
        pass
