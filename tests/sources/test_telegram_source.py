"""The Telegram Desktop export reader over generated exports: single-chat and full exports,
text as a string or as entities, media resolved inside the export, and each bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from raqib.config import Settings
from raqib.pipeline import build_finding, hash_item
from raqib.sources.items import SourceItem
from raqib.sources.telegram import read_telegram
from raqib.synthetic import make_image
from raqib.synthetic_sources import DEFAULT_CHANNELS, NOT_INCLUDED, write_telegram_export


def _posts(items: list[SourceItem]) -> list[SourceItem]:
    return [i for i in items if i.source == "post"]


def _write_export(root: Path, messages: list[Any], **chat: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    header = {"name": "Placeholder Channel", "type": "public_channel", "id": 77, **chat}
    (root / "result.json").write_text(
        json.dumps({**header, "messages": messages}, ensure_ascii=False), encoding="utf-8"
    )
    return root


def test_single_chat_export_gives_posts_with_fields_and_their_photos(tmp_path: Path) -> None:
    manifest = write_telegram_export(tmp_path / "export", DEFAULT_CHANNELS[:1], 10, media_every=5)
    items = list(read_telegram(tmp_path / "export"))
    posts = _posts(items)
    media = [i for i in items if i.source == "media"]
    assert len(posts) == manifest.posts == 10 and len(media) == manifest.media == 2
    fifth = next(p for p in posts if p.meta["external_id"] == "1000001/5")
    assert fifth.meta == {
        "platform": "telegram",
        "external_id": "1000001/5",
        "author": "Placeholder News One",
        "author_name": "Placeholder News One",
        "author_id": "channel1000001",
        "time": fifth.meta["time"],
        "chat": "Placeholder News One",
        "reply_to": "1000001/4",
        "hashtags": fifth.meta["hashtags"],
        "links": fifth.meta["links"],
    }
    assert fifth.meta["time"].startswith("2024-01-") and fifth.meta["time"].endswith("+00:00")
    assert fifth.text is not None and fifth.text.startswith("sample post 5 about the ")
    assert fifth.meta["links"][0].startswith("https://example.org/")
    third = next(p for p in posts if p.meta["external_id"] == "1000001/3")
    assert third.meta["mentions"] == ["desk_bot"]
    photo = media[0]
    assert photo.path is not None and photo.path.is_file()
    assert photo.meta["parent"] == "1000001/5" and photo.meta["author_id"] == "channel1000001"
    assert photo.meta["time"] == fifth.meta["time"] and photo.meta["chat"] == fifth.meta["chat"]
    assert items.index(photo) == items.index(fifth) + 1  # media follow their post


def test_full_export_names_each_chat_and_keeps_ids_apart(tmp_path: Path) -> None:
    write_telegram_export(tmp_path / "full", DEFAULT_CHANNELS, 7, media_every=0)
    posts = _posts(list(read_telegram(tmp_path / "full" / "result.json")))
    assert len(posts) == 14
    chats = {p.meta["chat"] for p in posts}
    assert chats == {"Placeholder News One", "Sample Weather Desk"}
    ids = [p.meta["external_id"] for p in posts]
    assert len(set(ids)) == 14 and "1000002/1" in ids and "1000001/1" in ids
    forwarded = [p for p in posts if "forwarded_from" in p.meta]
    assert {p.meta["forwarded_from"] for p in forwarded} == chats  # each forwards the other


def test_text_as_string_or_parts_and_service_messages(tmp_path: Path) -> None:
    messages = [
        {
            "id": 1,
            "type": "message",
            "date": "2024-03-01T10:00:00",
            "from": "Desk",
            "from_id": "user5",
            "text": "plain sample post about the weather",
        },
        {"id": 2, "type": "service", "actor": "Desk", "action": "pin_message", "text": ""},
        {
            "id": 3,
            "type": "message",
            "date_unixtime": "1709287200",
            "from": "Desk",
            "text": [
                "sample ",
                {"type": "hashtag", "text": "#markets"},
                " see ",
                {"type": "text_link", "text": "here", "href": "https://example.org/m"},
                " and ",
                {"type": "link", "text": "https://example.net/n"},
            ],
        },
    ]
    items = list(read_telegram(_write_export(tmp_path / "e", messages)))
    assert [i.meta["external_id"] for i in items] == ["77/1", "77/3"]  # the pin is skipped
    assert items[0].text == "plain sample post about the weather"
    assert items[0].meta["time"] == "2024-03-01T10:00:00+00:00"  # no zone: taken as UTC
    assert "hashtags" not in items[0].meta
    assert items[1].text == "sample #markets see here and https://example.net/n"
    assert items[1].meta["hashtags"] == ["markets"]
    assert items[1].meta["links"] == ["https://example.org/m", "https://example.net/n"]
    assert items[1].meta["time"] == "2024-03-01T10:00:00+00:00"


def test_posts_with_no_author_or_time_are_still_read(tmp_path: Path) -> None:
    messages = [{"id": 9, "text": "sample post with nobody behind it"}]
    (item,) = read_telegram(_write_export(tmp_path / "e", messages, name=None, id=None))
    assert item.text == "sample post with nobody behind it"
    assert item.meta == {"platform": "telegram", "external_id": "9"}


def test_missing_media_is_an_error_on_that_item_and_the_rest_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "e"
    (root / "photos").mkdir(parents=True)
    make_image(3, (96, 64)).save(root / "photos" / "here.jpg")
    messages = [
        {"id": 1, "text": "first", "photo": "photos/gone.jpg"},
        {"id": 2, "text": "second", "photo": "photos/here.jpg"},
        {"id": 3, "text": "third", "file": NOT_INCLUDED, "media_type": "video_file"},
    ]
    items = list(read_telegram(_write_export(root, messages)))
    assert [i.source for i in items] == ["post", "media", "post", "media", "post"]
    gone = items[1]
    assert gone.path is None and "missing from the export" in gone.errors[0]["message"]
    assert gone.meta["parent"] == "77/1"
    assert items[3].path == (root / "photos" / "here.jpg").resolve() and not items[3].errors
    assert "not in the export" in items[4].notes[0]["message"] and not items[4].errors


def test_media_paths_leaving_the_export_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "outside.jpg"
    make_image(4, (64, 64)).save(secret)
    root = tmp_path / "e"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "link.jpg").symlink_to(secret)
    messages = [
        {"id": 1, "text": "climbs", "photo": "../outside.jpg"},
        {"id": 2, "text": "absolute", "photo": str(secret)},
        {"id": 3, "text": "symlink", "photo": "photos/link.jpg"},
        {"id": 4, "text": "windows", "photo": "C:\\Users\\x.jpg"},
    ]
    items = list(read_telegram(_write_export(root, messages)))
    refused = [i for i in items if i.source == "media"]
    assert len(refused) == 4 and all(i.path is None for i in refused)
    messages_ = [i.errors[0]["message"] for i in refused]
    assert "outside the export" in messages_[0] and "absolute" in messages_[1]
    assert "outside the export" in messages_[2] and "absolute" in messages_[3]


def test_truncated_export_keeps_what_came_before_and_says_so(tmp_path: Path) -> None:
    write_telegram_export(tmp_path / "e", DEFAULT_CHANNELS[:1], 10, media_every=0)
    result = tmp_path / "e" / "result.json"
    data = result.read_bytes()
    result.write_bytes(data[: len(data) * 2 // 3])
    items = list(read_telegram(tmp_path / "e"))
    assert 3 <= len(items) <= 8
    assert all(not i.errors for i in items[:-1])
    last = items[-1]
    assert last.errors and "not valid JSON" in last.errors[0]["message"]
    assert "messages before were scanned" in last.errors[0]["message"]


def test_a_folder_without_result_json_is_one_clear_error(tmp_path: Path) -> None:
    (item,) = read_telegram(tmp_path)
    assert "result.json" in item.errors[0]["message"]


def test_a_hostile_deep_document_is_refused_quickly(tmp_path: Path) -> None:
    root = tmp_path / "e"
    root.mkdir()
    depth = 200_000
    (root / "result.json").write_bytes(b'{"messages": [' + b"[" * depth + b"]" * depth + b"]}")
    (item,) = read_telegram(root)
    assert "nested more than" in item.errors[0]["message"]


def test_attached_photos_and_videos_are_hashed_as_their_own_items(tmp_path: Path) -> None:
    write_telegram_export(tmp_path / "e", DEFAULT_CHANNELS[:1], 6, media_every=3, video_every=6)
    items = list(read_telegram(tmp_path / "e"))
    media = [i for i in items if i.source == "media"]
    assert [Path(i.where).parent.name for i in media] == ["photos", "photos", "video_files"]
    hashed = [hash_item(item, Settings(workers=1)) for item in media]
    types = [{s.signal_type for s in h.signals} for h in hashed]
    assert types[0] == {"pdq", "md5", "sha256"} and "vpdq" in types[2]
    assert [h.kind for h in hashed] == ["image", "image", "video"]
    video = build_finding("1", hashed[2], [])["item"]
    assert video["source"] == "media" and video["parent"] == "1000001/6"
    assert video["platform"] == "telegram" and video["time"] == items[-3].meta["time"]
    assert "external_id" not in video and not hashed[2].errors
