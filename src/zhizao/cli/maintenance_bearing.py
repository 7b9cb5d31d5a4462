"""``zhizao maintenance bearing …``: vibration fault diagnosis of rolling bearings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from zhizao.cli.common import guarded, say
from zhizao.maintenance.vibration.classifier import DEFAULT_WINDOW
from zhizao.maintenance.vibration.evaluate import Evaluation, LoadResult, evaluate_folder

bearing_app = typer.Typer(help="Bearing fault diagnosis from vibration (CWRU-style data).", no_args_is_help=True)


@bearing_app.command("evaluate")
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="A folder with manifest.json and one .npz per recording.")],
    train_load: Annotated[float, typer.Option("--train-load", help="Train on the recordings at this load (hp).")] = 0,
    window: Annotated[int, typer.Option(help="Samples per window at 12 kHz.", min=256)] = DEFAULT_WINDOW,
    seed: Annotated[int, typer.Option(help="Random seed of the trees.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Train on one load, test on every other load: accuracy, macro-F1 and the confusion matrix per load."""
    report = guarded(lambda: evaluate_folder(data, train_load, window=window, seed=seed))
    if as_json:
        say(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    for result in report.results:
        _print_load(result)
    say(_summary(report))


def _print_load(result: LoadResult) -> None:
    rpm = ", ".join(f"{value:g}" for value in result.rpm)
    say(
        f"load {result.load:g} hp ({rpm} rpm): {result.windows} windows, "
        f"accuracy {result.accuracy:.4f}, macro-F1 {result.macro_f1:.4f}"
    )
    # Plain aligned text rather than a rich table: ten class columns must not be truncated at 80 characters.
    width = max(len(label) for label in [*result.labels, "true"]) + 1
    say("true".ljust(width) + "".join(label.rjust(width) for label in result.labels) + "   (columns: predicted)")
    for label, row in zip(result.labels, result.confusion, strict=False):
        say(label.ljust(width) + "".join((str(value) if value else ".").rjust(width) for value in row))
    if result.unseen:
        say(f"never seen in training (cannot be recognised): {', '.join(result.unseen)}")
    say("")


def _summary(report: Evaluation) -> str:
    scores = ", ".join(f"{result.load:g} hp {result.macro_f1:.4f}" for result in report.results)
    return (
        f"trained on load {report.train_load:g} ({len(report.train_classes)} classes, {report.train_windows} windows, "
        f"window {report.window}, seed {report.seed}) in {report.train_seconds:.1f} s; "
        f"tested in {report.evaluate_seconds:.1f} s; macro-F1 per test load: {scores}; min {report.min_macro_f1:.4f}"
    )


@bearing_app.command("train")
def train(
    data: Annotated[Path, typer.Option("--data", help="A folder with manifest.json and one .npz per recording.")],
    out: Annotated[Path, typer.Option("--out", help="The model file to write (header, then the model).")],
    train_load: Annotated[float, typer.Option("--train-load", help="Train on the recordings at this load (hp).")] = 0,
    window: Annotated[int, typer.Option(help="Samples per window at 12 kHz.", min=256)] = DEFAULT_WINDOW,
    seed: Annotated[int, typer.Option(help="Random seed of the trees.")] = 0,
) -> None:
    """Train on the recordings at one load and save a model the registry accepts (header with classes, rate,
    window, training data and the payload's checksum; upload it at POST /api/maintenance/models/upload)."""
    from zhizao.errors import InputError
    from zhizao.maintenance.vibration.classifier import train as fit
    from zhizao.maintenance.vibration.dataset import load_folder
    from zhizao.maintenance.vibration.online import save_checked

    def run() -> dict[str, object]:
        recordings = [r for r in load_folder(data) if r.load == train_load]
        if not recordings:
            raise InputError.for_field("train_load", f"no recordings at load {train_load:g} in {data}")
        model = fit(recordings, window=window, seed=seed, description=f"{data.name} at load {train_load:g}")
        return save_checked(model, out).as_dict()

    metadata = guarded(run)
    training = metadata["training"]
    assert isinstance(training, dict)
    classes = metadata["classes"]
    assert isinstance(classes, list)
    say(
        f"saved {out}: {len(classes)} classes ({', '.join(classes)}), {training['windows']} windows "
        f"of {metadata['window']} samples at {metadata['fs']} Hz from {len(training['recordings'])} recordings"
    )
