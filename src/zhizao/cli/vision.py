"""``zhizao vision …``: AI visual quality inspection — evaluating the inspection models on a folder of images.

One function per command under ``vision evaluate``; the printing helpers below (``_table``, ``_fail``) are shared
so that every evaluation reads the same way: a readable table, or one JSON object with ``--json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from zhizao.cli.common import err, guarded, say
from zhizao.cli.vision_datasets import LearnedMaps
from zhizao.cli.vision_datasets import register as register_dataset_commands
from zhizao.vision.provenance import described
from zhizao.vision.splits import DEFAULT_SEED

vision_app = typer.Typer(help="AI visual quality inspection: defect classification, detection, anomaly.",
                         no_args_is_help=True)  # fmt: skip
evaluate_app = typer.Typer(help="Evaluate an inspection model on a folder of images (benchmarks or your own).",
                           no_args_is_help=True)  # fmt: skip
vision_app.add_typer(evaluate_app, name="evaluate")
register_dataset_commands(vision_app)  # dataset import|list|version, train, models

Data = Annotated[Path, typer.Option("--data", help="The image folder.", file_okay=False)]
Seed = Annotated[int, typer.Option(help="Seed of the stated split and of the models.", min=0)]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], formats: Sequence[str] = ()) -> None:
    """Plain aligned text (class names must never be cut short), numbers right-aligned; ``formats`` gives a column's
    format spec (floats default to four decimals)."""
    specs = [*formats, *[""] * (len(headers) - len(formats))]
    cells = [[_cell(value, spec) for value, spec in zip(row, specs, strict=True)] for row in rows]
    widths = [max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]
    say("  ".join(header.ljust(width) for header, width in zip(headers, widths, strict=True)).rstrip())
    for row, raw in zip(cells, rows, strict=True):
        say(
            "  ".join(
                text.rjust(width) if isinstance(value, int | float) else text.ljust(width)
                for text, width, value in zip(row, widths, raw, strict=True)
            ).rstrip()
        )


@contextmanager
def _progress(quiet: bool, description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr fed with (done, total); nothing with ``quiet`` (JSON output)."""
    if quiet:
        yield lambda done, total: None
        return
    with Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:  # fmt: skip
        task = bar.add_task(description)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _cell(value: object, spec: str) -> str:
    if isinstance(value, float):
        return format(value, spec or ".4f")
    return format(value, spec)


def _say_environment(environment: dict[str, str]) -> None:
    say(f"measured with {described(environment)}")


