"""X/Twitter records as posts, whichever shape the tool that collected them wrote:

- API v1.1 tweets (`user`, `full_text` or `extended_tweet`, `entities`, `retweeted_status`);
- API v2 responses (`data` with `includes.users`, `includes.tweets`, `includes.media`);
- API v2 tweets flattened by `twarc2 flatten` (`author`, inlined `referenced_tweets`,
  `attachments.media`);
- account-archive tweets (`{"tweet": {...}}` in data/tweets.js; the account is given apart).

A retweet's text is the original's full text (the retweet's own is cut at 140 characters) and
`forwarded_from` the original's author; a quote also names the quoted author there. Media are
remote urls (`media_urls`), never fetched; an archive's media files are found by its reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from raqib.sources import fields
from raqib.sources.items import SourcePost

PERMALINK = "https://x.com/{author}/status/{id}"


@dataclass
class Includes:
    """A v2 response's expansions, by id (users, tweets) and by media key."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, response: dict[str, Any]) -> Includes:
        raw = _dict(response.get("includes"))
        return cls(
            users=_by(raw.get("users"), "id"),
            tweets=_by(raw.get("tweets"), "id"),
            media=_by(raw.get("media"), "media_key"),
        )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _by(items: Any, key: str) -> dict[str, dict[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {str(i[key]): i for i in items if isinstance(i, dict) and key in i}


def is_tweet_record(record: Any) -> bool:
    """Whether a JSON record has the shape of one of the X formats above."""
    if not isinstance(record, dict):
        return False
    if isinstance(record.get("tweet"), dict):
        return True
    if "data" in record and ("includes" in record or "meta" in record):
        return True
    if isinstance(record.get("user"), dict) and ({"id_str", "full_text", "text"} & record.keys()):
        return True
    return "text" in record and ("author_id" in record or isinstance(record.get("author"), dict))


def tweets_of(
    record: dict[str, Any], account: dict[str, Any] | None = None
) -> Iterator[SourcePost]:
    """The posts of one record: a v2 response holds several, the other shapes one."""
    if isinstance(record.get("tweet"), dict):
        yield v1_post(record["tweet"], account or {})
    elif "data" in record and not isinstance(record.get("text"), str):
        data = record["data"]
        includes = Includes.of(record)
        for tweet in data if isinstance(data, list) else [data]:
            if isinstance(tweet, dict):
                yield v2_post(tweet, includes)
    elif isinstance(record.get("user"), dict) or "id_str" in record:
        yield v1_post(record, record.get("user") or {})
    else:
        yield v2_post(record, Includes())


# --- API v1.1 and archives -------------------------------------------------------------------


def v1_post(tweet: dict[str, Any], user: dict[str, Any]) -> SourcePost:
    """A v1.1 tweet (or an archive tweet, whose `user` is the archive's account)."""
    extended = _dict(tweet.get("extended_tweet"))
    source = {**tweet, **extended}
    retweet = tweet.get("retweeted_status")
    shared = retweet if isinstance(retweet, dict) else tweet.get("quoted_status")
    text = _v1_text(retweet) if isinstance(retweet, dict) else _v1_text(source)
    entities = _dict(source.get("entities"))
    author = fields.handle(user.get("screen_name") or user.get("username"))
    meta: dict[str, Any] = {
        "platform": "x",
        "external_id": fields.text_id(tweet.get("id_str") or tweet.get("id")),
        "author": author,
        "author_name": fields.name(user.get("name") or user.get("accountDisplayName")),
        "author_id": fields.text_id(user.get("id_str") or user.get("id") or user.get("accountId")),
        "time": fields.iso_utc(tweet.get("created_at")),
        "reply_to": fields.text_id(tweet.get("in_reply_to_status_id_str")),
        "reply_to_author": fields.handle(tweet.get("in_reply_to_screen_name")),
        "forwarded_from": _v1_shared_author(shared) or _rt_author(text_of_tweet(tweet)),
        "hashtags": _texts(entities.get("hashtags"), "text"),
        "mentions": _texts(entities.get("user_mentions"), "screen_name"),
        "links": _texts(entities.get("urls"), "expanded_url"),
    }
    meta["url"] = _permalink(author, meta["external_id"])
    return SourcePost(text, meta, media_urls=media_urls_v1(source))


def text_of_tweet(tweet: dict[str, Any]) -> str:
    value = tweet.get("full_text") or tweet.get("text")
    return value if isinstance(value, str) else ""


def _v1_text(tweet: dict[str, Any]) -> str:
    extended = tweet.get("extended_tweet")
    if isinstance(extended, dict) and isinstance(extended.get("full_text"), str):
        return str(extended["full_text"])
    return text_of_tweet(tweet)


def _v1_shared_author(shared: Any) -> str | None:
    if not isinstance(shared, dict) or not isinstance(shared.get("user"), dict):
        return None
    return fields.handle(shared["user"].get("screen_name"))


def _rt_author(text: str) -> str | None:
    """The handle in an archive retweet's "RT @handle: ..." text."""
    if not text.startswith("RT @"):
        return None
    return fields.handle(text[4:].split(":", 1)[0].split()[0] if text[4:].strip() else None)


def media_urls_v1(tweet: dict[str, Any]) -> list[str]:
    """Photo urls, and each video's best mp4, of a v1.1 or archive tweet."""
    return [url for media in media_entries_v1(tweet) for url in media_candidates(media)[:1]]


def media_entries_v1(tweet: dict[str, Any]) -> list[dict[str, Any]]:
    for holder in ("extended_entities", "entities"):
        entities = tweet.get(holder)
        if isinstance(entities, dict) and isinstance(entities.get("media"), list):
            return [m for m in entities["media"] if isinstance(m, dict)]
    return []


def media_candidates(media: dict[str, Any]) -> list[str]:
    """The urls one media entry may be fetched from, best first (a video's variants by
    bitrate, then its poster image)."""
    info = _dict(media.get("video_info")) or media
    variants = [v for v in info.get("variants") or [] if isinstance(v, dict)]
    variants.sort(key=_bitrate, reverse=True)
    urls = [v.get("url") for v in variants if "mp4" in str(v.get("content_type", "mp4"))]
    urls += [media.get(k) for k in ("media_url_https", "media_url", "url", "preview_image_url")]
    return fields.unique([u for u in urls if isinstance(u, str)])


def _bitrate(variant: dict[str, Any]) -> int:
    value = fields.text_id(variant.get("bitrate") or variant.get("bit_rate"))
    return int(value) if value is not None and value.isdigit() else 0


# --- API v2 and twarc2 flatten ---------------------------------------------------------------


def v2_post(tweet: dict[str, Any], includes: Includes) -> SourcePost:
    """A v2 tweet, its author and referenced tweets looked up in the response's includes or,
    after `twarc2 flatten`, read from the tweet itself."""
    author = _v2_user(tweet, includes)
    references = _references(tweet, includes)
    retweeted = references.get("retweeted")
    shared = retweeted or references.get("quoted")
    text = _v2_text(retweeted) if retweeted else _v2_text(tweet)
    entities = _dict(tweet.get("entities"))
    replied = references.get("replied_to")
    handle = fields.handle(author.get("username"))
    meta: dict[str, Any] = {
        "platform": "x",
        "external_id": fields.text_id(tweet.get("id")),
        "author": handle,
        "author_name": fields.name(author.get("name")),
        "author_id": fields.text_id(tweet.get("author_id") or author.get("id")),
        "time": fields.iso_utc(tweet.get("created_at")),
        "reply_to": fields.text_id(replied.get("id")) if replied else None,
        "reply_to_author": _reply_author(tweet, replied, includes),
        "forwarded_from": fields.handle(_v2_user(shared, includes).get("username"))
        if shared
        else None,
        "hashtags": _texts(entities.get("hashtags"), "tag"),
        "mentions": _texts(entities.get("mentions"), "username"),
        "links": _v2_links(entities.get("urls")),
        "conversation_id": fields.text_id(tweet.get("conversation_id")),
    }
    meta["url"] = _permalink(handle, meta["external_id"])
    return SourcePost(text, meta, media_urls=_v2_media(tweet, includes))


def _v2_text(tweet: dict[str, Any]) -> str:
    note = tweet.get("note_tweet")  # a long post's full text
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return str(note["text"])
    return text_of_tweet(tweet)


def _v2_user(tweet: dict[str, Any], includes: Includes) -> dict[str, Any]:
    inlined = tweet.get("author")
    if isinstance(inlined, dict):
        return inlined
    return includes.users.get(str(tweet.get("author_id")), {})


def _references(tweet: dict[str, Any], includes: Includes) -> dict[str, dict[str, Any]]:
    """Referenced tweets by type ("retweeted", "quoted", "replied_to"), inlined or included."""
    found: dict[str, dict[str, Any]] = {}
    for reference in tweet.get("referenced_tweets") or []:
        if not isinstance(reference, dict) or not isinstance(reference.get("type"), str):
            continue
        included = includes.tweets.get(str(reference.get("id")), {})
        found.setdefault(reference["type"], {**included, **reference})
    return found


def _reply_author(
    tweet: dict[str, Any], replied: dict[str, Any] | None, includes: Includes
) -> str | None:
    inlined = tweet.get("in_reply_to_user")
    if isinstance(inlined, dict):
        return fields.handle(inlined.get("username"))
    user_id = tweet.get("in_reply_to_user_id") or (replied or {}).get("author_id")
    return fields.handle(includes.users.get(str(user_id), {}).get("username"))


def _v2_links(urls: Any) -> list[str]:
    """Links in the text, without the links X adds for attached media."""
    if not isinstance(urls, list):
        return []
    return _texts([u for u in urls if isinstance(u, dict) and "media_key" not in u], "expanded_url")


def _v2_media(tweet: dict[str, Any], includes: Includes) -> list[str]:
    attachments = _dict(tweet.get("attachments"))
    entries = [m for m in attachments.get("media") or [] if isinstance(m, dict)]
    for key in attachments.get("media_keys") or []:
        if str(key) in includes.media:
            entries.append(includes.media[str(key)])
    return fields.unique([url for m in entries for url in media_candidates(m)[:1]])


# --- shared ----------------------------------------------------------------------------------


def _texts(entries: Any, key: str) -> list[str]:
    if not isinstance(entries, list):
        return []
    values = [e.get(key) for e in entries if isinstance(e, dict)]
    return fields.unique([v.strip() for v in values if isinstance(v, str)])


def _permalink(author: str | None, tweet_id: str | None) -> str | None:
    if author is None or tweet_id is None:
        return None
    return PERMALINK.format(author=author, id=tweet_id)
