"""Decode untrusted image files into RGB pixel arrays, within limits."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from raqib.config import Settings
from raqib.errors import InputError

IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "MPO"})


def load_rgb(path: Path, settings: Settings) -> NDArray[np.uint8]:
    """Decode the image (first frame of an animation) at `path` as an H x W x 3 uint8 array.

    The pixel count is checked against `settings.max_pixels` from the header, before any pixel
    is decoded, so a decompression bomb costs nothing.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                _check_header(path, image, settings)
                image.seek(0)
                rgb = image.convert("RGB")
                return np.asarray(rgb, dtype=np.uint8)
    except InputError:
        raise
    except Image.DecompressionBombError as exc:
        raise InputError(f"{path}: image too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise InputError(f"{path}: not a readable image (unknown or corrupt format)") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"{path}: corrupt or truncated image ({_short(exc)})") from exc


def _check_header(path: Path, image: Image.Image, settings: Settings) -> None:
    if image.format not in IMAGE_FORMATS:
        raise InputError(f"{path}: unsupported image format {image.format}")
    width, height = image.size
    if width <= 0 or height <= 0:
        raise InputError(f"{path}: image has no pixels")
    pixels = width * height
    if pixels > settings.max_pixels:
        raise InputError(
            f"{path}: image is {width}x{height} = {pixels / 1e6:.0f} megapixels, over the "
            f"{settings.max_pixels / 1e6:.0f} megapixel limit (raise RAQIB_MAX_PIXELS to allow it)"
        )


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