@evaluate_app.command("classify")
def evaluate_classify(
    data: Data,
    folds: Annotated[int, typer.Option(help="Number of stratified folds.", min=2, max=20)] = 5,
    seed: Seed = DEFAULT_SEED,
    as_json: AsJson = False,
) -> None:
    """Stratified k-fold cross-validation of the defect classifier on a folder with one sub-folder per class
    (<class>/*.jpg or images/<class>/*.jpg): accuracy per fold and mean, recall per class, training time per fold,
    inference latency per image, and which classes were confused."""
    from zhizao.vision.evaluate_classify import FoldResult, evaluate

    def report_fold(result: FoldResult) -> None:
        if not as_json:
            err.print(f"fold {result.fold}/{folds}: accuracy {result.accuracy:.4f} ({result.images} images), "
                      f"trained in {result.train_seconds:.1f} s", markup=False)  # fmt: skip

    with _progress(as_json, "extracting features") as extracted:
        report = guarded(lambda: evaluate(data, folds=folds, seed=seed, progress=report_fold, extracted=extracted))
    if as_json:
        say(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    say(f"{report.algorithm} on {report.data}: {report.images} images, {len(report.classes)} classes, "
        f"{len(report.folds)} stratified folds (seed {report.seed})")  # fmt: skip
    say("")
    _table(
        ["fold", "images", "accuracy", "train s", "train CPU s"],
        [[f.fold, f.images, f.accuracy, f.train_seconds, f.train_cpu_seconds] for f in report.folds],
        ["", "", ".4f", ".1f", ".1f"],
    )
    say("")
    _table(["class", "images", "recall"], [[label, report.class_counts[label], report.recall[label]]
                                            for label in report.classes])  # fmt: skip
    say("")
    if report.confusions:
        _table(["true class", "predicted as", "images"], [[c.truth, c.predicted, c.count] for c in report.confusions])
    else:
        say("no image was confused with another class")
    say("")
    say(f"mean accuracy {report.mean_accuracy:.4f} over {len(report.folds)} folds "
        f"(pooled {report.pooled_accuracy:.4f}); training {report.mean_train_seconds:.1f} s per fold "
        f"({report.mean_train_cpu_seconds:.1f} s CPU); latency per image {report.latency_ms_mean:.1f} ms mean, "
        f"{report.latency_ms_p95:.1f} ms p95 ({report.latency_cpu_ms_mean:.1f} ms CPU)")  # fmt: skip
    _say_environment(report.environment)


TestShare = Annotated[float, typer.Option(help="Share of each class's images held out for testing.", min=0.01,
                                          max=0.99)]  # fmt: skip


ValidationSeed = Annotated[int | None, typer.Option(
    help="Split the training part again with this seed (same share) and score that validation part instead of the "
         "test images, which are then not read: for choosing settings.", min=0)]  # fmt: skip
TrainingSeed = Annotated[int | None, typer.Option(
    help="Seed of the detector's random draws (windows, trees) [default: --seed].", min=0)]  # fmt: skip
ScorerSets = Annotated[int | None, typer.Option(
    help="Window scorer sets averaged [default: the detector's own, 2].", min=1)]  # fmt: skip


@evaluate_app.command("detect")
def evaluate_detect(
    data: Data,
    test_share: TestShare = 0.2,
    seed: Seed = DEFAULT_SEED,
    learned_maps: LearnedMaps = False,
    validation_seed: ValidationSeed = None,
    training_seed: TrainingSeed = None,
    scorer_sets: ScorerSets = None,
    as_json: AsJson = False,
) -> None:
    """Train the box detector on a fixed stratified split of a folder laid out as NEU-DET (images/<class>/*.jpg,
    annotations/<class>/*.xml in Pascal-VOC) and report mAP@0.5 (and @0.3), AP per class, training time and latency."""
    from zhizao.vision.evaluate_detect import evaluate

    report = guarded(lambda: evaluate(data, test_share=test_share, seed=seed, learned_maps=learned_maps,
                                      validation_seed=validation_seed, training_seed=training_seed,
                                      scorer_sets=scorer_sets))  # fmt: skip
    if as_json:
        say(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    scored = "tested on" if report.validation_seed is None else \
        f"validated (seed {report.validation_seed}, test images not read) on"  # fmt: skip
    say(f"{report.algorithm} on {report.data}: trained on {report.train_images} images (seed "
        f"{report.training_seed}), {scored} {report.test_images} ({report.test_boxes} boxes; stratified "
        f"{report.test_share:g} hold-out, seed {report.seed})")  # fmt: skip
    say("")
    voc, loose = report.ap50_difficult_ignored, report.ap30
    _table(["class", "AP@0.5", "difficult ignored", "AP@0.3"],
           [[label, value, voc.get(label, "-"), loose[label]] for label, value in report.ap50.items()])  # fmt: skip
    say("")
    voc_map = "-" if report.map50_difficult_ignored is None else f"{report.map50_difficult_ignored:.4f}"
    say(f"mAP@0.5 {report.map50:.4f}; with the {report.difficult_boxes} boxes marked difficult ignored, as Pascal VOC "
        f"scores: {voc_map}; mAP@0.3 {report.map30:.4f} (found, but boxed unlike the annotator at 0.5)")  # fmt: skip
    say(f"training {report.train_seconds:.1f} s; latency per image {report.latency_ms_mean:.1f} ms mean, "
        f"{report.latency_ms_p95:.1f} ms p95")  # fmt: skip
    _say_environment(report.environment)


TrainShare = Annotated[float, typer.Option(help="Share of the defect-free images the model trains on.", min=0.05,
                                           max=0.95)]  # fmt: skip


@evaluate_app.command("anomaly")
def evaluate_anomaly(
    data: Data,
    train_share: TrainShare = 0.6,
    seed: Seed = DEFAULT_SEED,
    copies: Annotated[
        int | None, typer.Option(help="Synthetic-defect copies per training image [default: the model's own].", min=1)
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Train the anomaly model on a seeded share of the defect-free images of a folder laid out as magnetic tile
    (MT_Free/ or good/, one folder per defect class, masks as <stem>.png beside the images); score the other
    defect-free images and every defect image: image AUROC overall and per class, pixel AUROC, training time and
    latency."""
    from zhizao.vision.evaluate_anomaly import evaluate

    knobs = {} if copies is None else {"copies": copies}
    report = guarded(lambda: evaluate(data, train_share=train_share, seed=seed, **knobs))
    if as_json:
        say(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    say(f"{report.algorithm} on {data}: {report.split}")
    say("")
    _table(
        ["class", "test images", "image AUROC", "pixel AUROC"],
        [[label, count, report.image_auroc_per_class[label], report.pixel_auroc_per_class.get(label, "-")]
         for label, count in report.test_defect_images.items()],
    )  # fmt: skip
    say("")
    pixel = "-" if report.pixel_auroc is None else f"{report.pixel_auroc:.4f}"
    best = "-" if report.pixel_best_f1 is None else f"{report.pixel_best_f1:.4f}"
    say(f"image AUROC {report.image_auroc:.4f}; pixel AUROC {pixel}, best pixel F1 {best}")
    say(f"at the model's threshold {report.threshold:.3f}: {report.free_passed:.1%} of the defect-free test images "
        f"pass, {report.defects_flagged:.1%} of the defect images are flagged")  # fmt: skip
    _table(
        ["station threshold", "defect-free passed", "defects flagged"],
        [[point["threshold"], point["good_passed"], point["defects_flagged"]] for point in report.operating_points],
        [".4f", ".1%", ".1%"],
    )
    say(f"training {report.training_seconds:.1f} s; latency per image {report.latency_ms_mean:.1f} ms mean, "
        f"{report.latency_ms_p95:.1f} ms p95")  # fmt: skip
    _say_environment(report.environment)
