"""``zhizao maintenance rul …``: remaining useful life from run-to-failure histories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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


@rul_app.command("train")
def train(
    data: Annotated[Path, typer.Option("--data", help="Folder holding train_FDnnn.txt(.gz).")],
    subset: Annotated[str, typer.Option("--subset", help="Subset name, e.g. FD001.")],
    out: Annotated[Path, typer.Option("--out", help="The model file to write (header line, then the model).")],
    cycle_minutes: Annotated[
        int, typer.Option("--cycle-minutes", min=1, help="On live equipment one cycle is this many minutes at work.")
    ] = 60,
    lookback_cycles: Annotated[
        int | None,
        typer.Option("--lookback-cycles", min=1, help="Cycles of history read live (default: the longest life)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the folds, calibration cuts and models.")] = 0,
    coverage: Annotated[float, typer.Option(help="Stated coverage of the prediction intervals.")] = 0.9,
) -> None:
    """Fit on a C-MAPSS subset's training units and save a model the registry accepts (its header names signals,
    training data, held-out figures and the cycle definition; upload it at POST /api/maintenance/models/upload)."""
    from zhizao.maintenance.rul import online
    from zhizao.maintenance.rul.cmapss import SENSORS, SETTINGS, load_subset
    from zhizao.maintenance.rul.model import RulModel

    def run() -> dict[str, Any]:
        loaded = load_subset(data, subset)
        model = RulModel(
            SETTINGS, SENSORS, ModelSpec(seed=seed, coverage=coverage),
            description=f"C-MAPSS {loaded.name} training units ({loaded.folder.name})",
        )  # fmt: skip
        model.fit(loaded.train)
        longest = max(h.n_cycles for h in loaded.train)
        lookback = lookback_cycles or min(longest, online.MAX_HISTORY_MINUTES // cycle_minutes)
        return online.save(model, out, cycle_minutes=cycle_minutes, lookback_cycles=lookback)

    header = guarded(run)
    v = header.get("validation") or {}
    say(
        f"saved {out}: {header['training_units']} units of {subset}, signals {', '.join(header['required_signals'])}; "
        f"held-out RMSE {v.get('rmse', float('nan')):.2f} cycles, coverage {v.get('coverage', float('nan')):.1%}; "
        f"one cycle = {cycle_minutes} min at work, lookback {header['lookback_cycles']} cycles; "
        f"trained in {header['training_seconds']} s"
    )
