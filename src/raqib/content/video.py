"""Safe probing of untrusted video files with ffprobe, before any decoder sees them.

`probe_video` runs `ffprobe` in a subprocess (no shell, a timeout, file protocol only) and turns
every way a file can be unusable into an `InputError` with one line naming the file: missing,
unreadable, empty, not a video container we accept, no decodable video stream, too long, too
many pixels.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raqib.config import Settings
from raqib.errors import InputError, RaqibError

FFPROBE = "ffprobe"
PROBE_TIMEOUT_SECONDS = 30.0
# Container names as ffprobe reports them in format.format_name (a comma-separated list).
# Anything else (playlists, concat lists, image pipes, raw streams) is refused before decoding.
ALLOWED_CONTAINERS = frozenset(
    {"mov", "mp4", "m4v", "3gp", "3g2", "matroska", "webm", "avi", "flv", "mpegts", "mpeg"}
)
_LOG_PREFIX = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")
# ISO-BMFF major brands that are still images or audio, not video.
_NON_VIDEO_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}
    | {b"M4A ", b"M4B ", b"M4P "}
)


@dataclass(frozen=True)
class VideoInfo:
    """What ffprobe says about the first video stream of a file."""

    path: Path
    duration: float  # seconds
    width: int
    height: int
    codec: str  # e.g. "h264", "vp9"
    container: str  # ffprobe format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"

    @property
    def pixels(self) -> int:
        return self.width * self.height


def looks_like_video(head: bytes) -> bool:
    """True if the first bytes of a file are an MP4/MOV, WebM/MKV or AVI container.

    Needs at least the first 12 bytes. ISO-BMFF files whose brand is a still image (HEIC, AVIF)
    or audio (M4A) are not videos.
    """
    if head[4:8] == b"ftyp":
        return head[8:12] not in _NON_VIDEO_BRANDS
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"AVI "


def probe_video(path: Path, settings: Settings) -> VideoInfo:
    """Validate a video file and describe it; raises InputError naming the file if unusable."""
    _check_file(path)
    data = _run_ffprobe(path)
    info = _video_info(path, data)
    _check_limits(info, settings)
    return info


def _check_file(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror})") from None
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    if size == 0:
        raise InputError(f"{path}: empty file (0 bytes), not a video")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot read file (permission denied)")


def _run_ffprobe(path: Path) -> dict[str, Any]:
    command = [
        FFPROBE,
        *("-v", "error", "-protocol_whitelist", "file", "-print_format", "json"),
        *("-show_format", "-show_streams", "-select_streams", "v:0"),
        str(path.resolve()),  # absolute: never read as an option or a protocol URL
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, timeout=PROBE_TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError:
        raise RaqibError("ffprobe not found: install ffmpeg (make system-deps)") from None
    except subprocess.TimeoutExpired:
        raise InputError(
            f"{path}: ffprobe gave no answer within {PROBE_TIMEOUT_SECONDS:.0f} s; "
            "the file is probably corrupt"
        ) from None
    if result.returncode != 0:
        reason = _first_line(result.stderr) or f"ffprobe exit code {result.returncode}"
        raise InputError(f"{path}: not a readable video ({reason})")
    return _parse_json(path, result.stdout)


def _parse_json(path: Path, stdout: bytes) -> dict[str, Any]:
    try:
        data = json.loads(stdout.decode("utf-8", errors="replace") or "{}")
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise InputError(f"{path}: ffprobe output unreadable; the file is probably corrupt")
    return data


def _first_line(stderr: bytes) -> str:
    """ffprobe's first message without its "[mov,mp4 @ 0x55d0...] " prefix."""
    text = stderr.decode("utf-8", errors="replace")
    lines = [_LOG_PREFIX.sub("", line).strip() for line in text.splitlines()]
    return next((line for line in lines if line), "")[:200]


def _video_info(path: Path, data: dict[str, Any]) -> VideoInfo:
    fmt = data.get("format") or {}
    container = str(fmt.get("format_name") or "")
    if not ALLOWED_CONTAINERS.intersection(container.split(",")):
        shown = container or "unknown"
        raise InputError(f"{path}: not a supported video container ({shown}); use MP4, WebM or AVI")
    streams = data.get("streams") or []
    stream = streams[0] if streams and isinstance(streams[0], dict) else None
    if stream is None or stream.get("codec_type") != "video":
        raise InputError(f"{path}: no video stream (truncated or corrupt file?)")
    width, height = _int(stream.get("width")), _int(stream.get("height"))
    # ffprobe leaves out pix_fmt when it could not decode a single frame.
    if width <= 0 or height <= 0 or not stream.get("pix_fmt"):
        raise InputError(f"{path}: no decodable video frames (truncated or corrupt file?)")
    duration = _duration(fmt, stream)
    if duration is None:
        raise InputError(f"{path}: video duration unknown; remux it (ffmpeg -i IN -c copy OUT.mp4)")
    codec = str(stream.get("codec_name") or "unknown")
    return VideoInfo(path, duration, width, height, codec, container)


def _duration(fmt: dict[str, Any], stream: dict[str, Any]) -> float | None:
    for raw in (fmt.get("duration"), stream.get("duration")):
        try:
            value = float(str(raw))
        except ValueError:
            continue
        if math.isfinite(value) and value >= 0:
            return value
    return None


def _int(raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    return int(raw) if isinstance(raw, str) and raw.isdigit() else 0


def _check_limits(info: VideoInfo, settings: Settings) -> None:
    if info.duration > settings.max_video_seconds:
        raise InputError(
            f"{info.path}: video is {info.duration:.0f} s long, over the limit of "
            f"{settings.max_video_seconds} s (RAQIB_MAX_VIDEO_SECONDS)"
        )
    if info.pixels > settings.max_pixels:
        raise InputError(
            f"{info.path}: video frames are {info.width}x{info.height} pixels, over the limit of "
            f"{settings.max_pixels} (RAQIB_MAX_PIXELS)"
        )
