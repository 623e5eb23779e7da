"""Case media: files submitted with an item whose case opened, kept so a reviewer can see them.

The store is content-addressed: RAQIB_HOME/media/<first two hex digits>/<sha256>. A file is
written to a temporary file in its folder and moved into place, so a reader never sees half a
file; the same bytes are stored once however many cases carry them. The client's file name is
kept only as a label (it never names a path), and the type a file is served with comes from its
own bytes: only a few image and video types are ever shown inline, everything else is offered
as an attachment of type application/octet-stream.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.content.detect import HEAD_BYTES, detect_kind
from raqib.content.kinds import ContentKind
from raqib.errors import InputError, NotFoundError
from raqib.store.models import utcnow
from raqib.store.models_service import CaseMedia

OCTET_STREAM = "application/octet-stream"
INLINE_MIMES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/webm"}
)
_IMAGE_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
_SUFFIXES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
}
_MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1"})
_CHUNK = 1 << 20
_MAX_LABEL = 200


@dataclass(frozen=True)
class MediaView:
    """One kept file of a case. `filename` is the client's name, as a label only."""

    id: int
    case_id: int
    kind: str
    mime: str
    size: int
    filename: str

    @property
    def inline(self) -> bool:
        """Whether the console shows it in the page (a safe image or video type)."""
        return self.mime in INLINE_MIMES

    @property
    def is_image(self) -> bool:
        return self.inline and self.mime.startswith("image/")

    @property
    def is_video(self) -> bool:
        return self.inline and self.mime.startswith("video/")

    @property
    def download_name(self) -> str:
        """The name the file is served under: generated, never the client's."""
        return f"case-{self.case_id}-media-{self.id}{_SUFFIXES.get(self.mime, '.bin')}"


@dataclass(frozen=True)
class StoredFile:
    """A file placed in the media store: its digest, size, kind and the type to serve it as."""

    sha256: str
    size: int
    kind: str
    mime: str
    filename: str


# --- the store ---------------------------------------------------------------------------------


def media_root(settings: Settings) -> Path:
    return settings.home / "media"


def media_path(settings: Settings, sha256: str) -> Path:
    """Where the bytes with this sha256 live (the digest is checked to be hex: never a path)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise InputError("a media digest is 64 lowercase hex digits")
    return media_root(settings) / sha256[:2] / sha256


def store_file(settings: Settings, path: Path, filename: str | None) -> StoredFile:
    """Copy the file at `path` into the store (once per content) and describe it. Refuses a
    file larger than settings.max_upload_bytes."""
    size = path.stat().st_size
    limit = settings.max_upload_bytes
    if size > limit:
        raise InputError(f"the file is larger than the limit of {limit} bytes")
    digest = _sha256(path)
    target = media_path(settings, digest)
    if not target.exists():
        _place(path, target)
    kind = detect_kind(path)
    return StoredFile(digest, size, str(kind), mime_for(target, kind), clean_label(filename))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as src:
            while chunk := src.read(_CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def clean_label(filename: str | None) -> str:
    """The last part of the client's file name, printable characters only, as a label."""
    raw = filename or ""
    base = PureWindowsPath(PurePosixPath(raw).name).name
    label = "".join(c for c in base if c.isprintable()).strip()
    return label[:_MAX_LABEL]


# --- the type a file is served as --------------------------------------------------------------


def mime_for(path: Path, kind: ContentKind | str) -> str:
    """The type to serve the file as, from its own bytes: a known image format (read by
    Pillow), an MP4 or WebM video; anything else application/octet-stream."""
    if kind == ContentKind.IMAGE:
        return _image_mime(path)
    if kind == ContentKind.VIDEO:
        return _video_mime(path)
    return OCTET_STREAM


def _image_mime(path: Path) -> str:
    try:
        with Image.open(path) as image:
            found = image.format
    except (UnidentifiedImageError, OSError, ValueError):
        return OCTET_STREAM
    return _IMAGE_FORMATS.get(found or "", OCTET_STREAM)


def _video_mime(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"\x42\x82\x84webm" in head:
        return "video/webm"
    return OCTET_STREAM


# --- case media --------------------------------------------------------------------------------


def keep_media(
    session: Session, settings: Settings, case_id: int, path: Path, filename: str | None
) -> MediaView:
    """Store the file and record it as media of the case (once per case and content)."""
    return record_media(session, case_id, store_file(settings, path, filename))


def record_media(session: Session, case_id: int, stored: StoredFile) -> MediaView:
    """Record a stored file as media of the case; the same content on the same case is one row."""
    row = session.scalars(
        select(CaseMedia).where(CaseMedia.case_id == case_id, CaseMedia.sha256 == stored.sha256)
    ).first()
    if row is None:
        row = CaseMedia(
            case_id=case_id,
            sha256=stored.sha256,
            kind=stored.kind,
            mime=stored.mime,
            size=stored.size,
            filename=stored.filename,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
    return _view(row)


def media_for_case(session: Session, case_id: int) -> list[MediaView]:
    """The case's media, oldest first."""
    rows = session.scalars(
        select(CaseMedia).where(CaseMedia.case_id == case_id).order_by(CaseMedia.id)
    ).all()
    return [_view(row) for row in rows]


def open_media(session: Session, settings: Settings, media_id: int) -> tuple[MediaView, Path]:
    """The media and the path of its bytes; NotFoundError if either is gone."""
    row = session.get(CaseMedia, media_id)
    if row is None:
        raise NotFoundError(f"no media {media_id}")
    path = media_path(settings, row.sha256)
    if not path.is_file():
        raise NotFoundError(f"the file of media {media_id} is missing from the media store")
    return _view(row), path


def _view(row: CaseMedia) -> MediaView:
    return MediaView(
        id=row.id,
        case_id=row.case_id,
        kind=row.kind,
        mime=row.mime if row.mime in INLINE_MIMES else OCTET_STREAM,
        size=row.size,
        filename=row.filename,
    )
