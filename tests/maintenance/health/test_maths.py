"""The pure maths of equipment health against hand-computed values: Mahalanobis distance and its split by signal,
the score mapping, the NE107 decision table, baseline fitting (constant signal, coverage, not enough data), window
states, recommended actions, the case lifecycle and the baseline as a predictor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhizao.errors import Conflict
from zhizao.maintenance.cases import TRANSITIONS, CaseEvent, transition
from zhizao.maintenance.health.actions import measure_of, recommend
from zhizao.maintenance.health.baseline import Baseline, NotEnoughData, fit_baseline, robust_scale
from zhizao.maintenance.health.kinds import CaseState, CaseTrigger, HealthStatus, ModelKind
from zhizao.maintenance.health.predictor import (
    BaselinePredictor,
    FeatureWindow,
    baseline_artefact,
    load_baseline,
    loader_for,
)
from zhizao.maintenance.health.scoring import (
    Condition,
    assess,
    contributions,
    decide,
    health_score,
    mahalanobis_sq,
    normal_limit,
    out_of_range,
)
from zhizao.maintenance.health.windows import WindowState, at_work, state_in_window, working_windows
from zhizao.telemetry.kinds import EquipmentType

# Covariance [[2, 1], [1, 2]]: its inverse is [[2, -1], [-1, 2]] / 3.
PRECISION = [[2 / 3, -1 / 3], [-1 / 3, 2 / 3]]


def test_mahalanobis_on_a_two_dimensional_example() -> None:
    # Along the correlation: d = (1, 1) → dᵀPd = (2 − 1 − 1 + 2)/3 = 2/3; against it: d = (1, −1) → 6/3 = 2.
    assert mahalanobis_sq([1, 1], [0, 0], PRECISION) == pytest.approx(2 / 3)
    assert mahalanobis_sq([1, -1], [0, 0], PRECISION) == pytest.approx(2.0)
    assert mahalanobis_sq([3, 1], [2, 0], PRECISION) == pytest.approx(2 / 3)  # relative to the location


def test_contributions_split_the_distance_exactly() -> None:
    # d = (1, −1): P d = (1, −1), so each signal contributes d_j (P d)_j = 1.
    assert contributions([1, -1], [0, 0], PRECISION) == pytest.approx([1.0, 1.0])
    assert contributions([1, 1], [0, 0], PRECISION) == pytest.approx([1 / 3, 1 / 3])
    # d = (2, 0): P d = (4/3, −2/3): the second signal, normal itself, takes nothing.
    assert contributions([2, 0], [0, 0], PRECISION) == pytest.approx([8 / 3, 0.0])


def test_score_mapping() -> None:
    c = -2 * math.log(0.01)  # χ²₀.₉₉ with 2 degrees of freedom, in closed form
    assert normal_limit(2) == pytest.approx(c)
    cases = [(0.0, 100.0), (c / 2, 90.0), (c, 80.0), (10**0.5 * c, 60.0), (10 * c, 40.0), (100 * c, 0.0), (1e6, 0.0)]
    for d2, score in cases:
        assert health_score(d2, 2) == pytest.approx(score), d2
    with pytest.raises(ValueError, match="never negative"):
        health_score(-1.0, 2)


@pytest.mark.parametrize(
    ("state", "mode", "missing", "out_of_spec", "score", "expected"),
    [
        (3, 3, False, False, 95.0, HealthStatus.NORMAL),
        (None, None, False, False, 95.0, HealthStatus.NORMAL),
        (3, 3, False, False, 59.9, HealthStatus.MAINTENANCE_REQUIRED),
        (3, 3, False, True, 70.0, HealthStatus.OUT_OF_SPECIFICATION),
        (3, 3, False, True, 10.0, HealthStatus.OUT_OF_SPECIFICATION),
        (3, 3, True, False, None, HealthStatus.CHECK_FUNCTION),
        (3, 2, False, False, 95.0, HealthStatus.CHECK_FUNCTION),  # setup
        (1, 1, False, False, None, HealthStatus.FAILURE),  # out of service, in maintenance
        (1, 3, True, True, 5.0, HealthStatus.FAILURE),  # failure wins over everything
        (3, 1, False, True, 5.0, HealthStatus.CHECK_FUNCTION),  # maintenance mode over out of specification
        (3, 3, False, False, None, HealthStatus.NOT_ENOUGH_DATA),
    ],
)
def test_ne107_decision_table(
    state: int | None, mode: int | None, missing: bool, out_of_spec: bool, score: float | None, expected: HealthStatus
) -> None:
    assert decide(Condition(state, mode, missing, out_of_spec, score)) == expected


def test_out_of_range_is_beyond_the_range_by_its_width() -> None:
    assert not out_of_range(14.0, 10.0, 12.0) and out_of_range(14.01, 10.0, 12.0)
    assert not out_of_range(8.0, 10.0, 12.0) and out_of_range(7.99, 10.0, 12.0)


def test_robust_scale() -> None:
    # median 3; |x − 3| = 2, 1, 0, 1, 97 → MAD 1; the outlier does not move it.
    assert robust_scale(np.array([1.0, 2.0, 3.0, 4.0, 100.0])) == pytest.approx((3.0, 1.4826))
    # MAD 0 but not constant: the standard deviation of (5, 5, 5, 5, 10) is 2.
    assert robust_scale(np.array([5.0, 5.0, 5.0, 5.0, 10.0])) == pytest.approx((5.0, 2.0))
    assert robust_scale(np.array([7.0, 7.0, 7.0])) == (7.0, 0.0)


def _normal(rows: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=rows)
    return np.column_stack([10 + a, 50 + 2 * a + 0.5 * rng.normal(size=rows), 3 + 0.1 * rng.normal(size=rows)])


def test_constant_signal_is_dropped_with_a_note() -> None:
    data = np.column_stack([_normal(60), np.full(60, 230.0)])
    fit = fit_baseline(data, ["vib", "temp", "power", "voltage"], window_s=60)
    assert isinstance(fit, Baseline)
    assert fit.signals == ("vib", "temp", "power")
    assert fit.notes == ("voltage: dropped, constant at 230 over the period",)
    assert fit.coverage["voltage"] == 1.0 and fit.windows == 60


def test_low_coverage_signal_is_dropped_and_windows_need_every_kept_signal() -> None:
    data = np.column_stack([_normal(60), np.where(np.arange(60) % 3 == 0, 1.0, np.nan)])
    data[0, 0] = np.nan  # one window without the first signal: not used
    fit = fit_baseline(data, ["vib", "temp", "power", "cycle_time"], window_s=60)
    assert isinstance(fit, Baseline)
    assert fit.signals == ("vib", "temp", "power") and fit.windows == 59
    assert fit.notes[0].startswith("cycle_time: dropped, values in 33% of windows")


def test_not_enough_data_is_an_explicit_outcome() -> None:
    fit = fit_baseline(_normal(29), ["vib", "temp", "power"], window_s=60)
    assert isinstance(fit, NotEnoughData)
    assert (fit.windows, fit.needed) == (29, 30)
    assert "at least 30 needed" in fit.reason
    nothing = fit_baseline(np.full((40, 1), 5.0), ["flat"], window_s=60)
    assert isinstance(nothing, NotEnoughData) and nothing.reason.startswith("no usable signal")
    empty = fit_baseline(np.empty((0, 2)), ["a", "b"], window_s=60)
    assert isinstance(empty, NotEnoughData) and empty.windows == 0


def test_a_shift_in_two_correlated_signals_lowers_health_and_names_them() -> None:
    fit = fit_baseline(_normal(400), ["vib", "temp", "power"], window_s=60)
    assert isinstance(fit, Baseline)
    normal = assess(fit, {"vib": 10.0, "temp": 50.0, "power": 3.0})
    assert normal.status == HealthStatus.NORMAL and normal.score is not None and normal.score > 90
    shifted = assess(fit, {"vib": 13.0, "temp": 60.0, "power": 3.0})
    assert shifted.score is not None and shifted.score < 60
    assert shifted.status in (HealthStatus.MAINTENANCE_REQUIRED, HealthStatus.OUT_OF_SPECIFICATION)
    assert {d.signal for d in shifted.drivers} == {"vib", "temp"}
    assert all(d.direction == "up" for d in shifted.drivers)
    # Against the correlation (vibration up, temperature down) is more anomalous than along it.
    against = assess(fit, {"vib": 11.0, "temp": 48.0, "power": 3.0})
    along = assess(fit, {"vib": 11.0, "temp": 52.0, "power": 3.0})
    assert against.d2 is not None and along.d2 is not None and against.d2 > 3 * along.d2
    missing = assess(fit, {"vib": 10.0, "temp": None, "power": 3.0})
    assert missing.status == HealthStatus.CHECK_FUNCTION and missing.score is None and missing.missing == ["temp"]
    failed = assess(fit, {"vib": 10.0, "temp": 50.0, "power": 3.0}, state=1, mode=1)
    assert failed.status == HealthStatus.FAILURE and failed.score is None


def test_baseline_round_trips_as_an_artefact_and_predicts() -> None:
    fit = fit_baseline(_normal(100), ["vib", "temp", "power"], window_s=60)
    assert isinstance(fit, Baseline)
    artefact = baseline_artefact(fit)
    assert load_baseline(artefact) == fit
    loader = loader_for("zhizao.health_baseline/1")
    assert loader is not None
    predictor = loader(artefact)
    assert isinstance(predictor, BaselinePredictor) and predictor.kind == ModelKind.HEALTH_BASELINE
    result = predictor.predict(FeatureWindow(1, 0, 60_000_000, {"vib": 13.0, "temp": 60.0, "power": 3.0}))
    assert result.unit == "score" and result.alert and result.value is not None and result.value < 60
    assert loader_for("no.such/format") is None
    with pytest.raises(ValueError, match="format"):
        Baseline.from_json({"format": "other"})


def test_state_in_window() -> None:
    points = [(0, 3.0), (60, 3.0), (130, 2.0), (200, 3.0)]
    assert state_in_window(points, 100, 120) == WindowState(last=3, steady=3)
    assert state_in_window(points, 100, 160) == WindowState(last=2, steady=None)  # changed inside
    assert state_in_window(points, -50, -10) == WindowState(last=None, steady=None)  # unknown
    assert state_in_window(points, 130, 190) == WindowState(last=2, steady=2)  # a change exactly at the start


def test_at_work_and_working_windows() -> None:
    assert at_work(None, None)
    assert at_work(WindowState(3, 3), WindowState(3, 3))
    assert not at_work(WindowState(2, 2), WindowState(3, 3))  # idle
    assert not at_work(WindowState(3, 3), WindowState(2, 2))  # setup
    assert not at_work(WindowState(3, None), None)  # changing
    state = [(0, 3.0), (250, 2.0), (400, 3.0)]
    mode = [(0, 3.0), (310, 2.0), (420, 3.0)]
    starts = [0, 100, 200, 300, 400, 500]
    assert working_windows(state, mode, starts, 100) == [True, True, False, False, False, True]
    assert working_windows(None, None, starts, 100) == [True] * 6


def test_recommended_actions() -> None:
    assert measure_of("vibration_rms_mm_s") == "vibration" and measure_of("spindle_load_pct") == "load"
    assert measure_of("temperature_c") == "temperature" and measure_of("program_name") is None
    cnc = EquipmentType.CNC_MACHINE_TOOL
    mode, action = recommend(cnc, ["vibration_rms_mm_s", "temperature_c"])
    assert mode == "Spindle bearing wear" and "lubrication" in action and "spindle bearings" in action
    assert recommend(cnc, ["spindle_load_pct"])[0] == "Tool wear or spindle overload"
    assert recommend(EquipmentType.INDUSTRIAL_ROBOT, ["joint_torque_nm"])[0] == "Reducer wear"
    assert recommend(cnc, ["vibration_rms_mm_s"], status=HealthStatus.FAILURE)[0] == "Breakdown"
    assert recommend(cnc, [], trigger=CaseTrigger.RUL)[0] == "Wear-out"
    assert recommend(EquipmentType.PRESS, ["vibration_x", "bearing_temp"])[0] == "Bearing wear"
    assert recommend(EquipmentType.PRESS, ["flow"])[0] == "Unclassified deviation"


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (CaseState.OPEN, CaseEvent.ACKNOWLEDGE, CaseState.ACKNOWLEDGED),
        (CaseState.OPEN, CaseEvent.CLOSE, CaseState.CLOSED),
        (CaseState.ACKNOWLEDGED, CaseEvent.CLOSE, CaseState.CLOSED),
        (CaseState.ACKNOWLEDGED, CaseEvent.ACKNOWLEDGE, None),
        (CaseState.CLOSED, CaseEvent.ACKNOWLEDGE, None),
        (CaseState.CLOSED, CaseEvent.CLOSE, None),
    ],
)
def test_case_lifecycle(state: CaseState, event: CaseEvent, expected: CaseState | None) -> None:
    assert TRANSITIONS.get((state, event)) == expected
    if expected is None:
        with pytest.raises(Conflict):
            transition(state, event)
    else:
        assert transition(state, event) == expected


def test_drivers_by_own_deviation_then_by_share() -> None:
    from zhizao.maintenance.health.scoring import Driver, pick_drivers

    far = [Driver("a", -5.0, 3.5, 1, 0), Driver("b", 20.0, 6.0, 1, 0), Driver("c", 1.0, 0.5, 1, 0)]
    assert [d.signal for d in pick_drivers(far)] == ["b", "a"]  # |z| ≥ 3, largest first; a counts though negative
    # Nobody far off: a broken correlation, named by the shares of D² (total 10: 15 % is 1.5).
    broken = [Driver("a", 6.0, 2.0, 1, 0), Driver("b", 3.0, -2.0, 0, 1), Driver("c", 1.0, 0.5, 1, 0)]
    assert [d.signal for d in pick_drivers(broken)] == ["a", "b"]
