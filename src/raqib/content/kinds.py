"""What a piece of content is: its kind, and where its bytes or text are."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class ContentKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    TEXT = "text"
    PAGE = "page"  # a saved web page (HTML)
    URL = "url"
    FILE = "file"


FILE_BACKED = frozenset(
    {ContentKind.IMAGE, ContentKind.VIDEO, ContentKind.FILE, ContentKind.TEXT, ContentKind.PAGE}
)


@dataclass(frozen=True)
class Content:
    """One piece of content to hash: a file on disk (image, video, other) or a string."""

    kind: ContentKind
    path: Path | None = None
    text: str | None = None
    # Digests of the file's bytes already computed in one pass (algorithm name -> hex), so
    # that md5 and sha256 do not each read a large file again.
    digests: tuple[tuple[str, str], ...] = ()

    @classmethod
    def file(cls, path: Path, kind: ContentKind) -> Content:
        return cls(kind=kind, path=path)

    def digest(self, algorithm: str) -> str | None:
        return dict(self.digests).get(algorithm)

    @classmethod
    def url(cls, url: str) -> Content:
        return cls(kind=ContentKind.URL, text=url)

    def require_path(self) -> Path:
        if self.path is None:
            raise ValueError(f"{self.kind} content has no file path")
        return self.path

    def require_text(self) -> str:
        if self.text is None:
            raise ValueError(f"{self.kind} content has no text")
        return self.text
