"""vPDQ: a video signal made of one PDQ hash per second of video, matched frame by frame.

String form (python-threatexchange's `VPDQSignal`): a JSON list of `"<pdq hex>,<quality>,
<timestamp>"` strings, e.g. `["d379...c4ce,100,0.000","1a3d...644e,100,1.000"]`. Raqib writes it
compactly with 3-decimal timestamps; it reads threatexchange's own spacing and timestamp format.

Two videos match when at least 80% of the bank video's unique good frames (PDQ quality >= 50) are
within Hamming distance 31 of some frame of the query (`match_videos`). Hashing decodes the
untrusted video in a child process (the vpdq C++ decoder can abort on corrupt input), after
`probe_video` has checked it against the size and duration limits.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.content.video import VideoInfo, probe_video
from raqib.errors import InputError, RaqibError
from raqib.signals.base import IndexKind, NoSignal, Signal, SignalType

FRAME_THRESHOLD = 31  # largest PDQ Hamming distance between two matching frames
QUALITY_THRESHOLD = 50  # frames below this PDQ quality are ignored when matching
MATCH_PERCENT = 80.0  # share of the bank video's unique frames that must match
SECONDS_PER_HASH = 1.0
TIMESTAMP_DECIMALS = 3
MAX_FRAMES = 100_000  # a signal string with more frames is refused
PDQ_HEX_LENGTH = 64
# The child process may take the video's duration (real time) plus this long.
HASH_TIMEOUT_BASE_SECONDS = 60.0
_CHUNK_ELEMENTS = 1 << 21  # bounds the frame x frame XOR block to 16 MB
_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)

# Runs in a child process: a decoder crash (abort, segfault) must not take Raqib down with it.
# stdout carries the JSON result only; anything the C++ library prints goes to stderr.
_WORKER = """\
import json, os, sys
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
try:
    import vpdq
except ImportError as exc:
    sys.stderr.write(f"\\nvpdq-missing: {exc}\\n")
    sys.exit(4)
try:
    features = vpdq.computeHash(sys.argv[1], seconds_per_hash=float(sys.argv[2]))
except Exception as exc:
    sys.stderr.write(f"\\nvpdq-error: {exc}\\n")
    sys.exit(3)
json.dump([[f.hex, f.quality, f.timestamp] for f in features], out)
out.flush()
"""


@dataclass(frozen=True)
class Frame:
    """One hashed frame: PDQ hash (lower-case hex), PDQ quality 0-100, time in seconds."""

    pdq_hex: str
    quality: int
    timestamp: float

    def __str__(self) -> str:
        return f"{self.pdq_hex},{self.quality},{self.timestamp:.{TIMESTAMP_DECIMALS}f}"


@dataclass(frozen=True)
class VideoMatch:
    """How much of two videos matched, in percent of each one's unique good frames."""

    query_match_percent: float  # query frames that match some bank frame
    compared_match_percent: float  # bank frames that match some query frame

    def is_match(self, min_compared_percent: float = MATCH_PERCENT) -> bool:
        return self.compared_match_percent >= min_compared_percent


def parse_frames(value: str) -> list[Frame]:
    """Parse a vPDQ string (Raqib's or threatexchange's); raises ValueError saying what is wrong."""
    if len(value) > MAX_FRAMES * 100:
        raise ValueError(f"vpdq: value too long ({len(value)} characters)")
    try:
        items = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"vpdq: not a JSON list of frames ({exc.msg})") from None
    if not isinstance(items, list):
        raise ValueError("vpdq: not a JSON list of frames")
    if not items:
        raise ValueError("vpdq: no frames")
    if len(items) > MAX_FRAMES:
        raise ValueError(f"vpdq: {len(items)} frames, more than the limit of {MAX_FRAMES}")
    return [_parse_frame(number, item) for number, item in enumerate(items, start=1)]


def frames_to_value(frames: Iterable[Frame]) -> str:
    """The canonical string form: compact JSON, lower-case hex, 3-decimal timestamps."""
    return json.dumps([str(frame) for frame in frames], separators=(",", ":"))


def match_videos(
    query_frames: Sequence[Frame],
    bank_frames: Sequence[Frame],
    frame_threshold: int = FRAME_THRESHOLD,
    quality_threshold: int = QUALITY_THRESHOLD,
) -> VideoMatch:
    """Compare two videos frame by frame (unique frames of quality >= quality_threshold only).

    Same figures as python-threatexchange's `match_VPDQ_hash_brute`; 0% when either video has
    no good frame.
    """
    query = _hash_matrix(_good_unique(query_frames, quality_threshold))
    bank = _hash_matrix(_good_unique(bank_frames, quality_threshold))
    if len(query) == 0 or len(bank) == 0:
        return VideoMatch(0.0, 0.0)
    query_hits, bank_hits = _cross_hits(query, bank, frame_threshold)
    return VideoMatch(_percent(query_hits), _percent(bank_hits))


