"""vPDQ: hashing generated videos, near-duplicate matching, string form, hostile input."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from threatexchange.extensions.vpdq.vpdq import VPDQSignal
from threatexchange.extensions.vpdq.vpdq_brute_matcher import match_VPDQ_hash_brute
from threatexchange.extensions.vpdq.vpdq_util import hash_file_compact, json_to_vpdq, vpdq_to_json

import raqib.signals.vpdq as vpdq_module
from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.content.video import looks_like_video, probe_video
from raqib.errors import InputError
from raqib.signals.base import IndexKind, NoSignal, Signal
from raqib.signals.vpdq import (
    Frame,
    VideoMatch,
    VpdqSignalType,
    frames_to_value,
    match_videos,
    parse_frames,
)
from raqib.synthetic_video import make_video, reencode, rescale, trim

SETTINGS = Settings()
VPDQ = VpdqSignalType()
HEX_A = "d3797b367932593269b16f91375833a23ab624d6c4d886d912994935ec66c4ce"
HEX_B = "1a3d193e5932edb231b3383b741a3bd064feb01b39808f799399c947cee4644e"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An original (testsrc2), its near-duplicates, and unrelated sources; about 2 s to make."""
    d = tmp_path_factory.mktemp("videos")
    original = make_video(d / "original.mp4", "testsrc2", seconds=6, size="320x240")
    return {
        "original": original,
        "reencoded": reencode(original, d / "reencoded.mp4", crf=40),
        "smaller": rescale(original, d / "smaller.mp4", 160),
        "larger": rescale(original, d / "larger.mp4", 640),
        "trimmed": trim(original, d / "trimmed.mp4", 1, 4),
        "webm": make_video(d / "original.webm", "testsrc2", seconds=6, size="320x240"),
        "mandelbrot": make_video(d / "mandelbrot.mp4", "mandelbrot", seconds=6, size="320x240"),
        "bars": make_video(d / "bars.mp4", "smptebars", seconds=3, size="320x240"),
        "cells": make_video(d / "cells.mp4", "cellauto", seconds=6, size="320x240", seed=7),
    }


@pytest.fixture(scope="module")
def signals(videos: dict[str, Path]) -> dict[str, Signal]:
    return {name: _signal(path) for name, path in videos.items()}


def _signal(path: Path, settings: Settings = SETTINGS) -> Signal:
    result = VPDQ.hash(Content.file(path, ContentKind.VIDEO), settings)
    assert isinstance(result, Signal), result
    return result


