"""The trainable context classifier: which of the five contexts a text is written in.

Features are the character n-grams (2-5, within words padded with a space, as scikit-learn's
`char_wb` makes them) of the text's plain form (`raqib.text.normalize.plain_form`: marks,
tatweel, zero-width and bidi characters dropped, letter variants and digits folded, casefolded),
hashed into 2**18 buckets, weighted by TF-IDF (sublinear term frequency, IDF fitted with
scikit-learn's TfidfTransformer) and scaled to unit length. A linear SVM (LinearSVC) scores each
context, and Platt's sigmoid per context, fitted on 5-fold out-of-fold scores
(CalibratedClassifierCV(method="sigmoid", ensemble=False)), turns the scores into probabilities.

A model is stored without pickle: `<directory>/<version>/weights.npz` holds plain float64 arrays
(idf, coef, intercept, calibration_a, calibration_b) and `model.json` the metadata with the
sha256 of weights.npz, which `load` checks before reading any array. Inference needs neither
scikit-learn nor the training data: two numba kernels count the n-grams and take the TF-IDF dot
products, and numpy applies the calibration (tests pin the result to scikit-learn's own within
1e-9).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

import numba
import numpy as np
import scipy.sparse
from numpy.typing import NDArray
from scipy.special import expit

from raqib.errors import ImportFormatError, InputError
from raqib.text.context_rules import CONTEXTS
from raqib.text.normalize import plain_form

__all__ = [
    "CONTEXTS",
    "MODEL_FORMAT",
    "LabelledText",
    "TextModel",
    "char_ngram_counts",
    "read_labelled",
    "train",
]

MODEL_FORMAT = 1
MODEL_KIND = "raqib-context-model"
N_FEATURES = 2**18
NGRAM_RANGE = (2, 5)
MAX_TEXT_CHARS = 20_000  # a longer text is classified on its first 20,000 characters
CV_FOLDS = 5
SVM_C = 0.5
MAX_LABELLED_FILE_BYTES = 1 << 30
MAX_LINE_BYTES = 1 << 20
MAX_METADATA_BYTES = 1 << 20
MAX_WEIGHTS_BYTES = 64 << 20
_BATCH_CHARS = 1 << 18  # texts are featurised in batches of about this many characters
_WEIGHT_NAMES = ("idf", "coef", "intercept", "calibration_a", "calibration_b")
_VERSION = re.compile(r"context-\d{8}T\d{4}Z-[0-9a-f]{8}")
_FEATURES = {
    "analyzer": "char_wb",
    "ngram_range": list(NGRAM_RANGE),
    "n_features": N_FEATURES,
    "hash": "poly64-fibonacci-v1",
    "normalizer": "raqib.text.normalize.plain_form",
    "max_chars": MAX_TEXT_CHARS,
    "tf": "sublinear",
    "norm": "l2",
}
_CLASSIFIER = {"estimator": "LinearSVC", "C": SVM_C, "calibration": "sigmoid", "cv": CV_FOLDS}

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class LabelledText:
    """One training or evaluation example."""

    text: str
    label: str  # one of CONTEXTS
    language: str = "und"  # "ar", "en", ...

    def __post_init__(self) -> None:
        if self.label not in CONTEXTS:
            raise ValueError(f"unknown label {self.label!r}; known labels: {', '.join(CONTEXTS)}")


# ---------------------------------------------------------------------------------------------
# Features. Written by hand rather than with HashingVectorizer: the same char_wb n-grams, counted
# by a numba kernel. HashingVectorizer takes about 800 µs for one 280-character post, mostly in
# its pure-Python n-gram loop; the kernel takes about 15 µs.

_HASH_SEED = np.uint64(0x9E3779B97F4A7C15)
_HASH_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1a's prime
_SPREAD = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: Fibonacci hashing
_BITS = N_FEATURES.bit_length() - 1
_SHIFT = np.uint64(64 - _BITS)
_MAX_NGRAM = NGRAM_RANGE[1]
_SPACE = 32
# Keys the kernel's counting table. Random per process, so that no crafted text can make the
# table's probe chains long; the counts do not depend on it.
_TABLE_KEY = np.uint64(secrets.randbits(64) | 1)

F = TypeVar("F", bound=Callable[..., Any])


def _jit(fn: F) -> F:
    """`numba.njit(nogil=True)`, cached on disk when a writable cache location exists."""
    try:
        return cast(F, numba.njit(cache=True, nogil=True)(fn))
    except RuntimeError:  # numba found no writable cache directory: compile per process
        return cast(F, numba.njit(nogil=True)(fn))


@_jit
def _count_kernel(
    codes: NDArray[np.uint32],
    bounds: Ints,
    table_key: np.uint64,
    rows: Ints,
    buckets: Ints,
    counts: Ints,
) -> int:
    """Count the hashed n-grams of each text `codes[bounds[t]:bounds[t + 1]]`, laid out as
    " word word " (one space before and after every word). Writes (t, bucket, count) for each
    distinct bucket of each text, in order of first occurrence; returns how many it wrote.

    char_wb's n-grams of lengths 2-5 are the substrings that start before the closing space and
    have no space strictly inside: from each start they grow one character at a time until they
    take in a space. The bucket is the top 18 bits of a polynomial hash over the code points,
    spread by a multiplication. Counting uses an open-addressing table with at most half of its
    slots used (a text has at most 2**18 distinct buckets), so each n-gram costs O(1).
    """
    longest = 1
    for t in range(len(bounds) - 1):
        longest = max(longest, bounds[t + 1] - bounds[t])
    most = min((_MAX_NGRAM - 1) * longest, 1 << _BITS)  # distinct buckets in one text
    capacity_bits = 1
    while (1 << capacity_bits) < 2 * most:
        capacity_bits += 1
    slot_shift = np.uint64(64 - capacity_bits)
    slot_mask = (1 << capacity_bits) - 1
    table = np.full(1 << capacity_bits, -1, np.int64)
    tally = np.zeros(1 << capacity_bits, np.int64)
    used = np.empty(most, np.int64)
    written = 0
    for t in range(len(bounds) - 1):
        distinct = 0
        for i in range(bounds[t], bounds[t + 1] - 1):
            hashed = np.uint64(codes[i]) + _HASH_SEED
            for j in range(i + 1, min(i + _MAX_NGRAM, bounds[t + 1])):
                hashed = hashed * _HASH_MULTIPLIER + np.uint64(codes[j])
                bucket = np.int64((hashed * _SPREAD) >> _SHIFT)
                slot = np.int64((np.uint64(bucket) * table_key) >> slot_shift)
                while table[slot] != -1 and table[slot] != bucket:
                    slot = (slot + 1) & slot_mask
                if table[slot] == -1:
                    table[slot] = bucket
                    used[distinct] = slot
                    distinct += 1
                tally[slot] += 1
                if codes[j] == _SPACE:
                    break
        for q in range(distinct):
            slot = used[q]
            rows[written] = t
            buckets[written] = table[slot]
            counts[written] = tally[slot]
            written += 1
            table[slot] = -1
            tally[slot] = 0
    return written


@_jit
def _score_kernel(
    rows: Ints,
    buckets: Ints,
    counts: Ints,
    idf_squared: Floats,
    scaled_coef: Floats,
    scores: Floats,
) -> None:
    """Add each text's TF-IDF · coef to its row of `scores`: TfidfTransformer(sublinear_tf=True,
    norm="l2") folded into the dot product, sum(tf * idf * coef) / sqrt(sum((tf * idf) ** 2)),
    with tf = 1 + log(count). Entries of one text are consecutive, as _count_kernel writes them."""
    classes = scaled_coef.shape[1]
    sums = np.zeros(classes)
    q = 0
    while q < len(rows):
        row = rows[q]
        norm = 0.0
        sums[:] = 0.0
        while q < len(rows) and rows[q] == row:
            bucket = buckets[q]
            tf = 1.0 + np.log(counts[q])
            norm += tf * tf * idf_squared[bucket]
            for c in range(classes):
                sums[c] += tf * scaled_coef[bucket, c]
            q += 1
        norm = np.sqrt(norm)
        for c in range(classes):
            scores[row, c] += sums[c] / norm


def _words(text: str) -> str:
    """`text` as " word word " (one space before and after every word), or "" with no words."""
    words = text.split()
    return " " + " ".join(words) + " " if words else ""


def _batches(spaced: Sequence[str]) -> Iterator[tuple[int, Sequence[str]]]:
    """Consecutive slices of about _BATCH_CHARS characters (one text at least), with offsets."""
    start = 0
    while start < len(spaced):
        end, size = start, 0
        while end < len(spaced) and (end == start or size + len(spaced[end]) <= _BATCH_CHARS):
            size += len(spaced[end])
            end += 1
        yield start, spaced[start:end]
        start = end


def _count(spaced: Sequence[str]) -> tuple[Ints, Ints, Ints]:
    """(text index, bucket, count) of every distinct bucket of each text made by `_words`."""
    codes = np.frombuffer("".join(spaced).encode("utf-32-le", "surrogatepass"), "<u4")
    bounds = np.zeros(len(spaced) + 1, np.int64)
    np.cumsum([len(s) for s in spaced], out=bounds[1:])
    size = (_MAX_NGRAM - 1) * len(codes)
    rows, buckets, counts = (np.empty(size, np.int64) for _ in range(3))
    written = _count_kernel(codes, bounds, _TABLE_KEY, rows, buckets, counts)
    return rows[:written], buckets[:written], counts[:written]


def char_ngram_counts(texts: Sequence[str]) -> scipy.sparse.csr_matrix:
    """Counts of hashed char_wb 2-5-grams: one row a text, N_FEATURES columns.

    The same n-grams as scikit-learn's `HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5),
    alternate_sign=False, norm=None, lowercase=False)` would count, with a different hash. Texts
    are taken as they are (no normalisation, no truncation).
    """
    spaced = [_words(t) for t in texts]
    parts = [(offset, _count(batch)) for offset, batch in _batches(spaced)]
    rows = [r + offset for offset, (r, _, _) in parts]
    matrix = scipy.sparse.coo_matrix(
        (
            _join([c for _, (_, _, c) in parts]).astype(np.float64),
            (_join(rows), _join([b for _, (_, b, _) in parts])),
        ),
        shape=(len(texts), N_FEATURES),
    )
    return matrix.tocsr()


def _join(parts: list[Ints]) -> Ints:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _prepare(text: str) -> str:
    """What the model reads of a text: the plain form of its first MAX_TEXT_CHARS characters."""
    if not isinstance(text, str):
        raise InputError(f"a text to classify must be a string, not {type(text).__name__}")
    return plain_form(text[:MAX_TEXT_CHARS])


# ---------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True, eq=False)
class _Weights:
    idf: Floats  # (N_FEATURES,)
    coef: Floats  # (classes, N_FEATURES)
    intercept: Floats  # (classes,)
    calibration_a: Floats  # (classes,): p = 1 / (1 + exp(a * score + b)), then rows sum to 1
    calibration_b: Floats

    def arrays(self) -> dict[str, Floats]:
        return {name: getattr(self, name) for name in _WEIGHT_NAMES}

    @cached_property
    def scaled_coef(self) -> Floats:
        """idf * coef, feature-major: one row per bucket for inference to gather."""
        return np.ascontiguousarray(self.coef.T * self.idf[:, None])

    @cached_property
    def idf_squared(self) -> Floats:
        return self.idf * self.idf


@dataclass(frozen=True, eq=False)
class TextModel:
    """A trained context classifier: `predict_proba` gives calibrated probabilities per class."""

    version: str  # "context-<created, to the minute>-<first 8 hex of the weights' sha256>"
    classes: tuple[str, ...]
    weights: _Weights
    weights_sha256: str
    created: str  # ISO 8601, UTC
    counts: Mapping[str, int]  # training examples per class

    def decision_function(self, texts: Sequence[str]) -> Floats:
        """Uncalibrated SVM scores, shape (len(texts), len(classes))."""
        spaced = [_words(_prepare(t)) for t in _texts(texts)]
        scores = np.empty((len(spaced), len(self.classes)))
        scores[:] = self.weights.intercept
        for offset, batch in _batches(spaced):
            rows, buckets, counts = _count(batch)
            _score_kernel(
                rows,
                buckets,
                counts,
                self.weights.idf_squared,
                self.weights.scaled_coef,
                scores[offset : offset + len(batch)],
            )
        return scores

    def predict_proba(self, texts: Sequence[str]) -> Floats:
        """Calibrated probabilities, shape (len(texts), len(classes)); each row sums to 1."""
        scores = self.decision_function(texts)
        # As scikit-learn's _CalibratedClassifier: a sigmoid per class, then rows normalised.
        proba = expit(-(self.weights.calibration_a * scores + self.weights.calibration_b))
        totals = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1.0 / len(self.classes))
        result: Floats = np.divide(proba, totals, out=uniform, where=totals > 0)
        return result

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable class of each text."""
        return [self.classes[i] for i in np.argmax(self.predict_proba(texts), axis=1)]

    def save(self, directory: Path) -> Path:
        """Write `<directory>/<version>/{weights.npz, model.json}`; returns the version folder."""
        target = directory / self.version
        try:
            target.mkdir(parents=True, exist_ok=True)
            _write_atomic(target / "weights.npz", _npz_bytes(self.weights.arrays()))
            metadata = json.dumps(self._metadata(), ensure_ascii=False, indent=2) + "\n"
            _write_atomic(target / "model.json", metadata.encode("utf-8"))
        except OSError as exc:
            raise InputError(f"{target}: cannot write the model ({exc.strerror or exc})") from exc
        return target

    def _metadata(self) -> dict[str, Any]:
        return {
            "kind": MODEL_KIND,
            "format": MODEL_FORMAT,
            "version": self.version,
            "classes": list(self.classes),
            "features": _FEATURES,
            "classifier": _CLASSIFIER,
            "created": self.created,
            "counts": dict(self.counts),
            "weights_sha256": self.weights_sha256,
        }

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """A saved model: `path` is a version folder, or a folder of them (the newest is read)."""
        folder = _model_folder(path)
        metadata = _check_metadata(_read_json(folder / "model.json"), folder / "model.json")
        raw = _read_bounded(folder / "weights.npz", MAX_WEIGHTS_BYTES)
        if hashlib.sha256(raw).hexdigest() != metadata["weights_sha256"]:
            raise InputError(
                f"{folder / 'weights.npz'}: sha256 differs from the one in model.json "
                "(the weights were changed or are corrupt)"
            )
        classes = tuple(metadata["classes"])
        return cls(
            version=metadata["version"],
            classes=classes,
            weights=_parse_weights(raw, len(classes), folder / "weights.npz"),
            weights_sha256=metadata["weights_sha256"],
            created=metadata["created"],
            counts=dict(metadata["counts"]),
        )


def _texts(texts: Sequence[str]) -> Sequence[str]:
    if isinstance(texts, str | bytes):
        raise InputError("pass a sequence of texts, not a single string")
    return texts


# ---------------------------------------------------------------------------------------------
# Training


def train(examples: Sequence[LabelledText], seed: int = 0) -> TextModel:
    """Fit a context model on labelled examples (every context at least CV_FOLDS times)."""
    counts = Counter(e.label for e in examples)
    missing = [c for c in CONTEXTS if counts[c] < CV_FOLDS]
    if missing:
        raise InputError(
            f"training needs at least {CV_FOLDS} examples of every context; too few of: "
            + ", ".join(f"{c} ({counts[c]})" for c in missing)
        )
    features = char_ngram_counts([_prepare(e.text) for e in examples])
    labels = np.array([CONTEXTS.index(e.label) for e in examples])
    weights = _fit(features, labels, seed)
    digest = hashlib.sha256(_npz_bytes(weights.arrays())).hexdigest()
    created = datetime.now(UTC)
    return TextModel(
        version=f"context-{created:%Y%m%dT%H%MZ}-{digest[:8]}",
        classes=CONTEXTS,
        weights=weights,
        weights_sha256=digest,
        created=created.isoformat(timespec="seconds"),
        counts={c: counts[c] for c in CONTEXTS},
    )


def _fit_sklearn(features: scipy.sparse.csr_matrix, labels: Ints, seed: int) -> tuple[Any, Any]:
    """The fitted TfidfTransformer and CalibratedClassifierCV whose arrays make a TextModel."""
    # Imported here: loading and using a model needs numpy only.
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    tfidf = TfidfTransformer(sublinear_tf=True, norm="l2").fit(features)
    folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed)
    svm = LinearSVC(C=SVM_C, random_state=seed)
    calibrated = CalibratedClassifierCV(svm, method="sigmoid", ensemble=False, cv=folds)
    calibrated.fit(tfidf.transform(features), labels)
    return tfidf, calibrated


def _fit(features: scipy.sparse.csr_matrix, labels: Ints, seed: int) -> _Weights:
    tfidf, calibrated = _fit_sklearn(features, labels, seed)
    fitted = calibrated.calibrated_classifiers_[0]
    return _Weights(
        idf=_floats(tfidf.idf_),
        coef=_floats(fitted.estimator.coef_),
        intercept=_floats(fitted.estimator.intercept_),
        calibration_a=_floats([c.a_ for c in fitted.calibrators]),
        calibration_b=_floats([c.b_ for c in fitted.calibrators]),
    )


def _floats(values: Any) -> Floats:
    return np.ascontiguousarray(values, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Storage


def _npz_bytes(arrays: Mapping[str, Floats]) -> bytes:
    """An .npz archive that np.load reads, written by hand so that the same arrays always give
    the same bytes (np.savez_compressed stamps each member with the current time)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return buffer.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _model_folder(path: Path) -> Path:
    if (path / "model.json").is_file():
        return path
    if not path.is_dir():
        raise InputError(f"{path}: not a model folder (no such folder)")
    try:
        versions = sorted(
            child
            for child in path.iterdir()
            if _VERSION.fullmatch(child.name) and (child / "model.json").is_file()
        )
    except OSError as exc:
        raise InputError(f"{path}: cannot list ({exc.strerror or exc})") from exc
    if not versions:
        raise InputError(f"{path}: holds no model (no model.json, no context-* version folder)")
    return versions[-1]  # names start with the creation time, so the last is the newest


def _read_bounded(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit} bytes, not a Raqib context model")
    return data


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_bounded(path, MAX_METADATA_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a Raqib context model (not JSON: {exc})") from exc


def _check_metadata(metadata: Any, path: Path) -> dict[str, Any]:
    if not isinstance(metadata, dict) or metadata.get("kind") != MODEL_KIND:
        raise InputError(f"{path}: not a Raqib context model (kind is not {MODEL_KIND!r})")
    if metadata.get("format") != MODEL_FORMAT:
        raise InputError(
            f"{path}: model format {metadata.get('format')!r} is not supported; this Raqib "
            f"reads format {MODEL_FORMAT}: train the model again"
        )
    if metadata.get("features") != _FEATURES:
        raise InputError(f"{path}: the model was built with other features; train it again")
    classes = metadata.get("classes")
    if (
        not isinstance(classes, list)
        or len(classes) < 2
        or len(set(classes)) != len(classes)
        or not set(classes) <= set(CONTEXTS)
    ):
        raise InputError(f"{path}: classes must be two or more of {', '.join(CONTEXTS)}")
    _require(metadata, path, "version", lambda v: isinstance(v, str) and _VERSION.fullmatch(v))
    _require(metadata, path, "created", lambda v: isinstance(v, str))
    _require(
        metadata,
        path,
        "weights_sha256",
        lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v),
    )
    _require(
        metadata,
        path,
        "counts",
        lambda v: isinstance(v, dict) and all(isinstance(n, int) for n in v.values()),
    )
    return metadata


def _require(metadata: dict[str, Any], path: Path, key: str, valid: Any) -> None:
    if not valid(metadata.get(key)):
        raise InputError(f"{path}: not a Raqib context model (bad or missing {key!r})")


def _parse_weights(raw: bytes, classes: int, path: Path) -> _Weights:
    shapes = {
        "idf": (N_FEATURES,),
        "coef": (classes, N_FEATURES),
        "intercept": (classes,),
        "calibration_a": (classes,),
        "calibration_b": (classes,),
    }
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = sorted(archive.namelist())
            if names != sorted(f"{n}.npy" for n in shapes):
                raise InputError(f"{path}: holds {names}, not the arrays of a context model")
            arrays = {n: _read_array(archive, n, shape, path) for n, shape in shapes.items()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable weights archive ({exc})") from exc
    return _Weights(**arrays)


def _read_array(archive: zipfile.ZipFile, name: str, shape: tuple[int, ...], path: Path) -> Floats:
    limit = 8 * int(np.prod(shape)) + 4096  # float64 values and the .npy header
    if archive.getinfo(f"{name}.npy").file_size > limit:
        raise InputError(f"{path}: {name} is larger than a context model's")
    stream = io.BytesIO(archive.read(f"{name}.npy"))
    major, _minor = np.lib.format.read_magic(stream)
    read_header = (
        np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    )
    found_shape, fortran_order, dtype = read_header(stream)
    if found_shape != shape or fortran_order or dtype != np.dtype("<f8"):
        raise InputError(f"{path}: {name} is {dtype} {found_shape}, want float64 {shape}")
    stream.seek(0)
    array: Floats = np.lib.format.read_array(stream, allow_pickle=False)
    if not np.isfinite(array).all():
        raise InputError(f"{path}: {name} holds values that are not finite")
    return array


# ---------------------------------------------------------------------------------------------
# Labelled data


def read_labelled(path: Path) -> list[LabelledText]:
    """Labelled examples from JSONL, one {"text", "label"[, "language"]} object a line.

    Blank lines are skipped; the first bad line raises ImportFormatError naming it.
    """
    try:
        if path.stat().st_size > MAX_LABELLED_FILE_BYTES:
            raise InputError(f"{path}: larger than {MAX_LABELLED_FILE_BYTES} bytes")
        with path.open("rb") as handle:
            return [_labelled(number, line) for number, line in _lines(handle) if line.strip()]
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Numbered lines, none longer than MAX_LINE_BYTES (so memory stays bounded)."""
    number = 0
    while line := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise ImportFormatError(number, f"line longer than {MAX_LINE_BYTES} bytes")
        yield number, line


def _labelled(number: int, line: bytes) -> LabelledText:
    try:
        record = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
    except UnicodeDecodeError as exc:
        raise ImportFormatError(number, f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise ImportFormatError(number, f"not JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise ImportFormatError(number, "want a JSON object")
    text, label, language = record.get("text"), record.get("label"), record.get("language", "und")
    if not isinstance(text, str) or not text.strip():
        raise ImportFormatError(number, 'needs a non-empty "text" string')
    if label not in CONTEXTS:
        raise ImportFormatError(
            number, f"unknown label {label!r}; known labels: {', '.join(CONTEXTS)}"
        )
    if not isinstance(language, str):
        raise ImportFormatError(number, '"language" must be a string')
    return LabelledText(text=text, label=label, language=language)
