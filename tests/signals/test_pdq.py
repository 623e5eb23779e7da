from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from threatexchange.signal_type.pdq.signal import PdqSignal

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.errors import InputError
from raqib.signals.base import NoSignal, Signal
from raqib.signals.pdq import PdqSignalType, hamming
from raqib.synthetic import make_image, mirror

PDQ = PdqSignalType()


def _hash(path: Path, settings: Settings | None = None) -> Signal | NoSignal:
    return PDQ.hash(Content.file(path, ContentKind.IMAGE), settings or Settings())


def test_equals_python_threatexchange_on_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    make_image(3).save(path, quality=90)
    signal = _hash(path)
    assert isinstance(signal, Signal)
    assert signal.value == PdqSignal.hash_from_file(path)
    assert signal.quality is not None and signal.quality >= 50


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_every_image_format_hashes_close_to_the_png(tmp_path: Path, fmt: str) -> None:
    image = make_image(5)
    image.save(tmp_path / "ref.png")
    image.save(tmp_path / f"x.{fmt.lower()}", format=fmt)
    reference = _hash(tmp_path / "ref.png")
    other = _hash(tmp_path / f"x.{fmt.lower()}")
    assert isinstance(reference, Signal) and isinstance(other, Signal)
    assert hamming(reference.value, other.value) <= 31


def test_flat_image_yields_no_signal_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "flat.png"
    Image.new("RGB", (200, 200), (120, 120, 120)).save(path)
    outcome = _hash(path)
    assert isinstance(outcome, NoSignal)
    assert "quality" in outcome.reason and "50" in outcome.reason


def test_variants_hold_the_mirror_of_the_image(tmp_path: Path) -> None:
    image = make_image(8)
    image.save(tmp_path / "a.png")
    mirror(image).save(tmp_path / "m.png")
    original, mirrored = _hash(tmp_path / "a.png"), _hash(tmp_path / "m.png")
    assert isinstance(original, Signal) and isinstance(mirrored, Signal)
    assert hamming(original.value, mirrored.value) > 31
    assert min(hamming(v, mirrored.value) for v in original.variants) <= 31
    assert len(original.variants) == 7


def test_truncated_zero_byte_garbage_and_bomb_are_clear_errors(tmp_path: Path) -> None:
    make_image(1).save(tmp_path / "ok.jpg", quality=90)
    data = (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "trunc.jpg").write_bytes(data[: len(data) // 3])
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "junk.jpg").write_bytes(np.random.default_rng(0).bytes(4000))
    Image.new("L", (8000, 8000)).save(tmp_path / "bomb.png")
    for name in ["trunc.jpg", "empty.png", "junk.jpg", "bomb.png"]:
        with pytest.raises(InputError, match=name):
            _hash(tmp_path / name)


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    make_image(2, size=(400, 300)).save(tmp_path / "a.png")
    with pytest.raises(InputError, match="megapixel"):
        _hash(tmp_path / "a.png", Settings(max_pixels=100_000))
    assert isinstance(_hash(tmp_path / "a.png", Settings(max_pixels=200_000)), Signal)


def test_normalize_checks_the_string_form() -> None:
    value = "AB" * 32
    assert PDQ.normalize(f"  {value} ") == value.lower()
    for bad in ["", "ab" * 31, "zz" * 32, "ab" * 33]:
        with pytest.raises(ValueError, match="PDQ"):
            PDQ.normalize(bad)