def _ffmpeg(*args: str | Path) -> None:
    """Run ffmpeg for a file the generators in raqib.synthetic_video do not make."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


def _match(query: Signal, bank: Signal) -> VideoMatch:
    return match_videos(parse_frames(query.value), parse_frames(bank.value))


# --- the signal type -------------------------------------------------------------------------


def test_declares_the_interface() -> None:
    assert VPDQ.name == "vpdq"
    assert VPDQ.content_kinds == {ContentKind.VIDEO}
    assert VPDQ.index_kind is IndexKind.VIDEO
    assert VPDQ.default_threshold == 31


def test_hash_gives_one_frame_a_second(signals: dict[str, Signal]) -> None:
    signal = signals["original"]
    frames = parse_frames(signal.value)
    assert signal.signal_type == "vpdq"
    assert [f.timestamp for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert signal.quality == round(sum(f.quality for f in frames) / len(frames))
    assert signal.quality >= 50
    assert VPDQ.normalize(signal.value) == signal.value  # hashing yields the canonical form


@pytest.mark.parametrize("copy", ["original", "reencoded", "smaller", "larger", "webm"])
def test_near_duplicates_match(signals: dict[str, Signal], copy: str) -> None:
    result = _match(signals[copy], signals["original"])
    assert result.is_match(), result
    assert result.compared_match_percent >= 80.0
    assert VPDQ.distance(signals[copy].value, signals["original"].value) <= 20.0


def test_identical_video_has_distance_zero(signals: dict[str, Signal]) -> None:
    value = signals["original"].value
    assert _match(signals["original"], signals["original"]) == VideoMatch(100.0, 100.0)
    assert VPDQ.distance(value, value) == 0.0


@pytest.mark.parametrize("other", ["mandelbrot", "bars", "cells"])
def test_unrelated_videos_do_not_match(signals: dict[str, Signal], other: str) -> None:
    result = _match(signals[other], signals["original"])
    assert not result.is_match()
    assert result.compared_match_percent < 20.0
    assert VPDQ.distance(signals[other].value, signals["original"].value) > 80.0


def test_trimmed_query_covers_only_part_of_the_bank_video(signals: dict[str, Signal]) -> None:
    # A 4 s excerpt: all of its frames are in the original, not all of the original in it.
    excerpt_as_query = _match(signals["trimmed"], signals["original"])
    assert excerpt_as_query.query_match_percent == 100.0
    assert not excerpt_as_query.is_match()
    assert _match(signals["original"], signals["trimmed"]).is_match()


def test_static_video_dedupes_to_one_unique_frame(signals: dict[str, Signal]) -> None:
    frames = parse_frames(signals["bars"].value)
    assert len(frames) == 3
    assert len({f.pdq_hex for f in frames}) == 1
    assert _match(signals["bars"], signals["bars"]).compared_match_percent == 100.0


def test_a_flat_video_has_no_signal(tmp_path: Path) -> None:
    flat = tmp_path / "black.mp4"  # a single-colour frame has PDQ quality 0
    _ffmpeg("-f", "lavfi", "-i", "color=black:s=160x120:r=5", "-t", "2", "-c:v", "libx264", flat)
    result = VPDQ.hash(Content.file(flat, ContentKind.VIDEO), SETTINGS)
    assert isinstance(result, NoSignal)
    assert result.signal_type == "vpdq"
    assert "quality" in result.reason


# --- matching (pure) -------------------------------------------------------------------------


def _flip(pdq_hex: str, bits: int) -> str:
    """The hash with its lowest `bits` bits inverted (Hamming distance `bits`)."""
    return f"{int(pdq_hex, 16) ^ ((1 << bits) - 1):064x}"


def test_match_respects_frame_and_quality_thresholds() -> None:
    bank = [Frame(HEX_A, 100, 0.0), Frame(HEX_B, 100, 1.0)]
    query = [Frame(_flip(HEX_A, 31), 100, 0.0), Frame(_flip(HEX_B, 32), 100, 1.0)]
    assert match_videos(query, bank) == VideoMatch(50.0, 50.0)
    assert match_videos(query, bank, frame_threshold=32) == VideoMatch(100.0, 100.0)
    low = [Frame(HEX_A, 49, 0.0), Frame(HEX_B, 100, 1.0)]
    assert match_videos(low, bank) == VideoMatch(100.0, 50.0)
    assert match_videos(low, bank, quality_threshold=40) == VideoMatch(100.0, 100.0)


def test_match_counts_unique_frames_and_handles_empty_sides() -> None:
    bank = [Frame(HEX_A, 100, float(t)) for t in range(9)] + [Frame(HEX_B, 100, 9.0)]
    query = [Frame(HEX_A, 100, 0.0)]
    assert match_videos(query, bank) == VideoMatch(100.0, 50.0)  # 1 of 2 unique bank frames
    assert match_videos([], bank) == VideoMatch(0.0, 0.0)
    assert match_videos([Frame(HEX_A, 10, 0.0)], bank) == VideoMatch(0.0, 0.0)
    assert not VideoMatch(0.0, 79.9).is_match()
    assert VideoMatch(0.0, 80.0).is_match()
    assert VideoMatch(0.0, 60.0).is_match(min_compared_percent=50.0)


def _random_frames(rng: random.Random, count: int, quality: int = 100) -> list[Frame]:
    return [Frame(f"{rng.getrandbits(256):064x}", quality, float(t)) for t in range(count)]


def test_match_agrees_with_threatexchange() -> None:
    rng = random.Random(5)
    bank = _random_frames(rng, 30) + _random_frames(rng, 5, quality=40)
    near = [Frame(_flip(f.pdq_hex, 25 + i % 12), 90, f.timestamp) for i, f in enumerate(bank)]
    query = near[:24] + _random_frames(rng, 16)
    ours = match_videos(query, bank)
    theirs = match_VPDQ_hash_brute(
        json_to_vpdq(frames_to_value(query)), json_to_vpdq(frames_to_value(bank)), 50, 31
    )
    assert ours.query_match_percent == theirs.query_match_percent
    assert ours.compared_match_percent == theirs.compared_match_percent
    assert 0 < ours.compared_match_percent < 100


def test_match_in_chunks_gives_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(6)
    bank = _random_frames(rng, 2000)
    query = [Frame(_flip(f.pdq_hex, 20), 90, f.timestamp) for f in bank[:1700]]
    query += _random_frames(rng, 300)
    whole = match_videos(query, bank)
    assert whole == VideoMatch(85.0, 85.0)
    monkeypatch.setattr(vpdq_module, "_CHUNK_ELEMENTS", 4 * 2000 * 7)  # 7 query rows a block
    assert match_videos(query, bank) == whole


def test_match_without_numpy_bitwise_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy < 2 has no bitwise_count; the byte lookup table must give the same distances."""
    rng = random.Random(7)
    bank = _random_frames(rng, 50)
    query = [Frame(_flip(f.pdq_hex, 5 * (i % 10)), 90, 0.0) for i, f in enumerate(bank)]
    with_popcount = match_videos(query, bank)
    monkeypatch.delattr(vpdq_module.np, "bitwise_count")
    assert match_videos(query, bank) == with_popcount == VideoMatch(70.0, 70.0)


