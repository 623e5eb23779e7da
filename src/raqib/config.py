"""One typed Settings object, read from the environment (RAQIB_*) once and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_VIDEO_SECONDS = 4 * 3600
DEFAULT_MAX_TEXT_BYTES = 32 << 20


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build with `Settings.from_env()`; never read globals elsewhere."""

    home: Path = field(default_factory=lambda: Path.home() / ".raqib")
    database_url: str | None = None
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_video_seconds: int = DEFAULT_MAX_VIDEO_SECONDS
    workers: int = 0  # 0 = one per CPU core
    max_text_bytes: int = (
        DEFAULT_MAX_TEXT_BYTES  # text and page files larger are cut, with an error
    )
    text_model: Path | None = None  # a trained context model; None = newest under models_dir

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("RAQIB_HOME") or (Path.home() / ".raqib")).expanduser()
        return cls(
            home=home,
            database_url=env.get("RAQIB_DATABASE_URL") or None,
            max_pixels=_int(env, "RAQIB_MAX_PIXELS", DEFAULT_MAX_PIXELS),
            max_video_seconds=_int(env, "RAQIB_MAX_VIDEO_SECONDS", DEFAULT_MAX_VIDEO_SECONDS),
            workers=_int(env, "RAQIB_WORKERS", 0),
            max_text_bytes=_int(env, "RAQIB_MAX_TEXT_BYTES", DEFAULT_MAX_TEXT_BYTES),
            text_model=Path(env["RAQIB_TEXT_MODEL"]).expanduser()
            if env.get("RAQIB_TEXT_MODEL")
            else None,
        )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'raqib.db'}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def models_dir(self) -> Path:
        """Where `raqib text train` writes context models (one folder per version)."""
        return self.home / "models" / "context"

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _int(env: dict[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{key} must be an integer, got {raw!r}") from exc