class VpdqSignalType(SignalType):
    """vPDQ video hashes. `default_threshold` is the per-frame Hamming distance (31).

    `distance(a, b)` is `100 - compared_match_percent` of query `a` against bank value `b`: 0 when
    every unique good frame of `b` is in `a`, 100 when none is. It is asymmetric and is NOT
    compared with `default_threshold`: a video match is `distance <= 100 - MATCH_PERCENT` (20).
    """

    name: ClassVar[str] = "vpdq"
    content_kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.VIDEO})
    index_kind: ClassVar[IndexKind] = IndexKind.VIDEO
    default_threshold: ClassVar[float] = FRAME_THRESHOLD

    def hash(self, content: Content, settings: Settings) -> Signal | NoSignal:
        if content.kind not in self.content_kinds:
            raise ValueError(f"vpdq hashes video content, not {content.kind}")
        info = probe_video(content.require_path(), settings)
        frames = hash_video(info)
        if not any(frame.quality >= QUALITY_THRESHOLD for frame in frames):
            reason = f"no frame has PDQ quality >= {QUALITY_THRESHOLD} (blank or flat video?)"
            return NoSignal(self.name, reason)
        quality = round(sum(frame.quality for frame in frames) / len(frames))
        return Signal(self.name, frames_to_value(frames), quality=quality)

    def normalize(self, value: str) -> str:
        return frames_to_value(parse_frames(value.strip()))

    def distance(self, a: str, b: str) -> float:
        """100 - percent of bank value b's unique good frames matched by query a (0 = same)."""
        return 100.0 - match_videos(parse_frames(a), parse_frames(b)).compared_match_percent


def hash_video(info: VideoInfo) -> list[Frame]:
    """vPDQ frames of a probed video, one a second; InputError if it cannot be decoded."""
    command = [sys.executable, "-P", "-c", _WORKER, str(info.path.resolve()), str(SECONDS_PER_HASH)]
    timeout = HASH_TIMEOUT_BASE_SECONDS + info.duration
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"{info.path}: video hashing took over {timeout:.0f} s") from None
    if result.returncode != 0:
        raise _hash_error(info.path, result.returncode, result.stderr)
    frames = _worker_frames(info.path, result.stdout)
    if not frames:
        raise InputError(f"{info.path}: no decodable video frames (truncated or corrupt file?)")
    return frames


def _hash_error(path: Path, returncode: int, stderr: bytes) -> RaqibError:
    text = stderr.decode("utf-8", errors="replace")
    if returncode == 4:
        return RaqibError("the vpdq package is not installed: pip install vpdq")
    if returncode < 0:
        reason = f"the decoder crashed, signal {-returncode}"
    else:
        lines = [line for line in text.splitlines() if line.startswith("vpdq-error: ")]
        reason = lines[-1].removeprefix("vpdq-error: ") if lines else f"exit code {returncode}"
    return InputError(f"{path}: video cannot be decoded ({reason}); the file is probably corrupt")


def _worker_frames(path: Path, stdout: bytes) -> list[Frame]:
    try:
        rows = json.loads(stdout)
        return [_parse_frame(n, ",".join(map(str, row))) for n, row in enumerate(rows, start=1)]
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: video hashing gave unreadable output ({exc})") from None


def _parse_frame(number: int, item: object) -> Frame:
    if not isinstance(item, str):
        raise ValueError(f"vpdq: frame {number} is not a string")
    parts = [part.strip() for part in item.split(",")]
    if len(parts) != 3:
        raise ValueError(f"vpdq: frame {number} needs 'hash,quality,timestamp', got {item!r}")
    return Frame(_pdq_hex(number, parts[0]), _quality(number, parts[1]), _time(number, parts[2]))


def _pdq_hex(number: int, text: str) -> str:
    if len(text) != PDQ_HEX_LENGTH:
        raise ValueError(f"vpdq: frame {number} hash must be 64 hex digits, got {len(text)}")
    try:
        int(text, 16)
    except ValueError:
        raise ValueError(f"vpdq: frame {number} hash is not hexadecimal") from None
    return text.lower()


def _quality(number: int, text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise ValueError(f"vpdq: frame {number} quality must be an integer 0-100, got {text!r}")
    return int(text)


def _time(number: int, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"vpdq: frame {number} timestamp must be seconds >= 0, got {text!r}")
    return round(seconds, TIMESTAMP_DECIMALS)


def _good_unique(frames: Iterable[Frame], quality_threshold: int) -> list[str]:
    good = (frame.pdq_hex for frame in frames if frame.quality >= quality_threshold)
    return list(dict.fromkeys(good))


def _hash_matrix(hexes: list[str]) -> npt.NDArray[np.uint64]:
    """One row of four 64-bit words per 256-bit hash."""
    raw = b"".join(bytes.fromhex(h) for h in hexes)
    return np.frombuffer(raw, dtype=np.uint64).reshape(-1, 4)


def _cross_hits(
    query: npt.NDArray[np.uint64], bank: npt.NDArray[np.uint64], threshold: int
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """For each query row and each bank row: is some row of the other side within threshold."""
    query_hits = np.zeros(len(query), dtype=np.bool_)
    bank_hits = np.zeros(len(bank), dtype=np.bool_)
    rows = max(1, _CHUNK_ELEMENTS // (len(bank) * 4))
    for start in range(0, len(query), rows):
        near = _distances(query[start : start + rows], bank) <= threshold
        query_hits[start : start + rows] = near.any(axis=1)
        bank_hits |= near.any(axis=0)
    return query_hits, bank_hits


def _distances(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.int32]:
    """Hamming distances between every row of a and every row of b, shape (len(a), len(b))."""
    xor = a[:, None, :] ^ b[None, :, :]
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        bits: npt.NDArray[np.uint8] = np.bitwise_count(xor)
    else:
        bits = _POPCOUNT8[xor.view(np.uint8)]
    distances: npt.NDArray[np.int32] = bits.sum(axis=2, dtype=np.int32)
    return distances


def _percent(hits: npt.NDArray[np.bool_]) -> float:
    return int(hits.sum()) * 100 / len(hits)  # the same float as threatexchange's