# --- string form -----------------------------------------------------------------------------


def test_value_round_trips() -> None:
    frames = [Frame(HEX_A, 100, 0.0), Frame(HEX_B, 87, 1.5), Frame(HEX_B, 3, 123.4567)]
    value = frames_to_value(frames)
    assert value == (f'["{HEX_A},100,0.000","{HEX_B},87,1.500","{HEX_B},3,123.457"]')
    assert parse_frames(value) == [*frames[:2], Frame(HEX_B, 3, 123.457)]
    assert VPDQ.normalize(value) == value
    assert VPDQ.parse(value) == Signal("vpdq", value)


def test_normalize_accepts_threatexchange_spacing_and_case() -> None:
    spaced = json.dumps([f"{HEX_A.upper()},100,0.0", f"{HEX_B},90,1e+02"], indent=2)
    assert VPDQ.normalize(f"  {spaced}\n") == f'["{HEX_A},100,0.000","{HEX_B},90,100.000"]'


def test_parses_threatexchange_output_and_threatexchange_parses_ours(
    videos: dict[str, Path], signals: dict[str, Signal]
) -> None:
    theirs = vpdq_to_json(hash_file_compact(str(videos["original"])))
    ours = signals["original"].value
    assert theirs != ours  # spacing and timestamp format differ ...
    assert VPDQ.normalize(theirs) == ours  # ... the frames do not
    back = json_to_vpdq(ours)
    assert [(f.pdq_hex, f.quality, f.timestamp) for f in back] == [
        (f.pdq_hex, f.quality, f.timestamp) for f in parse_frames(ours)
    ]
    assert VPDQSignal.validate_signal_str(ours)
    assert VPDQSignal.compare_hash(ours, VPDQ.normalize(theirs)).match
    for example in VPDQSignal.get_examples():
        assert parse_frames(VPDQ.normalize(example)) == parse_frames(example)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "not a JSON list"),
        ("not json", "not a JSON list"),
        ('{"a": 1}', "not a JSON list"),
        ("[]", "no frames"),
        ("[1]", "frame 1 is not a string"),
        (f'["{HEX_A},100"]', "hash,quality,timestamp"),
        (f'["{HEX_A},100,0,9"]', "hash,quality,timestamp"),
        (f'["{HEX_A[:-1]},100,0"]', "64 hex digits, got 63"),
        (f'["{HEX_A}0,100,0"]', "64 hex digits, got 65"),
        (f'["{"g" * 64},100,0"]', "not hexadecimal"),
        (f'["{HEX_A},100,0", "{HEX_A},101,1"]', "frame 2 quality must be an integer 0-100"),
        (f'["{HEX_A},-1,0"]', "quality must be an integer 0-100"),
        (f'["{HEX_A},9.5,0"]', "quality must be an integer 0-100"),
        (f'["{HEX_A},100,-1.0"]', "timestamp must be seconds >= 0"),
        (f'["{HEX_A},100,nan"]', "timestamp must be seconds >= 0"),
        (f'["{HEX_A},100,inf"]', "timestamp must be seconds >= 0"),
        (f'["{HEX_A},100,soon"]', "timestamp must be seconds >= 0"),
    ],
)
def test_normalize_rejects_malformed_values(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        VPDQ.normalize(value)


def test_normalize_rejects_too_many_frames() -> None:
    value = json.dumps([f"{HEX_A},100,{t}" for t in range(vpdq_module.MAX_FRAMES + 1)])
    with pytest.raises(ValueError, match="more than the limit"):
        VPDQ.normalize(value)


# --- hostile and unusable input --------------------------------------------------------------


def _hash_error(path: Path, settings: Settings = SETTINGS) -> str:
    with pytest.raises(InputError) as caught:
        VPDQ.hash(Content.file(path, ContentKind.VIDEO), settings)
    message = str(caught.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    assert "empty" in _hash_error(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _hash_error(tmp_path / "missing.mp4")


def test_garbage_bytes_named_mp4(tmp_path: Path) -> None:
    path = tmp_path / "garbage.mp4"
    path.write_bytes(bytes(range(256)) * 40)
    assert "not a readable video" in _hash_error(path)


def test_truncated_video(videos: dict[str, Path], tmp_path: Path) -> None:
    data = videos["original"].read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[: len(data) // 3])  # the index (moov) is at the end: cut off
    assert "not a readable video" in _hash_error(path)


def test_truncated_streamable_video(videos: dict[str, Path], tmp_path: Path) -> None:
    # With the index first (faststart), a cut file probes but its frames do not all decode.
    fast = tmp_path / "fast.mp4"
    _ffmpeg("-i", str(videos["original"]), "-c", "copy", "-movflags", "+faststart", fast)
    data = fast.read_bytes()
    for cut in (len(data) // 20, len(data) // 2):
        path = tmp_path / f"cut{cut}.mp4"
        path.write_bytes(data[:cut])
        try:
            signal = _signal(path)
        except InputError as exc:
            assert str(path) in str(exc)
        else:  # what decodes of the beginning is still a usable signal
            assert parse_frames(signal.value)


def test_video_over_the_duration_limit(videos: dict[str, Path]) -> None:
    message = _hash_error(videos["original"], SETTINGS.with_changes(max_video_seconds=5))
    assert "over the limit of 5 s" in message


def test_video_over_the_pixel_limit(videos: dict[str, Path]) -> None:
    message = _hash_error(videos["original"], SETTINGS.with_changes(max_pixels=320 * 239))
    assert "320x240" in message


def test_an_image_is_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "picture.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x48", "-frames:v", "1", "-f", "image2", path)
    assert "not a supported video container" in _hash_error(path)


def test_a_decoder_crash_is_an_input_error(
    videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vpdq_module, "_WORKER", "import os; os.abort()")
    assert "decoder crashed" in _hash_error(videos["original"])


def test_probe_describes_the_video(videos: dict[str, Path]) -> None:
    info = probe_video(videos["webm"], SETTINGS)
    assert (info.width, info.height, info.codec) == (320, 240, "vp8")
    assert info.duration == pytest.approx(6.0, abs=0.1)
    assert "webm" in info.container


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", True),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", True),
        (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1f", True),
        (b"RIFF\x10\x00\x00\x00AVI LIST", True),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", False),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", False),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", False),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\r", False),
        (b"", False),
    ],
)
def test_looks_like_video(head: bytes, expected: bool) -> None:
    assert looks_like_video(head) is expected


def test_sniffs_generated_files(videos: dict[str, Path]) -> None:
    for name in ("original", "webm"):
        assert looks_like_video(videos[name].read_bytes()[:16])
