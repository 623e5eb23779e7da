"""X/Twitter readers: API v1.1, v2 pages, twarc2 flatten and account archives (tweets.js is
read as data after its assignment, never run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raqib.sources.items import SourceItem
from raqib.sources.twitter import read_x, read_x_archive
from raqib.synthetic_sources import DEFAULT_CHANNELS, tweet_id, write_x_archive, write_x_jsonl

ONE, TWO = DEFAULT_CHANNELS


def _posts(items: list[SourceItem]) -> dict[str, SourceItem]:
    return {str(i.meta["external_id"]): i for i in items if i.source == "post"}


@pytest.mark.parametrize("style", ["v2", "flatten", "v1"])
def test_each_api_shape_gives_the_same_posts(tmp_path: Path, style: str) -> None:
    path = tmp_path / f"{style}.jsonl"
    manifest = write_x_jsonl(path, posts_per_channel=10, media_every=4, style=style)
    items = list(read_x(path))
    assert not [i for i in items if i.errors]
    posts = _posts(items)
    assert len(posts) == manifest.posts == 20
    first = posts[tweet_id(ONE, 1)]
    assert first.meta["platform"] == "x" and first.meta["author"] == "placeholder_news1"
    assert first.meta["author_id"] == str(ONE.id)
    assert first.meta["time"].startswith("2024-01-01T") and first.meta["time"].endswith("+00:00")
    assert first.meta["url"] == f"https://x.com/placeholder_news1/status/{tweet_id(ONE, 1)}"
    assert first.meta["hashtags"] and first.meta["links"][0].startswith("https://example.org/")
    reply = posts[tweet_id(ONE, 5)]
    assert reply.meta["reply_to"] == tweet_id(ONE, 4)
    with_media = posts[tweet_id(ONE, 4)]
    assert with_media.meta["media_urls"][0].startswith("https://media.example.org/")
    if style != "v1":
        assert first.meta["author_name"] == "Placeholder News One"
        retweet = posts[tweet_id(ONE, 7)]
        assert retweet.meta["forwarded_from"] == TWO.handle
        assert retweet.text == "sample post 7 about the " + retweet.text.split("about the ")[1]
        assert not retweet.text.startswith("RT @")  # the original's full text


def test_v1_retweet_takes_the_original_text_and_author(tmp_path: Path) -> None:
    original = {
        "id_str": "10",
        "full_text": "sample original post about the markets, long enough to be cut in a retweet",
        "user": {"id_str": "2", "screen_name": "orig_desk", "name": "Original Desk"},
    }
    retweet = {
        "id_str": "11",
        "text": "RT @orig_desk: sample original post about the mar…",
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "user": {"id_str": "3", "screen_name": "@relay_desk"},
        "retweeted_status": original,
        "entities": {"user_mentions": [{"screen_name": "orig_desk"}]},
    }
    extended = {
        "id": 12,
        "text": "cut…",
        "truncated": True,
        "extended_tweet": {
            "full_text": "sample full text with #tags",
            "entities": {"hashtags": [{"text": "tags"}]},
        },
        "user": {"id": 3, "screen_name": "relay_desk"},
    }
    path = tmp_path / "v1.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in (retweet, extended)) + "\n")
    posts = _posts(list(read_x(path)))
    relayed = posts["11"]
    assert relayed.text == original["full_text"]
    assert relayed.meta["forwarded_from"] == "orig_desk"
    assert relayed.meta["author"] == "relay_desk"  # "@" removed
    assert relayed.meta["mentions"] == ["orig_desk"]
    assert relayed.meta["time"] == "2018-10-10T20:19:24+00:00"
    assert posts["12"].text == "sample full text with #tags"
    assert posts["12"].meta["hashtags"] == ["tags"]


def test_lines_that_are_not_tweets_or_not_json_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = {"id": "5", "text": "sample", "author_id": "1"}
    path.write_text(json.dumps(good) + "\n{cut off\n" + json.dumps({"name": "x"}) + "\n")
    items = list(read_x(path))
    assert [bool(i.errors) for i in items] == [False, True, True]
    assert "not valid JSON" in items[1].errors[0]["message"]
    assert "not an X/Twitter record" in items[2].errors[0]["message"]
    assert items[2].where.endswith("#L3")


def test_account_archive_reads_tweets_account_and_media(tmp_path: Path) -> None:
    manifest = write_x_archive(tmp_path / "archive", posts=8, media_every=4)
    items = list(read_x_archive(tmp_path / "archive"))
    posts = _posts(items)
    media = [i for i in items if i.source == "media"]
    assert len(posts) == manifest.posts == 8 and len(media) == manifest.media == 2
    first = posts[tweet_id(ONE, 1)]
    assert first.meta["author"] == ONE.handle and first.meta["author_name"] == ONE.name
    assert first.meta["author_id"] == str(ONE.id)
    assert all(m.path is not None and m.path.is_file() and not m.errors for m in media)
    assert media[0].meta["parent"] == tweet_id(ONE, 4)
    assert media[0].meta["author"] == ONE.handle


def test_archive_media_missing_is_an_error_and_retweets_need_none(tmp_path: Path) -> None:
    data = tmp_path / "a" / "data"
    (data / "tweets_media").mkdir(parents=True)
    media = {"media_url_https": "https://media.example.org/abc.jpg", "type": "photo"}
    tweets = [
        {
            "tweet": {
                "id_str": "1",
                "full_text": "own post",
                "extended_entities": {"media": [media]},
            }
        },
        {
            "tweet": {
                "id_str": "2",
                "full_text": "RT @other_desk: shared post",
                "extended_entities": {"media": [media]},
            }
        },
    ]
    (data / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(tweets) + ";\n")
    items = list(read_x_archive(tmp_path / "a"))
    assert [i.source for i in items] == ["post", "media", "post"]
    assert "1-abc.jpg" in items[1].errors[0]["message"]
    assert "missing" in items[1].errors[0]["message"]
    assert items[2].meta["forwarded_from"] == "other_desk"
    assert items[2].meta["media_urls"] == ["https://media.example.org/abc.jpg"]
    assert not items[2].errors  # the trailing ";" after the array is not an error


def test_tweets_js_that_is_not_the_known_assignment_is_refused_not_run(tmp_path: Path) -> None:
    data = tmp_path / "a" / "data"
    data.mkdir(parents=True)
    marker = tmp_path / "ran"
    code = f"require('fs').writeFileSync({str(marker)!r}, 'x'); window.YTD.tweets.part0 = []"
    (data / "tweets.js").write_text(code)
    (item,) = read_x_archive(tmp_path / "a")
    assert "not an X archive data file" in item.errors[0]["message"]
    assert not marker.exists()


def test_truncated_tweets_js_keeps_the_tweets_before(tmp_path: Path) -> None:
    write_x_archive(tmp_path / "a", posts=10, media_every=0)
    tweets_js = tmp_path / "a" / "data" / "tweets.js"
    data = tweets_js.read_bytes()
    tweets_js.write_bytes(data[: len(data) // 2])
    items = list(read_x_archive(tmp_path / "a"))
    assert 3 <= len(items) <= 6 and all(not i.errors for i in items[:-1])
    assert "tweets before were scanned" in items[-1].errors[0]["message"]


def test_a_folder_that_is_not_an_archive_says_so(tmp_path: Path) -> None:
    (item,) = read_x_archive(tmp_path)
    assert "not an X account archive" in item.errors[0]["message"]
