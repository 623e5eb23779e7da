"""The evidence byte store: content-addressed, verified on copy, copies (never links) an
investigator's file, replaces a damaged copy, and never takes a path from a digest."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from raqib.config import Settings
from raqib.errors import InputError
from raqib.evidence.store import (
    evidence_path,
    file_digest,
    intact,
    put_bytes,
    put_file,
    remove_bytes,
)


def _settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_a_file_is_copied_under_its_sha256_and_later_edits_do_not_reach_it(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    original = tmp_path / "report.txt"
    original.write_bytes(b"synthetic evidence placeholder 1\n")
    stored = put_file(settings, original)
    digest = hashlib.sha256(b"synthetic evidence placeholder 1\n").hexdigest()
    assert stored.sha256 == digest and stored.size == 33
    path = evidence_path(settings, digest)
    assert path == settings.home / "evidence" / digest[:2] / digest
    assert os.stat(path).st_ino != os.stat(original).st_ino  # a copy, not a link
    original.write_bytes(b"edited afterwards\n")
    assert path.read_bytes() == b"synthetic evidence placeholder 1\n"
    assert intact(settings, digest)
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temporary left behind


def test_a_media_file_may_be_linked_but_must_hash_to_the_expected_digest(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    media = tmp_path / "media-file"
    media.write_bytes(b"synthetic media bytes")
    digest = file_digest(media).sha256
    put_file(settings, media, expected=digest, link=True)
    assert evidence_path(settings, digest).read_bytes() == b"synthetic media bytes"
    wrong = "0" * 64
    with pytest.raises(InputError, match="not the expected"):
        put_file(settings, media, expected=wrong, link=True)
    assert not evidence_path(settings, wrong).exists()
    assert not any(
        p.name.startswith(".incoming-")
        for p in evidence_path(settings, wrong).parent.parent.rglob("*")
    )


def test_a_damaged_copy_is_replaced_and_bytes_are_kept_once(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = put_bytes(settings, b'{"synthetic":1}')
    path = evidence_path(settings, first.sha256)
    path.chmod(0o600)
    path.write_bytes(b"damaged")
    assert not intact(settings, first.sha256)
    again = put_bytes(settings, b'{"synthetic":1}')
    assert again == first
    assert path.read_bytes() == b'{"synthetic":1}'
    assert len([p for p in (settings.home / "evidence").rglob("*") if p.is_file()]) == 1


def test_remove_and_refusals(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    stored = put_bytes(settings, b"synthetic bytes to remove")
    assert remove_bytes(settings, stored.sha256) is True
    assert remove_bytes(settings, stored.sha256) is False
    with pytest.raises(InputError, match="64 lowercase hex"):
        evidence_path(settings, "../../etc/passwd".ljust(64, "a"))
    with pytest.raises(InputError, match="not a regular file"):
        put_file(settings, tmp_path)
    with pytest.raises(InputError, match="not a regular file"):
        put_file(settings, tmp_path / "missing.bin")
