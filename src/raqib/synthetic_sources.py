"""Synthetic exports in the documented layouts, for tests, the demo and benchmarks: a Telegram
Desktop export (result.json with photos/ and video_files/), X API v2 / twarc2-flatten / v1.1
JSON lines, and an X account archive (data/tweets.js, data/account.js, data/tweets_media/).

Everything is generated: invented channels and handles, neutral placeholder posts ("sample post
17 about the weather"), images drawn by `raqib.synthetic.make_image`, links under example.org.
Channels that share a `theme` post the same texts and near-identical images (re-encoded), the
way a network re-posts its material, so clusters and re-spawned accounts can be planted: give
three channels one theme and consecutive day ranges. Files are written streaming, so a
1,000,000-post export is written in constant memory.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from raqib.synthetic import make_image, reencode_jpeg

START = datetime(2024, 1, 1, tzinfo=UTC)
TOPICS = ("weather", "markets", "transport", "football", "lectures", "gardening", "rail works")
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"


@dataclass(frozen=True)
class Channel:
    """An invented account: a Telegram channel or an X account."""

    name: str  # display name
    handle: str  # username (X) / link name
    id: int
    first_day: int = 0  # days after START of the first post
    last_day: int = 29  # ... and of the last
    theme: int = 0  # channels with one theme post the same material


DEFAULT_CHANNELS = (
    Channel("Placeholder News One", "placeholder_news1", 1_000_001, 0, 29, theme=1),
    Channel("Sample Weather Desk", "sample_weather", 1_000_002, 0, 29, theme=2),
)


@dataclass
class ExportManifest:
    """What a writer produced: where, how many posts and media files, which are missing."""

    root: Path
    posts: int = 0
    media: int = 0
    channels: list[str] = field(default_factory=list)
    media_files: list[str] = field(default_factory=list)  # relative to root (first 1,000)


@dataclass(frozen=True)
class _Planned:
    """One generated post: its channel, number, time and (theme-shared) content."""

    channel: Channel
    number: int  # 1-based within the channel
    time: datetime
    text: str
    topic: str
    image_seed: int | None  # the shared picture, if the post has one


def plan_posts(
    channels: Sequence[Channel], posts_per_channel: int, media_every: int, seed: int
) -> Iterator[_Planned]:
    """The posts of each channel in turn, spread evenly over its days; the k-th post of every
    channel with the same theme has the same text and picture."""
    for channel in channels:
        days = max(1, channel.last_day - channel.first_day + 1)
        step = timedelta(days=days) / max(1, posts_per_channel)
        for number in range(1, posts_per_channel + 1):
            rng = random.Random(f"{seed}:{channel.theme}:{number}")
            topic = rng.choice(TOPICS)
            when = START + timedelta(days=channel.first_day) + step * (number - 1)
            when += timedelta(minutes=rng.randrange(0, 59))
            text = f"sample post {number} about the {topic}, theme {channel.theme}"
            picture = media_every > 0 and number % media_every == 0
            image_seed = seed * 1_000_003 + channel.theme * 10_007 + number if picture else None
            yield _Planned(channel, number, when, text, topic, image_seed)


def _write_image(path: Path, image_seed: int, variant: int, size: tuple[int, int]) -> None:
    """The theme's picture; other channels' copies are re-encoded (a near-duplicate)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = make_image(image_seed, size)
    if variant:
        image = reencode_jpeg(image, 60 - 5 * (variant % 5))
    image.save(path, quality=90)


# --- Telegram Desktop export -----------------------------------------------------------------


