"""`raqib text ...`: analyze one text, train and evaluate the context model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from raqib.cli.context import AppContext
from raqib.cli.output import info_line, print_json_line, print_table, stdout
from raqib.content.text import decode_text

app = typer.Typer(help="Arabic-first text analysis.", no_args_is_help=True)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object.")


@app.command("analyze")
def analyze(
    file: str = typer.Argument("-", help="A text file, or - for standard input."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Assess one text: language, indicators with spans, context, stance, categories."""
    from raqib.text.loading import load_text_analyzer

    context = AppContext.from_env()
    data = sys.stdin.buffer.read() if file == "-" else _read(Path(file), context)
    decoded = decode_text(data)
    analyzer = load_text_analyzer(context.settings, context.database)
    record = analyzer.assess(decoded.text).as_dict()
    record["errors"] = [{"stage": "decode", "message": m} for m in decoded.errors]
    if json_out:
        print_json_line(record)
        return
    _print_assessment(record)


def _read(path: Path, context: AppContext) -> bytes:
    from raqib.content.text import read_text_file

    decoded = read_text_file(path, context.settings.max_text_bytes)
    for message in decoded.errors:
        info_line(f"{path}: {message}")
    return decoded.text.encode("utf-8", errors="surrogatepass")


def _print_assessment(record: dict[str, Any]) -> None:
    stdout.print(
        f"language {record['language']}  context [bold]{record['context']}[/bold]  "
        f"stance {record['stance']}  entity {record['entity']}",
        highlight=False,
    )
    rows = [
        [h["kind"], h["name"], h["entity"], f"{h['start']}-{h['end']}", h["view"], h["quoted"]]
        for h in record["indicators"]
    ]
    print_table("Indicators", ["kind", "name", "entity", "span", "view", "quoted"], rows)
    scores = [[c, f"{s:.2f}"] for c, s in record["categories"].items()]
    print_table("Categories", ["category", "score"], scores)
    for reason in record["reasons"]:
        stdout.print(f"- {reason}", markup=False, highlight=False)


@app.command("train")
def train(
    file: Path = typer.Argument(..., help="Labelled texts: JSONL with text and label."),
    output: Path = typer.Option(
        None, "--output", "-o", help="Model folder (default $RAQIB_HOME/models/context)."
    ),
    seed: int = typer.Option(0, help="Random seed."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Train the context model (character n-gram TF-IDF + calibrated linear model)."""
    from raqib.text.model import read_labelled
    from raqib.text.model import train as train_model

    context = AppContext.from_env()
    examples = read_labelled(file)
    with stdout.status(f"training on {len(examples)} texts ..."):
        model = train_model(examples, seed=seed)
    path = model.save(output or context.settings.models_dir)
    if json_out:
        print_json_line({"version": model.version, "path": str(path), "examples": len(examples)})
        return
    info_line(f"trained model {model.version} on {len(examples)} texts: {path}")


@app.command("eval")
def evaluate(
    file: Path = typer.Argument(..., help="Labelled texts: JSONL with text and label."),
    model_path: Path = typer.Option(None, "--model", "-m", help="Model folder (default: newest)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Evaluate the context model: per-class precision, recall, F1, confusion, calibration."""
    from raqib.text.evaluation import evaluate as evaluate_model
    from raqib.text.evaluation import render_evaluation
    from raqib.text.loading import load_model
    from raqib.text.model import TextModel, read_labelled

    context = AppContext.from_env()
    model = TextModel.load(model_path) if model_path else load_model(context.settings)
    if model is None:
        raise ValueError(
            f"no context model in {context.settings.models_dir}: train one with "
            "`raqib text train FILE.jsonl` or pass --model"
        )
    result = evaluate_model(model, read_labelled(file))
    if json_out:
        print_json_line({"model": model.version, **result.as_dict()})
        return
    stdout.print(f"model {model.version}", highlight=False)
    for table in render_evaluation(result):
        stdout.print(table)
