"""Synthetic videos for tests and the demo: ffmpeg's generated sources, and near-duplicates.

No real media is involved: `make_video` renders one of ffmpeg's test sources (`testsrc2`,
`mandelbrot`, `smptebars`, `cellauto`, ...) and `reencode`, `rescale` and `trim` make the
near-duplicates users meet. Every function writes `dst` and returns it; a failing ffmpeg raises
RuntimeError with its message. Needs the ffmpeg binary on PATH.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FFMPEG = "ffmpeg"
TIMEOUT_SECONDS = 120.0
# Sources with a `seed` option; the others are deterministic pictures and ignore the seed.
SEEDED_SOURCES = frozenset({"cellauto", "life"})
SOURCES = frozenset(
    {"testsrc", "testsrc2", "mandelbrot", "smptebars", "smptehdbars", "rgbtestsrc", "yuvtestsrc"}
    | {"pal75bars", "pal100bars", "cellauto", "life"}
)
_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")


def make_video(
    path: Path,
    source: str = "testsrc2",
    seconds: float = 6,
    size: str = "320x240",
    seed: int = 0,
    rate: int = 10,
) -> Path:
    """Render `seconds` of an ffmpeg test source as H.264 MP4 (or WebM if path ends .webm)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; use one of {sorted(SOURCES)}")
    options = f"size={size}:rate={rate}"
    if source in SEEDED_SOURCES:
        options += f":seed={seed}"
    graph = f"{source}={options}"
    _ffmpeg("-f", "lavfi", "-i", graph, "-t", f"{seconds}", *_codec(path), dst=path)
    return path


def reencode(src: Path, dst: Path, crf: int = 35) -> Path:
    """Re-encode with H.264 at constant rate factor `crf` (higher = lossier; 51 is the worst)."""
    _ffmpeg("-i", str(src), "-c:v", "libx264", "-crf", str(crf), "-pix_fmt", "yuv420p", dst=dst)
    return dst


def rescale(src: Path, dst: Path, width: int) -> Path:
    """Resize to `width` pixels wide, keeping the aspect ratio (height rounded to even)."""
    _ffmpeg("-i", str(src), "-vf", f"scale={width}:-2", *_codec(dst), dst=dst)
    return dst


def trim(src: Path, dst: Path, start: float, seconds: float) -> Path:
    """Cut `seconds` starting at `start` (re-encoded, so the cut is frame-accurate)."""
    _ffmpeg("-ss", f"{start}", "-i", str(src), "-t", f"{seconds}", *_codec(dst), dst=dst)
    return dst


def _codec(dst: Path) -> tuple[str, ...]:
    if dst.suffix.lower() == ".webm":
        return ("-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k")
    return _X264


def _ffmpeg(*args: str, dst: Path) -> None:
    command = [FFMPEG, "-nostdin", "-v", "error", "-y", *args, "-an", str(dst)]
    result = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", errors="replace").strip()
        raise RuntimeError(f"ffmpeg failed ({result.returncode}): {message[:500]}")
