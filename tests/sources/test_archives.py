"""Zip and tar archives are unpacked safely: traversal, absolute paths, links and special
files refused and reported; bombs (by ratio, size or member count) refused whole."""

from __future__ import annotations

import io
import os
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from raqib.config import Settings
from raqib.sources.archives import ArchiveLimits, ArchiveRefused, archive_kind, extract
from raqib.sources.reading import read_source
from raqib.synthetic_sources import DEFAULT_CHANNELS, write_telegram_export


def _zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16) | 0  # a symbolic link, as Info-ZIP stores it
            archive.writestr(info, target)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for member in members:
            payload = data.get(member.name)
            if payload is not None:
                member.size = len(payload)
            archive.addfile(member, io.BytesIO(payload) if payload is not None else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def test_zip_traversal_absolute_paths_and_links_are_refused(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "a.zip",
        {
            "export/ok.txt": b"sample text",
            "../escape.txt": b"x",
            "/absolute.txt": b"x",
            "export/../../escape2.txt": b"x",
            "..\\windows.txt": b"x",
        },
        links={"export/link.txt": "/etc/passwd"},
    )
    root = tmp_path / "out"
    root.mkdir()
    result = extract(archive, root, ArchiveLimits())
    assert (root / "export" / "ok.txt").read_bytes() == b"sample text"
    refused = dict(result.refused)
    assert set(refused) == {
        "../escape.txt",
        "/absolute.txt",
        "export/../../escape2.txt",
        "..\\windows.txt",
        "export/link.txt",
    }
    assert "climbs out" in refused["../escape.txt"] and "absolute" in refused["/absolute.txt"]
    assert "link" in refused["export/link.txt"]
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "escape2.txt").exists()
    assert not (root / "export" / "link.txt").exists()
    assert [p.name for p in root.rglob("*") if p.is_file()] == ["ok.txt"]


def test_tar_traversal_links_and_special_files_are_refused(tmp_path: Path) -> None:
    members = [
        _member("export/ok.txt"),
        _member("../escape.txt"),
        _member("/etc/absolute.txt"),
        _member("export/sym", tarfile.SYMTYPE, "/etc/passwd"),
        _member("export/hard", tarfile.LNKTYPE, "export/ok.txt"),
        _member("export/fifo", tarfile.FIFOTYPE),
        _member("export/device", tarfile.CHRTYPE),
    ]
    data = {m.name: b"sample" for m in members if m.type == tarfile.REGTYPE}
    archive = _tar(tmp_path / "a.tar.gz", members, data)
    assert archive_kind(archive) == "tar"
    root = tmp_path / "out"
    root.mkdir()
    refused = dict(extract(archive, root, ArchiveLimits()).refused)
    assert set(refused) == {m.name for m in members[1:]}
    assert "/etc/passwd" in refused["export/sym"] and "special file" in refused["export/fifo"]
    assert [p.name for p in root.rglob("*")] == ["export", "ok.txt"]
    assert not (tmp_path / "escape.txt").exists()


def test_a_zip_bomb_is_refused_fast_and_leaves_nothing(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(50 << 20)})
    assert archive.stat().st_size < 200_000
    root = tmp_path / "out"
    root.mkdir()
    started = time.monotonic()
    with pytest.raises(ArchiveRefused, match="archive bomb"):
        extract(archive, root, ArchiveLimits())
    assert time.monotonic() - started < 5
    assert not root.exists() or not any(root.iterdir())


def test_a_tar_gz_bomb_is_refused_while_unpacking(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "bomb.tar.gz", [_member("zeros.bin")], {"zeros.bin": bytes(50 << 20)})
    root = tmp_path / "out"
    root.mkdir()
    with pytest.raises(ArchiveRefused, match=r"expands more than 200:1"):
        extract(archive, root, ArchiveLimits())
    assert not root.exists() or not any(root.rglob("*"))


def test_member_count_and_total_size_are_bounded(tmp_path: Path) -> None:
    many = _zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(30)})
    (tmp_path / "o1").mkdir()
    with pytest.raises(ArchiveRefused, match="more than 10 members"):
        extract(many, tmp_path / "o1", ArchiveLimits(max_members=10))
    big = _zip(tmp_path / "big.zip", {"random.bin": os.urandom(5000)})
    (tmp_path / "o2").mkdir()
    with pytest.raises(ArchiveRefused, match="expands to more than"):
        extract(big, tmp_path / "o2", ArchiveLimits(max_total_bytes=4000))


def test_a_zipped_telegram_export_is_read_and_named_after_the_archive(tmp_path: Path) -> None:
    export = tmp_path / "ChatExport_2024-01-01"
    write_telegram_export(export, DEFAULT_CHANNELS[:1], 6, media_every=3)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for path in sorted(export.rglob("*")):
            packed.write(path, path.relative_to(tmp_path).as_posix())
        packed.writestr("../planted.txt", b"x")
    settings = Settings(home=tmp_path / "home")
    with read_source(archive, "auto", settings) as stream:
        items = list(stream)
        media = [i for i in items if i.source == "media"]
        assert media and all(i.path is not None and i.path.is_file() for i in media)
    assert not any((tmp_path / "home" / "tmp").iterdir())  # unpacked files are gone after
    assert items[0].where == str(archive) and items[0].path == archive  # the archive itself
    assert "climbs out" in items[1].errors[0]["message"] and items[1].where.endswith(
        "!/../planted.txt"
    )
    posts = [i for i in items if i.source == "post"]
    assert len(posts) == 6 and len(media) == 2
    prefix = f"{archive}!/ChatExport_2024-01-01/"
    assert posts[0].where == prefix + "result.json#1000001/1"
    assert media[0].where == prefix + "photos/photo_1000001_3.jpg"
    assert posts[0].meta["platform"] == "telegram"


def test_a_refused_or_damaged_archive_is_one_error_item(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(50 << 20)})
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(_zip(tmp_path / "ok.zip", {"a.txt": b"sample" * 100}).read_bytes()[:60])
    settings = Settings(home=tmp_path / "home")
    for archive, expected in ((bomb, "archive bomb"), (damaged, "damaged archive")):
        with read_source(archive, "auto", settings) as stream:
            (item,) = stream
        assert item.path == archive and expected in item.errors[0]["message"]
    with read_source(bomb, "folder", settings) as stream:
        (item,) = stream  # --format folder: hashed as one file, as before, not opened
    assert item.path == bomb and not item.errors
