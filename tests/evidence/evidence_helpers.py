"""Shared by the evidence tests: a case with a synthetic image, and record tweaks."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from raqib.config import Settings
from raqib.review.cases import open_case
from raqib.review.media import keep_media
from raqib.store.db import Database
from raqib.store.models import utcnow
from raqib.store.models_service import EvidenceRecord
from raqib.synthetic import make_image


def image_bytes(seed: int) -> bytes:
    """A small synthetic PNG (generated shapes and a neutral label)."""
    out = io.BytesIO()
    make_image(seed, (64, 48)).save(out, format="PNG")
    return out.getvalue()


def finding(n: int) -> dict[str, Any]:
    return {
        "item": {
            "id": f"forum:post-{n}",
            "source": "api",
            "path": f"synthetic-{n}.png",
            "author": f"author-{n}",
            "time": "2025-01-02T03:04:05+00:00",
        },
        "signals": [],
        "matches": [],
        "verdict": {"tier": 2, "recommended": "review", "reasons": ["synthetic test"]},
    }


def case_with_media(
    database: Database, settings: Settings, folder: Path, n: int, images: int = 1
) -> tuple[int, list[bytes]]:
    """A case (platform forum, external id post-n) with `images` synthetic images kept."""
    meta = {
        "platform": "forum",
        "external_id": f"post-{n}",
        "author_id": f"author-{n}",
        "url": f"https://forum.example/p/{n}",
    }
    kept = []
    with database.session(write=True) as session:
        case_id = int(open_case(session, finding(n), meta, "key:1", origin="report").id)
        for index in range(images):
            data = image_bytes(100 * n + index)
            path = folder / f"upload-{n}-{index}.png"
            path.write_bytes(data)
            keep_media(session, settings, case_id, path, path.name)
            kept.append(data)
    return case_id, kept


def expire(database: Database, *ids: int, days: int = 1) -> None:
    """Move the records' retention end into the past."""
    with database.session(write=True) as session:
        session.execute(
            update(EvidenceRecord)
            .where(EvidenceRecord.id.in_(ids))
            .values(retain_until=utcnow() - timedelta(days=days))
        )
