"""Posts from JSON and JSONL files: text and the fields a reviewer needs, bad lines as errors."""

from __future__ import annotations

import json

from raqib.sources.posts import Post, PostError, read_posts


def test_jsonl_posts_keep_id_author_time_and_url() -> None:
    lines = [
        {"id": 7, "text": "أخبار الطقس", "author": "placeholder_user", "date": "2026-01-02"},
        {"id_str": "8", "full_text": "markets closed higher", "user": {"screen_name": "desk"}},
    ]
    posts = list(read_posts("\n".join(json.dumps(x) for x in lines), jsonl=True))
    assert posts[0] == Post("أخبار الطقس", "L1", "7", "placeholder_user", "2026-01-02", None)
    assert isinstance(posts[1], Post) and posts[1].author == "desk"
    assert posts[1].external_id == "8" and posts[1].text == "markets closed higher"


def test_a_bad_jsonl_line_is_an_error_and_the_others_still_count() -> None:
    text = '{"text": "first"}\n{not json\n[1, 2]\n\n{"text": "fourth"}\n'
    posts = list(read_posts(text, jsonl=True))
    assert [type(p) for p in posts] == [Post, PostError, PostError, Post]
    assert isinstance(posts[1], PostError) and posts[1].position == "L2"
    assert isinstance(posts[3], Post) and posts[3].position == "L5"


def test_telegram_export_messages_with_text_parts() -> None:
    export = {
        "name": "placeholder channel",
        "messages": [
            {
                "id": 1,
                "from": "placeholder",
                "text": ["part one ", {"type": "bold", "text": "two"}],
            },
            {"id": 2, "text": "plain"},
        ],
    }
    posts = [p for p in read_posts(json.dumps(export), jsonl=False) if isinstance(p, Post)]
    assert [p.text for p in posts] == ["part one two", "plain"]
    assert posts[0].position == "#1" and posts[0].external_id == "1"


def test_deeply_nested_json_is_a_clear_error() -> None:
    posts = list(read_posts("[" * 100_000 + "]" * 100_000, jsonl=False))
    assert len(posts) == 1 and isinstance(posts[0], PostError)
    assert "JSON" in posts[0].message


def test_a_json_array_of_strings_is_a_list_of_posts() -> None:
    posts = list(read_posts(json.dumps(["one", "two"]), jsonl=False))
    assert [p.text for p in posts if isinstance(p, Post)] == ["one", "two"]
