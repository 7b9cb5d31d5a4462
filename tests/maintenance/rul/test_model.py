"""The RUL model on synthetic degradation (fast), its file format, its errors; a small fit on real FD001 units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zhizao.errors import InputError
from zhizao.maintenance.rul import persistence
from zhizao.maintenance.rul.features import FeatureMaker, FeatureSpec
from zhizao.maintenance.rul.history import History
from zhizao.maintenance.rul.model import ModelSpec, RulModel

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "cmapss"
CONDITIONS = ("altitude",)
SENSORS = ("temperature", "pressure", "stuck")
FAST = ModelSpec(folds=3, max_iter=40, cuts_per_unit=4, min_samples_leaf=5)


def _unit(i: int, rng: np.random.Generator, *, conditions: int = 1) -> History:
    life = int(rng.integers(60, 110))
    cycles = np.arange(1, life + 1, dtype=np.float64)
    wear = np.maximum(0.0, cycles - life * 0.4) ** 1.5 / life
    altitude = rng.integers(0, conditions, size=life) * 10.0
    temperature = 500 + 3 * altitude + wear + rng.normal(scale=0.5, size=life)
    pressure = 20 - 0.3 * altitude - 0.2 * wear + rng.normal(scale=0.2, size=life)
    stuck = np.full(life, 7.0)  # a constant sensor: must be dropped, never divide by zero
    return History(str(i), cycles, (*CONDITIONS, *SENSORS), np.column_stack([altitude, temperature, pressure, stuck]))


@pytest.fixture(scope="module")
def fitted() -> RulModel:
    rng = np.random.default_rng(0)
    return RulModel(CONDITIONS, SENSORS, FAST, description="synthetic").fit([_unit(i, rng) for i in range(15)])


def test_constant_sensor_is_dropped_and_not_required(fitted: RulModel) -> None:
    assert fitted.maker is not None
    assert fitted.maker.dropped == ("stuck",)
    assert "stuck" not in fitted.maker.required_signals
    assert all("stuck" not in name for name in fitted.maker.feature_names)


def test_all_constant_sensors_are_refused() -> None:
    rng = np.random.default_rng(1)
    unit = _unit(0, rng)
    with pytest.raises(InputError, match="every sensor signal is constant"):
        FeatureMaker(CONDITIONS, ("stuck",)).fit([unit])


def test_conditions_are_found_and_normalised_away() -> None:
    rng = np.random.default_rng(2)
    units = [_unit(i, rng, conditions=3) for i in range(4)]
    maker = FeatureMaker(CONDITIONS, SENSORS, FeatureSpec()).fit(units)
    assert maker.conditions is not None and maker.conditions.count == 3
    z = maker.normalise(units[0])
    assert np.abs(z.mean(axis=0)).max() < 1.5  # the 30-unit jumps between conditions are gone


def test_prediction_has_an_interval_and_follows_wear(fitted: RulModel) -> None:
    rng = np.random.default_rng(9)
    unit = _unit(99, rng)
    early, late = fitted.predict(unit.head(20)), fitted.predict(unit.head(unit.n_cycles - 3))
    assert late.rul < early.rul
    for p in (early, late):
        assert 0 <= p.lower <= p.rul <= p.upper <= FAST.cap
        assert p.coverage == 0.9
    assert fitted.validation is not None and fitted.validation.cases == 15 * 4


def test_other_signals_are_a_clear_error(fitted: RulModel) -> None:
    unit = _unit(5, np.random.default_rng(3))
    renamed = History("5", unit.cycles, ("altitude", "temp_c", "pressure", "stuck"), unit.values)
    with pytest.raises(InputError, match="lacks the signal\\(s\\) the model was trained on: temperature"):
        fitted.predict(renamed)
    # Extra signals and another order are fine: the model picks its signals by name.
    reordered = History(
        "5", unit.cycles, ("stuck", "pressure", "extra", "temperature", "altitude"), unit.values[:, [3, 2, 2, 1, 0]]
    )
    assert fitted.predict(reordered).rul == pytest.approx(fitted.predict(unit).rul)


def test_missing_values_and_empty_history_are_refused(fitted: RulModel) -> None:
    unit = _unit(6, np.random.default_rng(4))
    holed = unit.values.copy()
    holed[3, 2] = np.nan
    with pytest.raises(InputError, match="non-finite values in pressure"):
        fitted.predict(History("6", unit.cycles, unit.signals, holed))
    with pytest.raises(InputError, match="not enough data"):
        fitted.predict(unit.head(0))


def test_save_and_load_with_header(fitted: RulModel, tmp_path: Path) -> None:
    path = tmp_path / "rul.model"
    persistence.save(fitted, path, metrics={"rmse": 1.0})
    header = persistence.read_header(path)
    assert header["required_signals"] == ["temperature", "pressure"]  # altitude never varied: not needed
    assert header["dropped_signals"] == ["stuck"] and header["cap"] == 125.0 and header["window"] == 30
    assert header["training_data"] == "synthetic" and header["metrics"] == {"rmse": 1.0}
    unit = _unit(7, np.random.default_rng(5))
    assert persistence.load(path).predict(unit).rul == pytest.approx(fitted.predict(unit).rul)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(InputError, match="checksum"):
        persistence.load(path)
    (tmp_path / "junk").write_bytes(b"not a model\n")
    with pytest.raises(InputError, match="not a zhizao RUL model"):
        persistence.load(tmp_path / "junk")


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/cmapss (C-MAPSS benchmark data) is absent")
def test_small_fit_on_real_fd001_units() -> None:
    from zhizao.maintenance.rul.cmapss import SENSORS as CMAPSS_SENSORS
    from zhizao.maintenance.rul.cmapss import SETTINGS, load_subset
    from zhizao.maintenance.rul.scoring import rmse

    data = load_subset(DATA, "FD001")
    model = RulModel(SETTINGS, CMAPSS_SENSORS, FAST).fit(data.train[:12])
    assert model.maker is not None and model.maker.conditions is not None
    assert model.maker.conditions.count == 1
    assert "sensor_1" in model.maker.dropped  # constant in FD001
    predictions = model.predict_many(data.test[:20])
    assert rmse([p.rul for p in predictions], np.minimum(data.test_rul[:20], 125)) < 35
