"""The media store: content-addressed and deduplicated, client names never a path, oversize
files refused, and the type a file is served as decided from its own bytes."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.review.cases import open_case
from raqib.review.media import (
    OCTET_STREAM,
    keep_media,
    media_for_case,
    media_path,
    open_media,
    store_file,
)
from raqib.store.db import Database
from raqib.synthetic import make_image
from raqib.synthetic_video import make_video


def _finding(n: int) -> dict[str, Any]:
    return {
        "item": {"id": str(n), "source": "post", "path": f"synthetic test post {n}"},
        "signals": [],
        "matches": [],
        "verdict": {"tier": None, "recommended": "review", "reasons": ["synthetic"]},
    }


def _case(database: Database, n: int) -> int:
    with database.session(write=True) as session:
        case = open_case(session, _finding(n), {}, "key:1", origin="report", reason="test")
        return int(case.id)


def _image_bytes(fmt: str, seed: int = 1) -> bytes:
    out = io.BytesIO()
    make_image(seed, (48, 32)).convert("RGB").save(out, format=fmt)
    return out.getvalue()


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _stored_files(settings: Settings) -> list[Path]:
    root = settings.home / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_same_bytes_are_stored_once_and_kept_once_per_case(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    png = _image_bytes("PNG")
    first, second = _case(database, 1), _case(database, 2)
    a = _write(tmp_path, "upload-a.png", png)
    b = _write(tmp_path, "upload-b.png", png)
    with database.session(write=True) as session:
        kept_a = keep_media(session, settings, first, a, "holiday.png")
        again = keep_media(session, settings, first, b, "same-again.png")
        kept_b = keep_media(session, settings, second, b, "other.png")
    assert again.id == kept_a.id  # the same content on the same case is one row
    assert kept_b.id != kept_a.id
    files = _stored_files(settings)
    assert len(files) == 1
    assert files[0].read_bytes() == png
    assert files[0].parent.name == files[0].name[:2]  # media/<aa>/<sha256>
    with database.session() as session:
        assert [m.filename for m in media_for_case(session, first)] == ["holiday.png"]
        view, path = open_media(session, settings, kept_b.id)
    assert (view.mime, view.kind, view.size, view.inline) == ("image/png", "image", len(png), True)
    assert path == files[0]


def test_client_names_never_name_a_path(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    case_id = _case(database, 3)
    upload = _write(tmp_path, "upload.png", _image_bytes("PNG", seed=3))
    names = ["../../../outside.png", "..\\..\\windows\\evil.png", "/etc/passwd", "a\x00\nb.png"]
    with database.session(write=True) as session:
        views = [keep_media(session, settings, case_id, upload, name) for name in names]
    assert {v.id for v in views} == {views[0].id}  # one content, one row on the case
    assert views[0].filename == "outside.png"
    stored = store_file(settings, upload, "..\\..\\windows\\evil.png")
    assert stored.filename == "evil.png"
    assert store_file(settings, upload, "/etc/passwd").filename == "passwd"
    assert store_file(settings, upload, "a\x00\nb.png").filename == "ab.png"
    assert not (tmp_path / "outside.png").exists()
    assert not (settings.home / "outside.png").exists()
    files = _stored_files(settings)
    assert len(files) == 1 and files[0].parent.parent == settings.home / "media"
    assert views[0].download_name == f"case-{case_id}-media-{views[0].id}.png"


def test_a_digest_that_is_not_hex_is_refused(settings: Settings) -> None:
    with pytest.raises(InputError):
        media_path(settings, "../" + "a" * 61)
    with pytest.raises(InputError):
        media_path(settings, "A" * 64)
    assert media_path(settings, "ab" * 32) == settings.home / "media" / "ab" / ("ab" * 32)


def test_a_file_over_the_upload_limit_is_refused(settings: Settings, tmp_path: Path) -> None:
    small = replace(settings, max_upload_bytes=100)
    big = _write(tmp_path, "upload.bin", b"x" * 101)
    with pytest.raises(InputError, match="limit of 100 bytes"):
        store_file(small, big, "big.bin")
    assert _stored_files(settings) == []
    exact = _write(tmp_path, "upload2.bin", b"y" * 100)
    assert store_file(small, exact, "fits.bin").size == 100


def test_missing_media_is_not_found(database: Database, settings: Settings) -> None:
    with database.session() as session, pytest.raises(NotFoundError):
        open_media(session, settings, 999)


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_images_are_typed_from_their_bytes(
    settings: Settings, tmp_path: Path, fmt: str, mime: str
) -> None:
    # a misleading suffix changes nothing: the bytes decide
    upload = _write(tmp_path, "upload.txt", _image_bytes(fmt))
    stored = store_file(settings, upload, "picture.txt")
    assert (stored.kind, stored.mime) == ("image", mime)


def test_other_files_are_octet_streams(settings: Settings, tmp_path: Path) -> None:
    bmp = io.BytesIO()
    Image.new("RGB", (8, 8)).save(bmp, format="BMP")
    cases = {
        "upload.bmp": bmp.getvalue(),  # an image, but not a type shown inline
        "upload.png": b"<html><script>alert(1)</script></html>",  # HTML pretending to be PNG
        "upload.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
        "upload.html": b"<!doctype html><p>synthetic test page</p>",
        "upload.txt": b"synthetic test post 5",
        "upload.mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 40,
    }
    for name, data in cases.items():
        stored = store_file(settings, _write(tmp_path, name, data), name)
        assert stored.mime == OCTET_STREAM, name


def test_mp4_and_webm_videos_are_shown_inline(settings: Settings, tmp_path: Path) -> None:
    for suffix, mime in ((".mp4", "video/mp4"), (".webm", "video/webm")):
        video = make_video(tmp_path / f"clip{suffix}", seconds=0.3, size="32x32", rate=5)
        renamed = _write(tmp_path, "upload.bin", video.read_bytes())
        stored = store_file(settings, renamed, "clip.bin")
        assert (stored.kind, stored.mime) == ("video", mime)
