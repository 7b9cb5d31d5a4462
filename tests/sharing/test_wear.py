"""Wear as consumed damage: hand-computed reference cases and the time-only rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from zhizao.errors import InputError
from zhizao.sharing.wear import (
    BearingKind,
    SpindleSegment,
    SpindleSpec,
    ThermalCycle,
    ThermalSpec,
    ToolCounterReading,
    ToolSpec,
    WearSignals,
    WearStatus,
    assess_wear,
    spindle_damage,
)

H = 3_600_000_000
SPINDLE = SpindleSpec(
    component_id="spindle", bearing=BearingKind.BALL, speed_ref_rpm=10_000.0, load_ref=1.0, l10h_ref=20_000.0
)
WINDOW = [(0, 2 * H)]


def _spindle(load: float, spec: SpindleSpec = SPINDLE) -> Decimal:
    result = assess_wear([spec], WearSignals(spindle=[SpindleSegment(0, 2 * H, 8_000.0, load)]), WINDOW)
    assert result.status is WearStatus.METERED
    return result.components[0].damage


def test_heavy_and_light_cutting_for_the_same_time_wear_differently() -> None:
    # ΔD = 2 h · (8000/10000) · (P/1)^3 / 20000 h
    assert _spindle(0.5) == Decimal("0.000010000")  # 2·0.8·0.125/20000
    assert _spindle(1.0) == Decimal("0.000080000")  # 2·0.8·1/20000: twice the load, 8 times the wear
    roller = SPINDLE.model_copy(update={"bearing": BearingKind.ROLLER})
    assert _spindle(0.5, roller) == Decimal("0.000007937")  # 2·0.8·0.5^(10/3)/20000 = 7.9370e-6


def test_wear_is_counted_only_inside_the_billable_intervals() -> None:
    damage = spindle_damage(SPINDLE, [SpindleSegment(0, 2 * H, 8_000.0, 1.0)], [(0, H // 2)])
    assert damage == pytest.approx(0.5 * 0.8 / 20_000)


def test_thermal_cycles_follow_coffin_manson() -> None:
    spec = ThermalSpec(component_id="ballscrew", delta_t_ref_k=40.0, cycles_ref=20_000.0, min_delta_t_k=10.0)
    cycles = [ThermalCycle(10, 20.0), ThermalCycle(20, 40.0), ThermalCycle(30, 5.0), ThermalCycle(3 * H, 40.0)]
    result = assess_wear([spec], WearSignals(thermal=cycles), WINDOW)
    # (20/40)^2/20000 + (40/40)^2/20000 = 1.25e-5 + 5e-5; the 5 K cycle is elastic, the last is outside the job.
    assert result.components[0].damage == Decimal("0.000062500")


def test_tool_life_from_the_counter_across_a_tool_change() -> None:
    spec = ToolSpec(component_id="T1", rated_life=60.0, unit="min")
    readings = [
        ToolCounterReading(0, 10.0),
        ToolCounterReading(H, 40.0),
        ToolCounterReading(H + H // 2, 5.0),  # tool changed: 5 min on the new tool
        ToolCounterReading(2 * H - 1, 20.0),
    ]
    result = assess_wear([spec], WearSignals(tools={"T1": readings}), WINDOW)
    assert result.components[0].damage == Decimal("0.833333333")  # (30 + 5 + 15) / 60


def test_a_machine_without_load_signals_is_billed_by_time_only_and_says_so() -> None:
    result = assess_wear([SPINDLE], WearSignals(), WINDOW)
    assert result.status is WearStatus.TIME_ONLY
    assert result.components == ()
    assert result.reason == "spindle: no spindle speed/load signals"


def test_sparse_load_data_is_not_turned_into_a_small_wear_charge() -> None:
    result = assess_wear([SPINDLE], WearSignals(spindle=[SpindleSegment(0, H, 8_000.0, 1.0)]), WINDOW)
    assert result.status is WearStatus.TIME_ONLY
    assert result.reason is not None and "cover 50% of billable time" in result.reason


def test_one_missing_component_makes_the_whole_machine_time_only() -> None:
    tool = ToolSpec(component_id="T1", rated_life=60.0)
    signals = WearSignals(spindle=[SpindleSegment(0, 2 * H, 8_000.0, 1.0)], tools={})
    result = assess_wear([SPINDLE, tool], signals, WINDOW)
    assert (result.status, result.reason) == (WearStatus.TIME_ONLY, "T1: no tool-life counter")


def test_no_components_configured_is_time_only() -> None:
    assert assess_wear([], WearSignals(), WINDOW).status is WearStatus.TIME_ONLY


def test_bad_signal_values_and_specs_are_refused() -> None:
    with pytest.raises(InputError) as error:
        assess_wear([SPINDLE], WearSignals(spindle=[SpindleSegment(0, 2 * H, float("nan"), 1.0)]), WINDOW)
    assert error.value.fields[0].field == "spindle[0].speed_rpm"
    with pytest.raises(ValidationError):
        SpindleSpec(component_id="s", bearing=BearingKind.BALL, speed_ref_rpm=0.0, load_ref=1.0, l10h_ref=1.0)
