"""Synthetic findings for the campaign analysis tests: random PDQ hashes and MinHash signatures,
neutral placeholder texts, generated account names. Nothing here is real content."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from hash_data import flip
from hash_data import random_hash as random_pdq
from raqib.signals.text_minhash import encode_signature, minhash_of_text
from raqib.signals.text_sha256 import sha256_of_text

START = datetime(2024, 3, 1, tzinfo=UTC)
VOCABULARY = (
    "market weather report bulletin river bridge harvest station library museum concert "
    "festival garden traffic schedule council meeting budget school teacher student "
    "science lecture history archive season rainfall temperature forecast railway airport "
    "harbour ferry bakery kitchen recipe football league match stadium tournament cycling "
    "marathon orchestra theatre gallery exhibition painting sculpture pottery textile "
    "weaving market grain wheat barley olive citrus orchard farmer tractor irrigation "
    "canal reservoir"
)
WORDS = tuple(VOCABULARY.split())


def placeholder_text(rng: random.Random, words: int = 36) -> str:
    """A neutral, clearly synthetic sentence of random everyday words."""
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    return f"Placeholder bulletin {rng.randrange(10**6)}: {body}."


def edited(text: str, rng: random.Random) -> str:
    """The text with one word replaced (a near-duplicate)."""
    words = text.split()
    at = rng.randrange(2, len(words))
    words[at] = rng.choice(WORDS)
    return " ".join(words)


def text_signals(text: str) -> list[dict[str, Any]]:
    found = [sha256_of_text(text), minhash_of_text(text)]
    return [
        {"signal_type": s.signal_type, "signal": s.value, "quality": None}
        for s in found
        if hasattr(s, "value")
    ]


def pdq_signal(value: str) -> dict[str, Any]:
    return {"signal_type": "pdq", "signal": value, "quality": 100}


def random_minhash(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 2**32, 128, dtype=np.uint32)


def minhash_signal(values: np.ndarray) -> dict[str, Any]:
    return {"signal_type": "text_minhash", "signal": encode_signature(values), "quality": None}


def at(days: float, hour: float = 0.0) -> str:
    return (START + timedelta(days=days, hours=hour)).isoformat()


def finding(
    item_id: str,
    author: str | None,
    time: str | None,
    signals: list[dict[str, Any]],
    matches: list[dict[str, Any]] | None = None,
    **item: Any,
) -> dict[str, Any]:
    """A finding shaped as `raqib scan` writes it, with the item fields readers add."""
    record: dict[str, Any] = {
        "id": item_id,
        "source": "post",
        "path": f"export.jsonl#{item_id}",
        "kind": "text",
        "sha256": None,
        "external_id": item_id,
        "platform": "synthetic",
        **item,
    }
    if author is not None:
        record["author"] = author
    if time is not None:
        record["time"] = time
    return {
        "item": record,
        "signals": signals,
        "matches": matches or [],
        "text": {"language": None, "indicators": [], "context": None},
        "verdict": {"tier": None, "recommended": "none", "reasons": []},
        "errors": [],
    }


def bank_match(entity: str) -> dict[str, Any]:
    return {
        "bank": "synthetic-bank",
        "entry_id": 1,
        "signal_type": "pdq",
        "signal": "0" * 64,
        "distance": 3,
        "labels": {"entity": entity, "behaviours": [], "tier": 2, "source": None, "note": None},
        "suppressed_by": None,
        "allow_list": False,
    }


def write_findings(path: Path, findings: Iterable[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for record in findings:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


CHAIN = (
    ("acct_alpha", "Alpha Daily Digest", 0.0),
    ("acct_alpha2", "Alpha Daily Digest 2", 10.0),
    ("acct_alpha_3", "\u0410lpha Daily Digest", 20.0),  # a Cyrillic capital A
)
CHAIN_DAYS = 9.0
POPULAR = "popular"


def respawn_scenario(seed: int = 7) -> list[dict[str, Any]]:
    """A re-spawn chain acct_alpha -> acct_alpha2 -> acct_alpha_3 (each posting near-duplicates
    of the last one's images and texts, starting after it stops, at the same evening hours),
    amid background accounts and decoys that only share one popular item."""
    rng = random.Random(seed)
    bases = [(random_pdq(rng), placeholder_text(rng)) for _ in range(10)]
    popular = (random_pdq(rng), placeholder_text(rng))
    findings: list[dict[str, Any]] = []
    for number, (handle, name, start) in enumerate(CHAIN):
        themes = bases[2 * number : 2 * number + 6]  # 0-5, 2-7, 4-9: each continues the last
        for post in range(18):
            image, text = themes[post % len(themes)]
            day = start + round(CHAIN_DAYS * post / 17)
            findings.append(
                finding(
                    f"{handle}-{post}",
                    handle,
                    at(day, rng.uniform(18, 21)),
                    [
                        pdq_signal(flip(image, rng.randrange(2, 9), rng)),
                        *text_signals(edited(text, rng)),
                    ],
                    author_name=name,
                )
            )
    findings.append(
        finding(
            "alpha-popular", "acct_alpha", at(2, 19), _popular(popular), author_name=CHAIN[0][1]
        )
    )
    for number in range(30):
        findings.extend(_background(f"bg_reader_{number}", rng, popular if number < 12 else None))
    for number in range(4):
        findings.extend(_decoy(f"decoy_viewer_{number}", rng, popular, CHAIN_DAYS + 1 + number))
    rng.shuffle(findings)
    return findings


def _popular(popular: tuple[str, str]) -> list[dict[str, Any]]:
    return [pdq_signal(popular[0]), *text_signals(popular[1])]


def _background(
    handle: str, rng: random.Random, popular: tuple[str, str] | None
) -> list[dict[str, Any]]:
    found = [
        finding(
            f"{handle}-{post}",
            handle,
            at(rng.uniform(0, 30), rng.uniform(0, 24)),
            [pdq_signal(random_pdq(rng)), *text_signals(placeholder_text(rng))],
        )
        for post in range(8)
    ]
    if popular is not None:
        found.append(
            finding(f"{handle}-popular", handle, at(rng.uniform(0, 30)), _popular(popular))
        )
    return found


def _decoy(
    handle: str, rng: random.Random, popular: tuple[str, str], start: float
) -> list[dict[str, Any]]:
    """An account that starts just after acct_alpha stops and posts the popular item, at the
    chain's evening hours, with a name of the same shape: all it lacks is the content."""
    found = [
        finding(
            f"{handle}-{post}",
            handle,
            at(start + post, rng.uniform(18, 21)),
            [pdq_signal(random_pdq(rng)), *text_signals(placeholder_text(rng))],
            author_name=f"Viewer {rng.randrange(100)}",
        )
        for post in range(6)
    ]
    found.append(finding(f"{handle}-popular", handle, at(start + 2, 19), _popular(popular)))
    return found


def bulk_findings(count: int, seed: int = 11) -> Iterable[dict[str, Any]]:
    """`count` findings of 2,000 accounts: one in four items a near-duplicate (image and text)
    of one of 500 recurring pieces (its id ends "-piece-<n>"), with forwards and mentions
    between accounts. MinHash
    signatures are random values (near-duplicates change 8 of 128), not hashed texts: fast."""
    rng = random.Random(seed)
    values = np.random.default_rng(seed)
    pieces = [(random_pdq(rng), random_minhash(values)) for _ in range(500)]
    for number in range(count):
        account = f"user_{rng.randrange(2000)}"
        item_id = f"bulk-{number}"
        if rng.random() < 0.25:
            piece = rng.randrange(len(pieces))
            item_id += f"-piece-{piece}"
            image, signature = pieces[piece]
            image = flip(image, rng.randrange(0, 10), rng)
            signature = signature.copy()
            signature[values.integers(0, 128, 8)] = random_minhash(values)[:8]
        else:
            image, signature = random_pdq(rng), random_minhash(values)
        item: dict[str, Any] = {}
        if rng.random() < 0.2:
            item["mentions"] = [f"user_{rng.randrange(2000)}"]
        if rng.random() < 0.1:
            item["forwarded_from"] = f"user_{rng.randrange(2000)}"
        yield finding(
            item_id,
            account,
            at(rng.uniform(0, 60), rng.uniform(0, 24)),
            [pdq_signal(image), minhash_signal(signature)],
            **item,
        )
