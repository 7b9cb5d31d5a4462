"""``zhizao maintenance rul …``: remaining useful life from run-to-failure histories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from zhizao.cli.common import guarded, say
from zhizao.maintenance.rul.evaluate import Evaluation, evaluate_subset
from zhizao.maintenance.rul.model import ModelSpec

rul_app = typer.Typer(help="Remaining useful life (C-MAPSS-style data).", no_args_is_help=True)


@rul_app.callback()
def rul() -> None:
    """Remaining useful life (a group, so that ``evaluate`` stays a sub-command as more are added)."""


def _summary(result: Evaluation) -> list[str]:
    v = result.validation
    return [
        f"subset {result.subset}: {result.train_units} training units, {result.test_units} test units, "
        f"{result.operating_conditions} operating condition(s); dropped constant signals: "
        f"{', '.join(result.dropped_signals) or 'none'}",
        f"capped truth (≤125): RMSE {result.capped.rmse:.2f}  PHM08 {result.capped.phm08:.1f}",
        f"raw truth:           RMSE {result.raw.rmse:.2f}  PHM08 {result.raw.phm08:.1f}",
        f"interval: stated coverage {result.stated_coverage:.0%}, observed {result.observed_coverage:.1%} on the "
        f"capped truth ({result.observed_coverage_raw:.1%} raw), mean width {result.mean_width:.1f} cycles",
        f"held-out training units ({v.cases} cut histories): RMSE {v.rmse:.2f}, coverage {v.coverage:.1%}, "
        f"mean width {v.mean_width:.1f}",
        f"training time {result.training_seconds:.1f} s (seed {result.seed})",
    ]


@rul_app.command("evaluate")
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="Folder holding train_/test_/RUL_FDnnn.txt(.gz).")],
    subset: Annotated[str, typer.Option("--subset", help="Subset name, e.g. FD001.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the folds, calibration cuts and models.")] = 0,
    coverage: Annotated[float, typer.Option(help="Stated coverage of the prediction intervals.")] = 0.9,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Fit on a C-MAPSS subset's training units; print RMSE and PHM08 on its test units, intervals, training time."""
    result = guarded(lambda: evaluate_subset(data, subset, seed=seed, spec=ModelSpec(seed=seed, coverage=coverage)))
    if as_json:
        say(json.dumps(result.as_dict(), indent=2))
    else:
        for line in _summary(result):
            say(line)