def write_telegram_export(
    root: Path,
    channels: Sequence[Channel] = DEFAULT_CHANNELS,
    posts_per_channel: int = 20,
    media_every: int = 4,
    seed: int = 0,
    image_size: tuple[int, int] = (160, 120),
    full: bool | None = None,
    video_every: int = 0,
) -> ExportManifest:
    """A Telegram Desktop export under `root`: a single-chat result.json for one channel
    (unless `full`), a full export (chats.list) for several. Every `media_every`-th post has
    a photo in photos/, every `video_every`-th a short clip in video_files/ (needs ffmpeg);
    posts carry hashtag, link and mention entities, some are replies and some forwarded from
    another channel."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = ExportManifest(root, channels=[c.name for c in channels])
    full = len(channels) > 1 if full is None else full
    themes: dict[int, int] = {}  # theme -> channels seen, for near-duplicate variants
    with (root / "result.json").open("w", encoding="utf-8") as out:
        out.write('{"about": "synthetic export", "chats": {"list": [' if full else "")
        for index, channel in enumerate(channels):
            variant = themes.get(channel.theme, 0)
            themes[channel.theme] = variant + 1
            out.write(", " if index else "")
            header = {"name": channel.name, "type": "public_channel", "id": channel.id}
            out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "messages": [\n')
            planned = plan_posts([channel], posts_per_channel, media_every, seed)
            media = _Media(root, manifest, variant, image_size, video_every)
            _write_messages(out, planned, channels, media)
            out.write("]}")
        out.write("]}}\n" if full else "\n")
    return manifest


@dataclass
class _Media:
    """Where and how a Telegram export's media files are written."""

    root: Path
    manifest: ExportManifest
    variant: int  # 0 for a theme's first channel; its copies are re-encoded
    image_size: tuple[int, int]
    video_every: int

    def add(self, relative: str) -> None:
        self.manifest.media += 1
        if len(self.manifest.media_files) < 1000:
            self.manifest.media_files.append(relative)


def _write_messages(
    out: IO[str], planned: Iterator[_Planned], channels: Sequence[Channel], media: _Media
) -> None:
    for post in planned:
        message = telegram_message(post, channels)
        if post.image_seed is not None:
            relative = f"photos/photo_{post.channel.id}_{post.number}.jpg"
            _write_image(media.root / relative, post.image_seed, media.variant, media.image_size)
            message["photo"] = relative
            media.add(relative)
        if media.video_every and post.number % media.video_every == 0:
            message.update(_write_video(media.root, post))
            media.add(message["file"])
        out.write(("" if post.number == 1 else ",\n") + json.dumps(message, ensure_ascii=False))
        media.manifest.posts += 1


def _write_video(root: Path, post: _Planned) -> dict[str, Any]:
    """A two-second clip of one of ffmpeg's test patterns, and the message fields naming it."""
    from raqib.synthetic_video import make_video

    relative = f"video_files/clip_{post.channel.id}_{post.number}.mp4"
    (root / "video_files").mkdir(parents=True, exist_ok=True)
    source = ("testsrc2", "mandelbrot", "smptebars")[post.number % 3]
    make_video(root / relative, source=source, seconds=2, size="160x120")
    return {"file": relative, "media_type": "video_file", "mime_type": "video/mp4"}


def telegram_message(post: _Planned, channels: Sequence[Channel]) -> dict[str, Any]:
    """A message in Telegram Desktop's JSON layout (text as parts, and text_entities)."""
    channel = post.channel
    tag = post.topic.replace(" ", "_")
    link = f"https://example.org/{tag}/{post.number}"
    entities: list[dict[str, Any]] = [
        {"type": "plain", "text": post.text + " "},
        {"type": "hashtag", "text": f"#{tag}"},
        {"type": "plain", "text": " more at "},
        {"type": "link", "text": link},
    ]
    if post.number % 3 == 0:
        entities += [{"type": "plain", "text": " via "}, {"type": "mention", "text": "@desk_bot"}]
    message: dict[str, Any] = {
        "id": post.number,
        "type": "message",
        "date": post.time.replace(tzinfo=None).isoformat(timespec="seconds"),
        "date_unixtime": str(int(post.time.timestamp())),
        "from": channel.name,
        "from_id": f"channel{channel.id}",
        "text": [e if e["type"] != "plain" else e["text"] for e in entities],
        "text_entities": entities,
    }
    if post.number % 5 == 0:
        message["reply_to_message_id"] = post.number - 1
    others = [c for c in channels if c.id != channel.id]
    if others and post.number % 7 == 0:
        message["forwarded_from"] = others[post.number % len(others)].name
    return message


