"""How well a context model does on labelled examples: precision, recall and F1 per class, the
confusion matrix, accuracy, macro F1 and calibration (expected calibration error, Brier score and
a reliability table), with rich tables to print them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray
from rich.table import Table

from raqib.errors import InputError
from raqib.text.model import LabelledText, TextModel

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class Evaluation:
    classes: tuple[str, ...]
    per_class: dict[str, dict[str, float]]  # class -> precision, recall, f1, support
    confusion: list[list[int]]  # rows = true class, columns = predicted class
    accuracy: float
    macro_f1: float
    # {"ece": float, "brier": float, "bins": [{"lo", "hi", "count", "confidence", "accuracy"}]}
    calibration: dict[str, object]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def evaluate(model: TextModel, examples: Sequence[LabelledText]) -> Evaluation:
    """Score `model` on `examples` (whose labels must all be among the model's classes)."""
    if not examples:
        raise InputError("no examples to evaluate on")
    unknown = sorted({e.label for e in examples} - set(model.classes))
    if unknown:
        raise InputError(f"labels the model does not know: {', '.join(unknown)}")
    truth = np.array([model.classes.index(e.label) for e in examples])
    proba = model.predict_proba([e.text for e in examples])
    predicted = np.argmax(proba, axis=1)
    size = len(model.classes)
    confusion = np.zeros((size, size), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    per_class = _per_class(model.classes, confusion)
    return Evaluation(
        classes=model.classes,
        per_class=per_class,
        confusion=confusion.tolist(),
        accuracy=float(np.trace(confusion) / len(examples)),
        macro_f1=float(np.mean([scores["f1"] for scores in per_class.values()])),
        calibration=_calibration(proba, truth),
    )


def _per_class(
    classes: tuple[str, ...], confusion: NDArray[np.int64]
) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 from the confusion matrix; 0 where a ratio has no denominator."""
    result: dict[str, dict[str, float]] = {}
    for i, name in enumerate(classes):
        hits = float(confusion[i, i])
        predicted = float(confusion[:, i].sum())
        support = float(confusion[i, :].sum())
        precision = hits / predicted if predicted else 0.0
        recall = hits / support if support else 0.0
        both = precision + recall
        f1 = 2 * precision * recall / both if both else 0.0
        result[name] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    return result


def _calibration(proba: NDArray[np.float64], truth: NDArray[np.int64]) -> dict[str, object]:
    """Top-label reliability in CALIBRATION_BINS equal bins, its expected calibration error
    (the count-weighted mean gap between confidence and accuracy), and the multi-class Brier
    score (mean over examples of the squared distance to the one-hot truth, 0 best, 2 worst)."""
    confidence = proba.max(axis=1)
    correct = np.argmax(proba, axis=1) == truth
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, CALIBRATION_BINS - 1)
    bins: list[dict[str, float]] = []
    ece = 0.0
    for b in range(CALIBRATION_BINS):
        inside = which == b
        count = int(inside.sum())
        mean_confidence = float(confidence[inside].mean()) if count else 0.0
        accuracy = float(correct[inside].mean()) if count else 0.0
        ece += count / len(truth) * abs(mean_confidence - accuracy)
        bins.append(
            {
                "lo": float(edges[b]),
                "hi": float(edges[b + 1]),
                "count": count,
                "confidence": mean_confidence,
                "accuracy": accuracy,
            }
        )
    onehot = np.eye(proba.shape[1])[truth]
    brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    return {"ece": ece, "brier": brier, "bins": bins}


def render_evaluation(evaluation: Evaluation) -> list[Table]:
    """Three tables: per-class precision/recall/F1, the confusion matrix and calibration bins."""
    return [_scores_table(evaluation), _confusion_table(evaluation), _bins_table(evaluation)]


def _scores_table(evaluation: Evaluation) -> Table:
    table = Table(
        title=f"accuracy {evaluation.accuracy:.3f} · macro F1 {evaluation.macro_f1:.3f}",
    )
    table.add_column("class")
    for name in ("precision", "recall", "F1", "support"):
        table.add_column(name, justify="right")
    for name, scores in evaluation.per_class.items():
        table.add_row(
            name,
            f"{scores['precision']:.3f}",
            f"{scores['recall']:.3f}",
            f"{scores['f1']:.3f}",
            str(int(scores["support"])),
        )
    return table


def _confusion_table(evaluation: Evaluation) -> Table:
    table = Table(title="confusion (rows: true, columns: predicted)")
    table.add_column("true \\ predicted")
    for name in evaluation.classes:
        table.add_column(_short(name), justify="right")
    for name, row in zip(evaluation.classes, evaluation.confusion, strict=True):
        table.add_row(name, *(str(n) for n in row))
    return table


def _bins_table(evaluation: Evaluation) -> Table:
    calibration = evaluation.calibration
    table = Table(
        title=f"calibration · ECE {calibration['ece']:.3f} · Brier {calibration['brier']:.3f}"
    )
    for name in ("confidence bin", "count", "mean confidence", "accuracy"):
        table.add_column(name, justify="right")
    for b in cast(list[dict[str, float]], calibration["bins"]):
        if b["count"]:
            table.add_row(
                f"{b['lo']:.1f}-{b['hi']:.1f}",
                str(b["count"]),
                f"{b['confidence']:.3f}",
                f"{b['accuracy']:.3f}",
            )
    return table


def _short(name: str) -> str:
    """Column heads: "terrorist_content_candidate" -> "terrorist…"."""
    head = name.split("_")[0]
    return head if head == name else head + "…"
