"""Unicode TR39 confusable skeletons, and the Latin letter a look-alike character stands for.

The data is Unicode's confusables.txt as shipped (package data) by the `confusables` package; it
is parsed once, lazily. The file is found through importlib's spec of the package rather than
importlib.resources.files(), which would import the package and so load its 0.13 s JSON table.
The skeleton algorithm itself is written by hand here: no maintained Python library exposes
TR39's skeleton(X) (the `confusables` package offers regex building and pairwise checks).

skeleton(X) = NFD(map every character of NFD(X) to its prototype) (UTS #39, section 4).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from types import MappingProxyType

_DATA_PACKAGE = "confusables"
_DATA_FILE = ("assets", "confusables.txt")
# "0406 ;\t006C ;\tMA\t# ( І → l ) ...": source code point, prototype code points.
_LINE = re.compile(r"^([0-9A-F]{4,6}) ;\t([0-9A-F ]+?) ;", re.MULTILINE)

# Letters first, so that a prototype shared by a letter and a digit ("l" for l/1/I) reads as
# the letter; then capitals (a Cyrillic small letter may look like a small capital).
_LATIN_TARGETS = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@cache
def prototypes() -> Mapping[str, str]:
    """Source character -> prototype string, from confusables.txt."""
    text = _data_path().read_text(encoding="utf-8-sig")
    table = {chr(int(source, 16)): _code_points(target) for source, target in _LINE.findall(text)}
    return MappingProxyType(table)


def _data_path() -> Path:
    spec = find_spec(_DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {_DATA_PACKAGE!r} package (Unicode confusables data) is missing")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_DATA_FILE)


def _code_points(field: str) -> str:
    return "".join(chr(int(code, 16)) for code in field.split())


def skeleton(text: str) -> str:
    """TR39 skeleton of `text`: two strings are confusable when their skeletons are equal."""
    table = prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(table.get(char, char) for char in decomposed)
    return unicodedata.normalize("NFD", mapped)


@cache
def latin_lookalikes() -> Mapping[str, str]:
    """Non-ASCII character -> the lowercase ASCII letter or digit it is confusable with.

    Two characters are confusable when their skeletons are equal: Cyrillic "і" and Latin "i"
    share the skeleton "i". A character whose skeleton is that of a Latin "m" ("rn") maps to
    "m", not to the prototype. Right-to-left scripts are left out: Arabic ا and ه have the
    prototypes l and o, and folding them would turn Arabic words into Latin ones.
    """
    by_skeleton: dict[str, str] = {}
    for target in _LATIN_TARGETS:
        by_skeleton.setdefault(skeleton(target), target.lower())
    found: dict[str, str] = {}
    for source in prototypes():
        if source.isascii() or _right_to_left(source):
            continue
        if unicodedata.category(source)[0] not in "LN":
            continue
        latin = by_skeleton.get(skeleton(source))
        if latin is not None:
            found[source] = latin
    return MappingProxyType(found)


def _right_to_left(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")
