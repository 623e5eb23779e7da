"""Synthetic, neutral test images and files: deterministic from a seed, Pillow + numpy.

`make_image(seed)` draws a gradient, 30-60 random shapes, light noise and a label such as
"sample 17". Unrelated seeds land about 128 bits apart in PDQ and PDQ quality is 100.

Near-duplicate transforms and their typical PDQ drift in bits, measured with pdqhash 0.2.8 on
200 images of 640x480 the way `write_corpus` plants them: the original saved as JPEG (quality
90) and decoded, transformed, saved again as JPEG (quality 90) and decoded, and compared with the
original's hash; the distance is the best of the 8 rotations/mirrors of the near-duplicate (as a
query tries them). "> 31" counts images that would not match at the default threshold.

==================  ======  ====  ===  ========
transform           median  p95   max  > 31
==================  ======  ====  ===  ========
reencode_jpeg q40   2       4     4    0/200
resize_half         6       12    18   0/200
crop_edges 1%       20      28    34   5/200
watermark           4       10    18   0/200
mirror              4       8     10   0/200
rotate90            4       8     10   0/200
colour_shift        4       8     14   0/200
crop_edges 0.5%     10      16    20   0/200
crop_edges 2%       38      52    66   171/200
crop_edges 5%       84      102   120  200/200
==================  ======  ====  ===  ========

(The non-zero drift of mirror and rotate90 is the second JPEG generation, not PDQ.) PDQ
tolerates small crops only: about 20 bits at 1% per edge, so a 1% crop occasionally misses and
anything from 2% on usually does. Unrelated images: over 39,800 ordered pairs the best of the 8
variants was at least 84 bits apart (1st percentile 104, median 116; without variants the
minimum was 98 and the median 128), far beyond the threshold of 31.

`write_corpus(directory)` lays out a demo corpus (originals, planted near-duplicates, unrelated
images, other files and bad files) and checks with pdqhash, as it writes, that every planted
near-duplicate is within 31 of its original for some rotation/mirror and every unrelated image
is more than 31 from all originals for all of them. Because a 1% crop misses on about 1 image
in 40, a transform that misses is planted on the next original instead (and `CorpusError` is
raised if no original tolerates it). Video lives in `raqib.synthetic_video`.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont, ImageOps

Transform = Callable[[Image.Image], Image.Image]
Rgb = tuple[int, int, int]

PDQ_MATCH_THRESHOLD = 31
MANIFEST_NAME = "manifest.json"
_MAX_ATTEMPTS = 50

# ---------------------------------------------------------------------------------------------
# Images


def make_image(
    seed: int, size: tuple[int, int] = (640, 480), *, label: str | None = None
) -> Image.Image:
    """A rich, distinct RGB image drawn from `seed`: the same seed always gives the same pixels.

    `label` is the short neutral text drawn on it (default "sample <seed>").
    """
    rng = np.random.default_rng(seed)
    image = Image.fromarray(_gradient(rng, size), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(30, 61))):
        _draw_shape(draw, rng, size)
    _draw_label(draw, rng, size, f"sample {seed}" if label is None else label)
    return Image.fromarray(_add_noise(np.asarray(image), rng), "RGB")


def _gradient(rng: np.random.Generator, size: tuple[int, int]) -> NDArray[np.uint8]:
    width, height = size
    start = rng.uniform(0, 255, 3).astype(np.float32)
    end = rng.uniform(0, 255, 3).astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    xs = np.linspace(0.0, np.cos(angle), width, dtype=np.float32)[None, :]
    ys = np.linspace(0.0, np.sin(angle), height, dtype=np.float32)[:, None]
    t: NDArray[np.float32] = xs + ys
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    pixels: NDArray[np.float32] = start + t[:, :, None] * (end - start)
    return pixels.astype(np.uint8)


def _colour(rng: np.random.Generator) -> Rgb:
    r, g, b = (int(v) for v in rng.integers(0, 256, 3))
    return (r, g, b)


def _box(rng: np.random.Generator, size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = size
    w = int(rng.integers(width // 10, width // 2))
    h = int(rng.integers(height // 10, height // 2))
    x = int(rng.integers(-w // 4, width - w // 2))
    y = int(rng.integers(-h // 4, height - h // 2))
    return (x, y, x + w, y + h)


def _draw_shape(draw: ImageDraw.ImageDraw, rng: np.random.Generator, size: tuple[int, int]) -> None:
    kind = int(rng.integers(0, 4))
    colour = _colour(rng)
    box = _box(rng, size)
    if kind == 0:
        draw.ellipse(box, fill=colour)
    elif kind == 1:
        draw.rectangle(box, fill=colour)
    elif kind == 2:
        draw.polygon(_polygon(rng, box), fill=colour)
    else:
        draw.line(box, fill=colour, width=int(rng.integers(3, 12)))


def _polygon(rng: np.random.Generator, box: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    x0, y0, x1, y1 = box
    points = int(rng.integers(3, 7))
    return [(int(rng.integers(x0, x1 + 1)), int(rng.integers(y0, y1 + 1))) for _ in range(points)]


def _draw_label(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, size: tuple[int, int], text: str
) -> None:
    width, height = size
    font = ImageFont.load_default(size=max(10, height // 16))
    x = int(rng.integers(0, max(1, width // 2)))
    y = int(rng.integers(0, max(1, height - height // 8)))
    draw.text((x, y), text, fill=_colour(rng), font=font)


def _add_noise(pixels: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    noise = rng.integers(-10, 11, size=pixels.shape, dtype=np.int16)
    noisy: NDArray[np.int16] = np.clip(pixels.astype(np.int16) + noise, 0, 255)
    return noisy.astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Near-duplicate transforms (Image -> Image)


def reencode_jpeg(img: Image.Image, quality: int = 40) -> Image.Image:
    """Round-trip through JPEG bytes at `quality`."""
    buffer = io.BytesIO()
    img.convert("RGB").save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def resize_half(img: Image.Image) -> Image.Image:
    """Half the width and height (Lanczos)."""
    width, height = img.size
    return img.resize((max(1, width // 2), max(1, height // 2)), Image.Resampling.LANCZOS)


def crop_edges(img: Image.Image, fraction: float = 0.01) -> Image.Image:
    """Crop `fraction` of the width/height off each of the four edges."""
    width, height = img.size
    dx = round(width * fraction)
    dy = round(height * fraction)
    return img.crop((dx, dy, width - dx, height - dy))


def watermark(img: Image.Image, text: str = "sample watermark") -> Image.Image:
    """Small white text with a dark outline in the bottom-right corner."""
    out = img.convert("RGB")
    draw = ImageDraw.Draw(out)
    width, height = out.size
    font = ImageFont.load_default(size=max(8, height // 30))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    margin = max(2, width // 100)
    xy = (width - (right - left) - margin, height - (bottom - top) - margin - top)
    draw.text(xy, text, fill=(255, 255, 255), font=font, stroke_width=1, stroke_fill=(0, 0, 0))
    return out


def mirror(img: Image.Image) -> Image.Image:
    """Left-right mirror."""
    return ImageOps.mirror(img)


def rotate90(img: Image.Image) -> Image.Image:
    """A quarter turn anticlockwise."""
    return img.transpose(Image.Transpose.ROTATE_90)


def colour_shift(img: Image.Image) -> Image.Image:
    """Warm the colours: scale red up, blue down, and lift the shadows a little."""
    pixels = np.asarray(img.convert("RGB")).astype(np.float64)
    shifted = pixels * np.array([1.08, 1.0, 0.85]) + np.array([12.0, 6.0, 0.0])
    return Image.fromarray(np.clip(shifted, 0, 255).astype(np.uint8), "RGB")


NEAR_DUPLICATE_TRANSFORMS: dict[str, Transform] = {
    "reencode_jpeg": reencode_jpeg,
    "resize_half": resize_half,
    "crop_edges": crop_edges,
    "watermark": watermark,
    "mirror": mirror,
    "rotate90": rotate90,
    "colour_shift": colour_shift,
}


# ---------------------------------------------------------------------------------------------
# PDQ helpers (pdqhash directly, so the corpus check does not depend on the rest of Raqib)


def pdq_bits(img: Image.Image) -> NDArray[np.uint8]:
    """The 256 PDQ bits of an image, as 0/1 uint8."""
    bits, _quality = pdqhash.compute(np.asarray(img.convert("RGB")))
    return np.asarray(bits, dtype=np.uint8)


def pdq_quality(img: Image.Image) -> int:
    _bits, quality = pdqhash.compute(np.asarray(img.convert("RGB")))
    return int(quality)


def pdq_dihedral_bits(img: Image.Image) -> NDArray[np.uint8]:
    """The PDQ bits of the 8 rotations/mirrors of an image, shape (8, 256)."""
    hashes, _qualities = pdqhash.compute_dihedral(np.asarray(img.convert("RGB")))
    return np.asarray(hashes, dtype=np.uint8)


def best_distance(query_variants: NDArray[np.uint8], stored: NDArray[np.uint8]) -> int:
    """Smallest Hamming distance from any query variant (8, 256) to a stored hash (256,)."""
    return int(np.min(np.count_nonzero(query_variants != stored[None, :], axis=1)))


def load_image(path: Path) -> Image.Image:
    """Decode a file as RGB the way the scanner does (first frame, convert to RGB)."""
    with Image.open(path) as img:
        img.seek(0)
        return img.convert("RGB")


# ---------------------------------------------------------------------------------------------
# Corpus

ORIGINAL_EXTRA_FORMATS = ("png", "webp", "bmp", "gif", "tiff")
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "jpg": {"format": "JPEG", "quality": 90},
    "png": {"format": "PNG"},
    "webp": {"format": "WEBP", "quality": 90},
    "bmp": {"format": "BMP"},
    "gif": {"format": "GIF"},
    "tiff": {"format": "TIFF", "compression": "tiff_deflate"},
}
_NOTES = (
    "Weather: light rain in the morning, clearing by the afternoon.\n"
    "Transport: the number 12 bus runs every ten minutes on weekdays.\n"
    "Lecture: an introduction to the history of mathematics, room 4, at noon.\n"
)
_TABLE = (
    "date,index,close,change\n"
    "2024-03-01,sample composite,1043.20,+0.4\n"
    "2024-03-02,sample composite,1039.75,-0.3\n"
    "2024-03-03,sample composite,1051.10,+1.1\n"
)


class CorpusError(RuntimeError):
    """The synthetic corpus failed its own PDQ checks (a transform PDQ does not tolerate)."""


@dataclass(frozen=True)
class NearDuplicate:
    """A planted near-duplicate: `path` derives from `original` via `transform`.

    `distance` is the best PDQ Hamming distance from the 8 rotations/mirrors of `path` to the
    PDQ of `original` (both decoded from file), at most 31 by construction.
    """

    path: str
    original: str
    transform: str
    distance: int


@dataclass(frozen=True)
class CorpusManifest:
    """What `write_corpus` wrote. Paths are POSIX paths relative to `root`."""

    root: Path
    seed: int
    originals: tuple[str, ...]
    near_duplicates: tuple[NearDuplicate, ...]
    unrelated: tuple[str, ...]
    other_files: tuple[str, ...]
    bad_files: tuple[str, ...]
    threshold: int = PDQ_MATCH_THRESHOLD
    # Smallest PDQ distance from any unrelated image (any variant) to any original.
    unrelated_min_distance: int = 256

    def path(self, relative: str) -> Path:
        return self.root / relative

    def all_files(self) -> list[str]:
        near = [n.path for n in self.near_duplicates]
        groups = (self.originals, near, self.unrelated, self.other_files, self.bad_files)
        return [p for group in groups for p in group]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["root"]
        return data

    def write(self) -> Path:
        target = self.root / MANIFEST_NAME
        target.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return target

    @classmethod
    def from_dict(cls, data: dict[str, Any], root: Path) -> CorpusManifest:
        return cls(
            root=root,
            seed=int(data["seed"]),
            originals=tuple(data["originals"]),
            near_duplicates=tuple(NearDuplicate(**n) for n in data["near_duplicates"]),
            unrelated=tuple(data["unrelated"]),
            other_files=tuple(data["other_files"]),
            bad_files=tuple(data["bad_files"]),
            threshold=int(data.get("threshold", PDQ_MATCH_THRESHOLD)),
            unrelated_min_distance=int(data.get("unrelated_min_distance", 256)),
        )

    @classmethod
    def load(cls, directory: Path) -> CorpusManifest:
        data = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
        return cls.from_dict(data, directory)


def derive_seed(seed: int, stream: str, index: int, attempt: int = 0) -> int:
    """A stable 31-bit seed for item `index` of `stream` (independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256(f"{seed}:{stream}:{index}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def write_corpus(
    directory: Path, n_originals: int = 12, seed: int = 0, *, n_unrelated: int | None = None
) -> CorpusManifest:
    """Write a demo corpus under `directory` and return (and write) its manifest.

    Layout: `originals/orig_XX.<ext>` (JPEG, the last few as PNG, WebP, BMP, GIF and TIFF),
    `near/<transform>__orig_XX.jpg` (each transform in `NEAR_DUPLICATE_TRANSFORMS` planted at
    least once), `unrelated/unrelated_XX.jpg`, `other/` (text, CSV, random bytes) and `bad/`
    (a truncated JPEG, a zero-byte PNG, random bytes named .jpg), plus `manifest.json`.

    Checked with pdqhash while writing: originals are more than 31 apart, every near-duplicate is
    within 31 of its original for some rotation/mirror (a transform is planted on the next
    original that tolerates it; `CorpusError` if none does), and every unrelated image is more
    than 31 from every original for all 8 variants (redrawn with another seed if not).
    """
    if n_originals < 1:
        raise ValueError("n_originals must be at least 1")
    root = Path(directory)
    for sub in ("originals", "near", "unrelated", "other", "bad"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    originals, bank = _write_originals(root, n_originals, seed)
    near = _write_near_duplicates(root, originals, bank)
    count = n_unrelated if n_unrelated is not None else max(3, n_originals // 2)
    unrelated, unrelated_min = _write_unrelated(root, count, seed, bank)
    manifest = CorpusManifest(
        root=root,
        seed=seed,
        originals=tuple(originals),
        near_duplicates=tuple(near),
        unrelated=tuple(unrelated),
        other_files=tuple(_write_other_files(root, seed)),
        bad_files=tuple(_write_bad_files(root, seed)),
        unrelated_min_distance=unrelated_min,
    )
    manifest.write()
    return manifest


def _original_extension(index: int, count: int) -> str:
    extras = ORIGINAL_EXTRA_FORMATS[: max(0, count - 1)]
    offset = index - (count - len(extras))
    return extras[offset] if offset >= 0 else "jpg"


def _save(img: Image.Image, path: Path) -> None:
    options = dict(_SAVE_OPTIONS[path.suffix.lstrip(".").lower()])
    img.save(path, **options)


def _write_originals(
    root: Path, count: int, seed: int
) -> tuple[list[str], list[NDArray[np.uint8]]]:
    names: list[str] = []
    bank: list[NDArray[np.uint8]] = []
    for index in range(count):
        name = f"originals/orig_{index:02d}.{_original_extension(index, count)}"
        bits = _write_distinct(root / name, seed, "original", index, bank, f"sample {index}")
        names.append(name)
        bank.append(bits)
    return names, bank


def _write_distinct(
    path: Path,
    seed: int,
    stream: str,
    index: int,
    bank: Sequence[NDArray[np.uint8]],
    label: str,
) -> NDArray[np.uint8]:
    """Write an image more than 31 from every hash in `bank` (all variants); return its PDQ."""
    for attempt in range(_MAX_ATTEMPTS):
        _save(make_image(derive_seed(seed, stream, index, attempt), label=label), path)
        decoded = load_image(path)
        if pdq_quality(decoded) >= 50 and _min_distance(decoded, bank) > PDQ_MATCH_THRESHOLD:
            return pdq_bits(decoded)
    raise CorpusError(f"{path}: no seed gave an image far from the others")


def _min_distance(img: Image.Image, bank: Sequence[NDArray[np.uint8]]) -> int:
    if not bank:
        return 256
    variants = pdq_dihedral_bits(img)
    return min(best_distance(variants, stored) for stored in bank)


def _write_near_duplicates(
    root: Path, originals: list[str], bank: list[NDArray[np.uint8]]
) -> list[NearDuplicate]:
    decoded = [load_image(root / name) for name in originals]
    count = max(len(NEAR_DUPLICATE_TRANSFORMS), (2 * len(originals)) // 3)
    names = list(NEAR_DUPLICATE_TRANSFORMS)
    planted: list[NearDuplicate] = []
    for k in range(count):
        taken = {near.path for near in planted}
        planted.append(_plant(root, names[k % len(names)], k, originals, decoded, bank, taken))
    return planted


def _plant(
    root: Path,
    transform: str,
    start: int,
    originals: list[str],
    decoded: list[Image.Image],
    bank: list[NDArray[np.uint8]],
    taken: set[str],
) -> NearDuplicate:
    """Plant `transform` on original `start`, or the next original that PDQ says tolerates it."""
    function = NEAR_DUPLICATE_TRANSFORMS[transform]
    for step in range(len(originals)):
        index = (start + step) % len(originals)
        name = f"near/{transform}__{Path(originals[index]).stem}.jpg"
        if name in taken:
            continue
        _save(function(decoded[index]), root / name)
        distance = best_distance(pdq_dihedral_bits(load_image(root / name)), bank[index])
        if distance <= PDQ_MATCH_THRESHOLD:
            return NearDuplicate(name, originals[index], transform, distance)
        (root / name).unlink()
    raise CorpusError(f"PDQ does not tolerate {transform!r} on any free original (distance > 31)")


def _write_unrelated(
    root: Path, count: int, seed: int, bank: list[NDArray[np.uint8]]
) -> tuple[list[str], int]:
    names: list[str] = []
    closest = 256
    for index in range(count):
        name = f"unrelated/unrelated_{index:02d}.jpg"
        _write_distinct(root / name, seed, "unrelated", index, bank, f"other {index}")
        closest = min(closest, _min_distance(load_image(root / name), bank))
        names.append(name)
    return names, closest


def _write_other_files(root: Path, seed: int) -> list[str]:
    rng = np.random.default_rng(derive_seed(seed, "other", 0))
    (root / "other/notes.txt").write_text(_NOTES, encoding="utf-8")
    (root / "other/table.csv").write_text(_TABLE, encoding="utf-8")
    (root / "other/blob.bin").write_bytes(rng.bytes(4096))
    return ["other/notes.txt", "other/table.csv", "other/blob.bin"]


def _write_bad_files(root: Path, seed: int) -> list[str]:
    rng = np.random.default_rng(derive_seed(seed, "bad", 0))
    buffer = io.BytesIO()
    make_image(derive_seed(seed, "bad", 1), label="broken").save(buffer, format="JPEG")
    data = buffer.getvalue()
    (root / "bad/truncated.jpg").write_bytes(data[: len(data) // 3])
    (root / "bad/empty.png").write_bytes(b"")
    (root / "bad/random_bytes.jpg").write_bytes(rng.bytes(2048))
    return ["bad/truncated.jpg", "bad/empty.png", "bad/random_bytes.jpg"]
