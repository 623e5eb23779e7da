"""One typed Settings object, read from the environment (RAQIB_*) once and passed down."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

_N = TypeVar("_N", int, float)

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
    # --- the service (raqib serve) ---
    webhook_url: str | None = None  # where decisions are sent; None = no webhook actions
    webhook_secret: str = ""  # HMAC-SHA256 key of the webhook signature
    webhook_max_attempts: int = 20  # then the delivery is listed as failed (and retryable)
    webhook_backoff_seconds: float = 2.0  # first retry delay; doubles per attempt
    webhook_backoff_cap_seconds: float = 3600.0
    webhook_timeout_seconds: float = 10.0
    claim_seconds: int = 900  # how long a reviewer's claim on a case lasts
    strike_days: int = 90  # how long a strike against an author counts
    session_hours: int = 12  # console sign-in lifetime
    cookie_secure: bool = True  # Secure attribute on the session cookie
    rate_limit: float = 5000.0  # requests/s per API key unless the key sets its own
    max_upload_bytes: int = 256 << 20  # largest file accepted by POST /hash and /items
    # --- sharing ---
    sync_interval_seconds: int = 900  # the service syncs with partners this often; 0 = never
    flood_matches: int = 200  # an entry matching more items than this ...
    flood_window_minutes: int = 10  # ... within this many minutes is quarantined for review
    # --- evidence ---
    evidence_retention_days: int = 183  # TCO Regulation Art. 6: six months after removal
    preserve_on_remove: bool = True  # a "remove" decision preserves the item as evidence

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
            webhook_url=env.get("RAQIB_WEBHOOK_URL") or None,
            webhook_secret=env.get("RAQIB_WEBHOOK_SECRET", ""),
            webhook_max_attempts=_int(env, "RAQIB_WEBHOOK_MAX_ATTEMPTS", 20),
            webhook_backoff_seconds=_float(env, "RAQIB_WEBHOOK_BACKOFF_SECONDS", 2.0),
            webhook_backoff_cap_seconds=_float(env, "RAQIB_WEBHOOK_BACKOFF_CAP_SECONDS", 3600.0),
            webhook_timeout_seconds=_float(env, "RAQIB_WEBHOOK_TIMEOUT_SECONDS", 10.0),
            claim_seconds=_int(env, "RAQIB_CLAIM_SECONDS", 900),
            strike_days=_int(env, "RAQIB_STRIKE_DAYS", 90),
            session_hours=_int(env, "RAQIB_SESSION_HOURS", 12),
            cookie_secure=env.get("RAQIB_COOKIE_SECURE", "1").lower() not in {"0", "false", "no"},
            rate_limit=_float(env, "RAQIB_RATE_LIMIT", 5000.0),
            max_upload_bytes=_int(env, "RAQIB_MAX_UPLOAD_BYTES", 256 << 20),
            sync_interval_seconds=_int(env, "RAQIB_SYNC_INTERVAL_SECONDS", 900),
            flood_matches=_int(env, "RAQIB_FLOOD_MATCHES", 200),
            flood_window_minutes=_int(env, "RAQIB_FLOOD_WINDOW_MINUTES", 10),
            evidence_retention_days=_int(env, "RAQIB_EVIDENCE_RETENTION_DAYS", 183),
            preserve_on_remove=env.get("RAQIB_PRESERVE_ON_REMOVE", "1").lower()
            not in {"0", "false", "no"},
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
    return _number(env, key, default, int, "an integer")


def _float(env: dict[str, str], key: str, default: float) -> float:
    return _number(env, key, default, float, "a number")


def _number(env: dict[str, str], key: str, default: _N, kind: Callable[[str], _N], what: str) -> _N:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        raise ValueError(f"{key} must be {what}, got {raw!r}") from exc