# --- X / Twitter -----------------------------------------------------------------------------


def tweet_id(channel: Channel, number: int) -> str:
    return str(1_700_000_000_000_000_000 + channel.id * 100_000 + number)


def write_x_jsonl(
    path: Path,
    channels: Sequence[Channel] = DEFAULT_CHANNELS,
    posts_per_channel: int = 20,
    media_every: int = 4,
    seed: int = 0,
    style: str = "v2",
) -> ExportManifest:
    """X posts as JSON lines: `style` "v2" (API v2 response pages of up to 10 tweets with
    includes), "flatten" (twarc2 flatten: one tweet a line, author inlined) or "v1" (API v1.1
    tweets). Media are remote urls under example.org, never fetched."""
    if style not in ("v2", "flatten", "v1"):
        raise ValueError(f"style {style!r}: use v2, flatten or v1")
    manifest = ExportManifest(path, channels=[c.handle for c in channels])
    page: list[dict[str, Any]] = []
    with path.open("w", encoding="utf-8") as out:
        for post in plan_posts(channels, posts_per_channel, media_every, seed):
            manifest.posts += 1
            manifest.media += post.image_seed is not None
            if style == "v1":
                out.write(json.dumps(v1_tweet(post, channels)) + "\n")
            elif style == "flatten":
                out.write(json.dumps(_flattened(post, channels)) + "\n")
            else:
                page.append(v2_tweet(post, channels))
                if len(page) == 10:
                    out.write(json.dumps(_v2_page(page, channels)) + "\n")
                    page = []
        if page:
            out.write(json.dumps(_v2_page(page, channels)) + "\n")
    return manifest


def _media_url(post: _Planned) -> str:
    return f"https://media.example.org/{post.image_seed}.jpg"


def v2_tweet(post: _Planned, channels: Sequence[Channel]) -> dict[str, Any]:
    channel = post.channel
    tag = post.topic.replace(" ", "_")
    link = f"https://example.org/{tag}/{post.number}"
    tweet: dict[str, Any] = {
        "id": tweet_id(channel, post.number),
        "text": f"{post.text} #{tag} {link}",
        "author_id": str(channel.id),
        "created_at": post.time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "entities": {"hashtags": [{"tag": tag}], "urls": [{"expanded_url": link}]},
    }
    if post.number % 5 == 0:
        replied = tweet_id(channel, post.number - 1)
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": replied}]
    others = [c for c in channels if c.id != channel.id]
    if others and post.number % 7 == 0:
        source = others[post.number % len(others)]
        original = tweet_id(source, post.number)
        tweet["referenced_tweets"] = [{"type": "retweeted", "id": original}]
        tweet["text"] = f"RT @{source.handle}: {post.text}"
        tweet["entities"]["mentions"] = [{"username": source.handle, "id": str(source.id)}]
    if post.image_seed is not None:
        tweet["attachments"] = {"media_keys": [f"3_{post.image_seed}"]}
    return tweet


def _user(channel: Channel) -> dict[str, Any]:
    return {"id": str(channel.id), "username": channel.handle, "name": channel.name}


def _v2_page(tweets: list[dict[str, Any]], channels: Sequence[Channel]) -> dict[str, Any]:
    authors = {t["author_id"] for t in tweets}
    media = [
        {"media_key": key, "type": "photo", "url": f"https://media.example.org/{key[2:]}.jpg"}
        for t in tweets
        for key in t.get("attachments", {}).get("media_keys", [])
    ]
    retweeted = [
        {"id": r["id"], "author_id": str(c.id), "text": t["text"].split(": ", 1)[-1]}
        for t in tweets
        for r in t.get("referenced_tweets", [])
        if r["type"] == "retweeted"
        for c in channels
        if t["text"].startswith(f"RT @{c.handle}:")
    ]
    users = [
        _user(c)
        for c in channels
        if str(c.id) in authors or any(r["author_id"] == str(c.id) for r in retweeted)
    ]
    includes = {"users": users, "media": media, "tweets": retweeted}
    return {"data": tweets, "includes": includes, "meta": {"result_count": len(tweets)}}


