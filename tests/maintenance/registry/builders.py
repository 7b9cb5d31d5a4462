"""Small model files for the registry tests: a RUL model trained on synthetic run-to-failure histories (seconds),
and a bearing diagnoser trained on synthetic recordings; both saved as ``zhizao maintenance … train`` saves them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.maintenance.vibration.builders import synthetic_folder
from zhizao.maintenance.rul import online as rul_online
from zhizao.maintenance.rul.history import History
from zhizao.maintenance.rul.model import ModelSpec, RulModel
from zhizao.maintenance.vibration import load_folder, train
from zhizao.maintenance.vibration import online as bearing_online

RUL_SIGNALS = ("vib", "temp")
CAP = 40.0
CYCLE_MINUTES = 2
LOOKBACK_CYCLES = 80
BEARING_LABELS = ("normal", "IR007", "OR007@6")
BEARING_WINDOW = 2048


def unit_readings(life: int, seed: int) -> np.ndarray:
    """Cycles × (vib, temp) of a unit that fails after ``life`` cycles: wear grows as (cycle / life)^2.5."""
    rng = np.random.default_rng(seed)
    wear = (np.arange(1, life + 1) / life) ** 2.5
    vib = 1.0 + 0.8 * wear + 0.02 * rng.standard_normal(life)
    temp = 40.0 + 6.0 * wear + 0.2 * rng.standard_normal(life)
    return np.column_stack([vib, temp])


def rul_model() -> RulModel:
    rng = np.random.default_rng(7)
    histories = []
    for u in range(12):
        life = int(rng.integers(50, 71))
        histories.append(History(f"u{u}", np.arange(1.0, life + 1), RUL_SIGNALS, unit_readings(life, seed=u)))
    spec = ModelSpec(cap=CAP, folds=3, max_iter=40, min_samples_leaf=5, cuts_per_unit=5, row_stride=1)
    return RulModel((), RUL_SIGNALS, spec, description="synthetic run-to-failure units").fit(histories)


def rul_file(folder: Path) -> Path:
    path = folder / "rul.model"
    rul_online.save(rul_model(), path, cycle_minutes=CYCLE_MINUTES, lookback_cycles=LOOKBACK_CYCLES)
    return path


def bearing_file(folder: Path) -> Path:
    data = synthetic_folder(folder / "recordings", BEARING_LABELS, {0: 1797}, seconds=1.5)
    diagnoser = train(load_folder(data), window=BEARING_WINDOW, trees=40, description="synthetic, 0 hp")
    path = folder / "bearing.model"
    bearing_online.save_checked(diagnoser, path)
    return path
