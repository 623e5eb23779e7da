"""The context classifier: features, training, calibrated numpy inference against scikit-learn,
storage without pickle (round trip, tampering, foreign files), labelled-data errors, and its
quality on synthetic data (raqib.synthetic_text)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import brier_score_loss, precision_recall_fscore_support

from raqib.errors import ImportFormatError, InputError
from raqib.synthetic_text import make_labelled_texts, make_posts
from raqib.text import model as model_module
from raqib.text.evaluation import Evaluation, evaluate, render_evaluation
from raqib.text.model import (
    CONTEXTS,
    MODEL_FORMAT,
    LabelledText,
    TextModel,
    char_ngram_counts,
    read_labelled,
    train,
)

# Train on 1,500 samples of seed 1, evaluate on 500 of seed 2. Both use the same 120 templates,
# so this measures learning the classes across fill-ins, two-sentence samples, distractor
# sentences and 20% obfuscation, not generalisation to new phrasing (measured: macro F1 0.992).
# 0.95 leaves room for changes to the normaliser and generator without hiding a broken model.
MIN_MACRO_F1 = 0.95
# Held-out templates (3 of 12 per class and language never seen in training) measured macro F1
# 0.72: "unrelated" is a class without a theme of its own, so its unseen sentences are mostly
# taken for other classes, while the candidate skeleton (outlet, self-designation,
# placeholders) generalises fully. The floor guards against a collapse to one class.
MIN_HELDOUT_MACRO_F1 = 0.55
MIN_HELDOUT_CANDIDATE_F1 = 0.95
MAX_ECE = 0.05


@pytest.fixture(scope="module")
def model() -> TextModel:
    return train(make_labelled_texts(1500, seed=1), seed=0)


@pytest.fixture(scope="module")
def test_set() -> list[LabelledText]:
    return make_labelled_texts(500, seed=2)


@pytest.fixture(scope="module")
def evaluation(model: TextModel, test_set: list[LabelledText]) -> Evaluation:
    return evaluate(model, test_set)


# --- quality -------------------------------------------------------------------------------------


def test_macro_f1_on_a_disjoint_seed(evaluation: Evaluation) -> None:
    assert evaluation.macro_f1 >= MIN_MACRO_F1
    assert evaluation.per_class["terrorist_content_candidate"]["recall"] >= MIN_MACRO_F1
    assert evaluation.calibration["ece"] <= MAX_ECE  # type: ignore[operator]


@pytest.mark.slow
def test_generalises_to_held_out_templates() -> None:
    model = train(make_labelled_texts(1500, seed=1, templates="train"), seed=0)
    heldout = evaluate(model, make_labelled_texts(500, seed=2, templates="heldout"))
    assert heldout.macro_f1 >= MIN_HELDOUT_MACRO_F1
    assert heldout.per_class["terrorist_content_candidate"]["f1"] >= MIN_HELDOUT_CANDIDATE_F1


def test_evaluation_agrees_with_scikit_learn(
    model: TextModel, test_set: list[LabelledText], evaluation: Evaluation
) -> None:
    truth = [e.label for e in test_set]
    proba = model.predict_proba([e.text for e in test_set])
    predicted = [model.classes[i] for i in proba.argmax(axis=1)]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=list(model.classes), zero_division=0
    )
    for i, name in enumerate(model.classes):
        scores = evaluation.per_class[name]
        assert scores["precision"] == pytest.approx(precision[i])
        assert scores["recall"] == pytest.approx(recall[i])
        assert scores["f1"] == pytest.approx(f1[i])
        assert scores["support"] == support[i]
    assert evaluation.macro_f1 == pytest.approx(float(np.mean(f1)))
    assert sum(map(sum, evaluation.confusion)) == len(test_set)
    onehot = np.array([[t == c for c in model.classes] for t in truth], dtype=float)
    brier = sum(brier_score_loss(onehot[:, i], proba[:, i]) for i in range(len(CONTEXTS)))
    assert evaluation.calibration["brier"] == pytest.approx(brier)
    bins = evaluation.calibration["bins"]
    assert isinstance(bins, list) and sum(b["count"] for b in bins) == len(test_set)


def test_evaluation_renders_and_serialises(evaluation: Evaluation) -> None:
    tables = render_evaluation(evaluation)
    assert [t.row_count for t in tables[:2]] == [len(CONTEXTS), len(CONTEXTS)]
    assert tables[2].row_count >= 1
    console = Console(file=io.StringIO(), width=160)
    for table in tables:
        console.print(table)
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "macro F1" in printed and "terrorist_content_candidate" in printed and "ECE" in printed
    as_dict = json.loads(json.dumps(evaluation.as_dict()))
    assert as_dict["classes"] == list(CONTEXTS)
    assert set(as_dict["calibration"]) == {"ece", "brier", "bins"}


def test_evaluate_refuses_nothing_to_evaluate(model: TextModel) -> None:
    with pytest.raises(InputError, match="no examples"):
        evaluate(model, [])


# --- inference -----------------------------------------------------------------------------------


def test_numpy_inference_matches_scikit_learn() -> None:
    training = make_labelled_texts(300, seed=14)
    model = train(training, seed=0)
    features = char_ngram_counts([model_module._prepare(e.text) for e in training])
    labels = np.array([CONTEXTS.index(e.label) for e in training])
    tfidf, calibrated = model_module._fit_sklearn(features, labels, seed=0)
    texts = [*make_posts(100, seed=6), "", "   ", "x"]
    expected = calibrated.predict_proba(
        tfidf.transform(char_ngram_counts([model_module._prepare(t) for t in texts]))
    )
    assert np.abs(model.predict_proba(texts) - expected).max() < 1e-9


def test_predictions_are_probabilities(model: TextModel) -> None:
    texts = make_posts(50, seed=8)
    proba = model.predict_proba(texts)
    assert proba.shape == (50, len(CONTEXTS))
    assert np.allclose(proba.sum(axis=1), 1.0) and (proba >= 0).all()
    assert model.predict(texts) == [CONTEXTS[i] for i in proba.argmax(axis=1)]
    assert model.predict_proba([]).shape == (0, len(CONTEXTS))


def test_batch_and_one_by_one_agree(model: TextModel) -> None:
    texts = ["", *make_posts(30, seed=9), "", "a"]
    together = model.predict_proba(texts)
    alone = np.vstack([model.predict_proba([t]) for t in texts])
    assert np.abs(together - alone).max() < 1e-12


def test_batches_split_by_size_agree(model: TextModel, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = make_posts(40, seed=10)
    whole = model.predict_proba(texts)
    monkeypatch.setattr(model_module, "_BATCH_CHARS", 700)  # two or three posts a batch
    assert np.abs(model.predict_proba(texts) - whole).max() < 1e-12


def test_obfuscation_undone_by_the_plain_form_does_not_change_the_prediction(
    model: TextModel,
) -> None:
    text = "قال مسؤولون إن تنظيم داعش أعلن مسؤوليته عن هجوم، بحسب وزارة الداخلية."
    hidden = "قال مسؤولون إن تنظيم دَاعِش أعلن مسؤوليـــته عن هجو\u200bم، بحسب وزارة الداخلية."
    assert np.abs(model.predict_proba([text]) - model.predict_proba([hidden])).max() < 1e-12


def test_long_texts_are_read_up_to_the_limit(model: TextModel) -> None:
    head = make_posts(1, seed=11, length=model_module.MAX_TEXT_CHARS)[0]
    longer = head + " الطقس" * 50_000
    assert np.array_equal(model.predict_proba([head]), model.predict_proba([longer]))


def test_odd_texts_are_classified(model: TextModel) -> None:
    texts = ["\ud800 lone \udfff surrogates", "\x00\x00 nul", "\U0010ffff", "\u200b\u200f", "ـــ"]
    proba = model.predict_proba(texts)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)


def test_bad_inputs_are_clear_errors(model: TextModel) -> None:
    with pytest.raises(InputError, match="not a single string"):
        model.predict_proba("one text")
    with pytest.raises(InputError, match="must be a string"):
        model.predict_proba([b"bytes"])  # type: ignore[list-item]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=4))
def test_any_text_gets_a_distribution(model: TextModel, texts: list[str]) -> None:
    proba = model.predict_proba(texts)
    assert proba.shape == (len(texts), len(CONTEXTS))
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab دا \t\n\u3000"), max_size=40), max_size=5))
def test_ngrams_are_those_of_scikit_learns_char_wb(texts: list[str]) -> None:
    analyzer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False)
    counts = char_ngram_counts(texts)
    for row, text in enumerate(texts):
        expected = Counter(analyzer.build_analyzer()(text))
        found = counts[row].data
        # Hashing merges nothing here (a few hundred n-grams in 2**18 buckets, checked below).
        assert sorted(found.astype(int)) == sorted(expected.values())
        assert len(found) == len(expected)


# --- training ------------------------------------------------------------------------------------


def test_training_is_deterministic_and_versions_name_the_weights() -> None:
    examples = make_labelled_texts(150, seed=3)
    first, second = train(examples, seed=4), train(examples, seed=4)
    assert first.weights_sha256 == second.weights_sha256
    assert first.version.startswith("context-") and first.version.endswith(first.weights_sha256[:8])
    assert dict(first.counts) == {c: 30 for c in CONTEXTS}


def test_training_needs_every_context() -> None:
    examples = [e for e in make_labelled_texts(100, seed=3) if e.label != "religious"]
    with pytest.raises(InputError, match=r"religious \(0\)"):
        train(examples)


# --- storage -------------------------------------------------------------------------------------


def test_save_and_load_round_trip(model: TextModel, tmp_path: Path) -> None:
    folder = model.save(tmp_path)
    assert folder == tmp_path / model.version
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.npz"]
    metadata = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert metadata["format"] == MODEL_FORMAT and metadata["classes"] == list(CONTEXTS)
    assert (
        metadata["weights_sha256"]
        == hashlib.sha256((folder / "weights.npz").read_bytes()).hexdigest()
    )
    assert metadata["counts"] == {c: 300 for c in CONTEXTS}
    with np.load(folder / "weights.npz", allow_pickle=False) as stored:
        assert sorted(stored.files) == sorted(model_module._WEIGHT_NAMES)
    loaded = TextModel.load(folder)
    assert loaded.version == model.version and loaded.classes == model.classes
    texts = make_posts(200, seed=12)
    assert np.abs(loaded.predict_proba(texts) - model.predict_proba(texts)).max() < 1e-6
    assert model.save(tmp_path) == folder  # saving again rewrites the same files


def test_loading_a_parent_folder_takes_the_newest_version(model: TextModel, tmp_path: Path) -> None:
    model.save(tmp_path)
    other = train(make_labelled_texts(100, seed=13))
    newer = tmp_path / f"context-29991231T2359Z-{other.weights_sha256[:8]}"
    shutil.copytree(other.save(tmp_path / "staging"), newer)
    (tmp_path / "notes").mkdir()
    assert TextModel.load(tmp_path).weights_sha256 == other.weights_sha256


def test_tampered_weights_are_refused(model: TextModel, tmp_path: Path) -> None:
    weights = model.save(tmp_path) / "weights.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(InputError, match="sha256 differs"):
        TextModel.load(tmp_path)


def _rewrite(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    """Replace the weights and record their sha256, as a forger would."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    (folder / "weights.npz").write_bytes(buffer.getvalue())
    metadata = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    metadata["weights_sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (folder / "model.json").write_text(json.dumps(metadata), encoding="utf-8")


def test_weights_of_the_wrong_shape_or_kind_are_refused(model: TextModel, tmp_path: Path) -> None:
    folder = model.save(tmp_path)
    arrays = dict(model.weights.arrays())
    _rewrite(folder, {**arrays, "coef": arrays["coef"][:, :100]})
    with pytest.raises(InputError, match="coef is float64"):
        TextModel.load(folder)
    _rewrite(folder, {**arrays, "idf": np.array([{"pickled": True}] * 4, dtype=object)})
    with pytest.raises(InputError, match="idf"):
        TextModel.load(folder)
    _rewrite(folder, {k: v for k, v in arrays.items() if k != "intercept"})
    with pytest.raises(InputError, match="not the arrays of a context model"):
        TextModel.load(folder)
    _rewrite(folder, {**arrays, "intercept": np.full(len(CONTEXTS), np.nan)})
    with pytest.raises(InputError, match="not finite"):
        TextModel.load(folder)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: {**m, "format": 0}, "model format 0 is not supported"),
        (lambda m: {**m, "kind": "something-else"}, "not a Raqib context model"),
        (lambda m: [m], "not a Raqib context model"),
        (lambda m: {**m, "classes": ["spam", "eggs"]}, "classes must be"),
        (lambda m: {**m, "weights_sha256": "abc"}, "weights_sha256"),
        (lambda m: {**m, "features": {**m["features"], "n_features": 1024}}, "other features"),
    ],
)
def test_foreign_or_old_metadata_is_refused(
    model: TextModel, tmp_path: Path, change: object, message: str
) -> None:
    folder = model.save(tmp_path)
    metadata = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    (folder / "model.json").write_text(json.dumps(change(metadata)), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(InputError, match=message):
        TextModel.load(folder)


def test_unreadable_models_are_clear_errors(model: TextModel, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a model folder"):
        TextModel.load(tmp_path / "missing")
    with pytest.raises(InputError, match="holds no model"):
        TextModel.load(tmp_path)
    folder = model.save(tmp_path)
    (folder / "model.json").write_bytes(b"\xff\xfe not json")
    with pytest.raises(InputError, match="not JSON"):
        TextModel.load(folder)
    (folder / "model.json").write_bytes(b"{" * 2_000_000)
    with pytest.raises(InputError, match="larger than"):
        TextModel.load(folder)


def test_a_zip_that_is_not_an_npz_is_refused(model: TextModel, tmp_path: Path) -> None:
    folder = model.save(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in model_module._WEIGHT_NAMES:
            archive.writestr(f"{name}.npy", b"not an array")
    (folder / "weights.npz").write_bytes(buffer.getvalue())
    metadata = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    metadata["weights_sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (folder / "model.json").write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(InputError, match="not a readable weights archive"):
        TextModel.load(folder)


# --- labelled data -------------------------------------------------------------------------------


def _jsonl(tmp_path: Path, *lines: str | bytes) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))
    return path


GOOD = json.dumps({"text": "الطقس معتدل اليوم", "label": "unrelated", "language": "ar"})


def test_read_labelled_reads_good_lines_and_skips_blank_ones(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, "\ufeff" + GOOD, "", '{"text": "x", "label": "religious"}')
    assert read_labelled(path) == [
        LabelledText("الطقس معتدل اليوم", "unrelated", "ar"),
        LabelledText("x", "religious", "und"),
    ]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("{not json", "not JSON"),
        ('{"text": "x", "label": "propaganda"}', "unknown label 'propaganda'; known labels: "),
        ('{"label": "unrelated"}', 'needs a non-empty "text"'),
        ('{"text": "  ", "label": "unrelated"}', 'needs a non-empty "text"'),
        ('{"text": 5, "label": "unrelated"}', 'needs a non-empty "text"'),
        ('["text", "label"]', "want a JSON object"),
        ('{"text": "x", "label": "unrelated", "language": 3}', '"language" must be a string'),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_read_labelled_names_the_bad_line(tmp_path: Path, bad: str | bytes, reason: str) -> None:
    path = _jsonl(tmp_path, GOOD, "", bad, GOOD)
    with pytest.raises(ImportFormatError, match=f"^line 3: {reason}") as caught:
        read_labelled(path)
    assert caught.value.line_number == 3
    if "unknown label" in reason:
        assert all(c in caught.value.reason for c in CONTEXTS)


def test_read_labelled_bounds_lines_and_reports_missing_files(tmp_path: Path) -> None:
    long_line = json.dumps({"text": "x" * (model_module.MAX_LINE_BYTES + 1), "label": "unrelated"})
    with pytest.raises(ImportFormatError, match="line 2: line longer than"):
        read_labelled(_jsonl(tmp_path, GOOD, long_line))
    with pytest.raises(InputError, match="cannot read"):
        read_labelled(tmp_path / "missing.jsonl")