def _flattened(post: _Planned, channels: Sequence[Channel]) -> dict[str, Any]:
    tweet = v2_tweet(post, channels)
    tweet["author"] = _user(post.channel)
    for reference in tweet.get("referenced_tweets", []):
        if reference["type"] == "retweeted":
            source = next(c for c in channels if tweet["text"].startswith(f"RT @{c.handle}:"))
            reference.update(author_id=str(source.id), author=_user(source), text=post.text)
    if post.image_seed is not None:
        tweet["attachments"]["media"] = [{"type": "photo", "url": _media_url(post)}]
    tweet["__twarc"] = {"url": "https://api.example.org/2/tweets/search/all", "version": "2"}
    return tweet


def v1_tweet(post: _Planned, channels: Sequence[Channel]) -> dict[str, Any]:
    """An API v1.1 tweet (also the shape of an account archive's tweets, without `user`)."""
    channel = post.channel
    tag = post.topic.replace(" ", "_")
    link = f"https://example.org/{tag}/{post.number}"
    tweet: dict[str, Any] = {
        "id_str": tweet_id(channel, post.number),
        "created_at": post.time.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "full_text": f"{post.text} #{tag} {link}",
        "entities": {
            "hashtags": [{"text": tag}],
            "user_mentions": [],
            "urls": [{"expanded_url": link, "url": "https://t.example.org/x"}],
        },
        "user": {"id_str": str(channel.id), "screen_name": channel.handle, "name": channel.name},
    }
    if post.number % 5 == 0:
        tweet["in_reply_to_status_id_str"] = tweet_id(channel, post.number - 1)
        tweet["in_reply_to_screen_name"] = channel.handle
    if post.image_seed is not None:
        media = {"media_url_https": _media_url(post), "type": "photo", "id_str": "1"}
        tweet["extended_entities"] = {"media": [media]}
    return tweet


def write_x_archive(
    root: Path,
    channel: Channel = DEFAULT_CHANNELS[0],
    posts: int = 20,
    media_every: int = 4,
    seed: int = 0,
    image_size: tuple[int, int] = (160, 120),
) -> ExportManifest:
    """An X account archive (unzipped) under `root`: data/account.js, data/tweets.js
    (`window.YTD.tweets.part0 = [...]`) and the media files in data/tweets_media/."""
    data = root / "data"
    (data / "tweets_media").mkdir(parents=True, exist_ok=True)
    account = {
        "account": {
            "username": channel.handle,
            "accountId": str(channel.id),
            "accountDisplayName": channel.name,
        }
    }
    (data / "account.js").write_text(
        "window.YTD.account.part0 = " + json.dumps([account], indent=2), encoding="utf-8"
    )
    manifest = ExportManifest(root, channels=[channel.handle])
    with (data / "tweets.js").open("w", encoding="utf-8") as out:
        out.write("window.YTD.tweets.part0 = [\n")
        for post in plan_posts([channel], posts, media_every, seed):
            tweet = v1_tweet(post, [channel])
            del tweet["user"]
            if post.image_seed is not None:
                name = f"{tweet['id_str']}-{post.image_seed}.jpg"
                _write_image(data / "tweets_media" / name, post.image_seed, 0, image_size)
                manifest.media += 1
                manifest.media_files.append(f"data/tweets_media/{name}")
            out.write(("" if manifest.posts == 0 else ",\n") + json.dumps({"tweet": tweet}))
            manifest.posts += 1
        out.write("\n]")
    return manifest
