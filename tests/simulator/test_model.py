"""The virtual factory's model: determinism, physical plausibility, and ground truth that matches the data."""

from __future__ import annotations

import bisect
import itertools
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from zhizao.simulator import (
    ACTIVITY_STATES,
    Activity,
    Cadence,
    FactoryRun,
    FactorySpec,
    LineSpec,
    MachineryItemState,
    MachineSpec,
    OperationMode,
    Reading,
    StateInterval,
    Truth,
    Value,
    activity_of,
    default_factory,
)
from zhizao.telemetry.kinds import DataType, EquipmentType

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = int(datetime(2024, 5, 6, tzinfo=SHANGHAI).timestamp() * 1000)  # a Monday, local midnight
HOUR = 3_600_000
DAY = 24 * HOUR

Series = dict[tuple[str, str], list[tuple[int, Value]]]


def series(readings: Iterable[Reading]) -> Series:
    by_signal: Series = defaultdict(list)
    for r in readings:
        by_signal[r.device_code, r.signal].append((r.ts_ms, r.value))
    return by_signal


def small_spec(*, sample_period_ms: int = 10_000, cnc_mtbf_h: float | None = 5.0) -> FactorySpec:
    machines = (
        MachineSpec(code="L1-CNC-01", name="CNC", equipment_type=EquipmentType.CNC_MACHINE_TOOL, mtbf_h=cnc_mtbf_h),
        MachineSpec(code="L1-ROB-01", name="Robot", equipment_type=EquipmentType.INDUSTRIAL_ROBOT),
        MachineSpec(code="L1-PKG-01", name="Packer", equipment_type=EquipmentType.PACKAGING_MACHINE, mtbf_h=8.0),
    )
    return FactorySpec(
        lines=(LineSpec(code="L1", name="Line 1", machines=machines),), sample_period_ms=sample_period_ms
    )


@dataclass
class Week:
    run: FactoryRun
    readings: list[Reading]
    series: Series
    truth: Truth


@pytest.fixture(scope="module")
def week() -> Week:
    """Eight days (Monday to the next Monday, a Sunday off) of a small line that fails often, sampled every 10 s."""
    run = FactoryRun(small_spec(), seed=11, start_ms=START)
    readings = run.step(START + 8 * DAY)
    return Week(run, readings, series(readings), run.truth)


def intervals_at(intervals: tuple[StateInterval, ...], ts: int) -> StateInterval:
    """The interval containing ``ts`` (intervals are sorted and contiguous)."""
    found = intervals[bisect.bisect_right(intervals, ts, key=lambda interval: interval.start_ms) - 1]
    assert found.start_ms <= ts < found.end_ms
    return found


def value_at(points: list[tuple[int, Value]], ts: int) -> Value:
    """The value in effect at ``ts``: the last one sent at or before it."""
    return points[bisect.bisect_right(points, ts, key=lambda point: point[0]) - 1][1]


def local_hour(ts: int) -> float:
    moment = datetime.fromtimestamp(ts / 1000, SHANGHAI)
    return moment.hour + moment.minute / 60


# --- determinism ---------------------------------------------------------------------------------------------


def two_hours(seed: int) -> list[Reading]:
    run = FactoryRun(default_factory(1), seed=seed, start_ms=START + 7 * HOUR + 30 * 60_000)
    return run.step(run.start_ms + 2 * HOUR)


def test_same_seed_same_readings_different_seed_different() -> None:
    first, again, other = two_hours(3), two_hours(3), two_hours(4)
    assert first == again
    assert len(first) > 10_000
    assert first != other


def test_result_does_not_depend_on_how_the_run_is_stepped() -> None:
    spec = small_spec(sample_period_ms=1_000)
    whole = FactoryRun(spec, seed=5, start_ms=START + 7 * HOUR)
    expected = whole.step(START + 12 * HOUR)
    chunked = FactoryRun(spec, seed=5, start_ms=START + 7 * HOUR)
    pieces: list[Reading] = []
    chooser = random.Random(0)
    while chunked.now_ms < START + 12 * HOUR:
        pieces += chunked.step(min(START + 12 * HOUR, chunked.now_ms + chooser.choice([0, 1, 999, 1_000, 61_234])))
    assert sorted(pieces) == sorted(expected)
    assert chunked.truth == whole.truth


def test_lifecycle_does_not_depend_on_the_sample_period() -> None:
    coarse = FactoryRun(small_spec(sample_period_ms=10_000), seed=8, start_ms=START + 6 * HOUR)
    fine = FactoryRun(small_spec(sample_period_ms=1_000), seed=8, start_ms=START + 6 * HOUR)
    coarse.step(START + 18 * HOUR)
    fine.step(START + 18 * HOUR)
    assert coarse.truth == fine.truth
    assert len(coarse.truth.intervals["L1-CNC-01"]) > 10


def test_cannot_step_back() -> None:
    run = FactoryRun(small_spec(), seed=1, start_ms=START)
    run.step(START + HOUR)
    with pytest.raises(ValueError, match="back"):
        run.step(START)


# --- the catalogue and the readings agree --------------------------------------------------------------------

PYTHON_TYPES = {DataType.INT: int, DataType.FLOAT: float, DataType.BOOL: bool, DataType.STRING: str}


def test_every_reading_is_in_its_device_catalogue_with_the_right_type(week: Week) -> None:
    catalogue = {(d.code, s.name): s for d in week.run.devices for s in d.signals}
    for r in week.readings:
        spec = catalogue[r.device_code, r.signal]
        assert (r.kind, r.data_type, r.unit) == (spec.kind, spec.data_type, spec.unit)
        assert type(r.value) is PYTHON_TYPES[r.data_type], r
        assert START <= r.ts_ms < START + 8 * DAY
    seen = {(r.device_code, r.signal) for r in week.readings}
    assert seen == set(catalogue)


def test_first_instant_carries_every_periodic_signal() -> None:
    run = FactoryRun(default_factory(1), seed=2, start_ms=START)
    first = {(r.device_code, r.signal) for r in run.step(START + 1)}
    expected = {(d.code, s.name) for d in run.devices for s in d.signals if s.name != "cycle_time_s"}
    assert first == expected


def test_readings_per_device_are_in_time_order_and_rates_match_the_catalogue(week: Week) -> None:
    for device in week.run.devices:
        stamps = [r.ts_ms for r in week.readings if r.device_code == device.code]
        assert stamps == sorted(stamps)
        for signal in device.signals:
            if signal.expected_rate_hz is None:
                continue
            count = len(week.series[device.code, signal.name])
            expected = signal.expected_rate_hz * 8 * DAY / 1000
            assert expected <= count, signal.name  # heartbeat signals: also on every change
            if signal.cadence is not Cadence.HEARTBEAT:
                assert count == expected, signal.name


def test_snapshot_is_the_last_value_of_each_signal(week: Week) -> None:
    for device in week.run.devices:
        snapshot = week.run.snapshot(device.code)
        for signal in device.signals:
            assert snapshot[signal.name] == week.series[device.code, signal.name][-1][1]


def test_default_factory_layout_and_codes() -> None:
    spec = default_factory(3)
    codes = [m.code for m in spec.machines]
    assert codes[:6] == ["L1-CNC-01", "L1-CNC-02", "L1-CNC-03", "L1-ROB-01", "L1-ROB-02", "L1-PKG-01"]
    assert len(codes) == len(set(codes)) == 18
    assert {d.line_code for d in FactoryRun(spec, seed=1, start_ms=START).devices} == {"L1", "L2", "L3"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "L1/CNC"}, "pattern"),
        ({"code": "L1.CNC"}, "pattern"),  # the platform's device codes are letters, digits, _ and -
        ({"equipment_type": EquipmentType.AGV}, "no model for agv"),
        ({"mtbf_h": 0}, "greater than 0"),
    ],
)
def test_machine_spec_rejects(change: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"code": "M1", "name": "m", "equipment_type": EquipmentType.CNC_MACHINE_TOOL}
    with pytest.raises(ValidationError, match=message):
        MachineSpec.model_validate(fields | change)


def test_factory_spec_rejects_duplicate_codes() -> None:
    machine = MachineSpec(code="M1", name="m", equipment_type=EquipmentType.CNC_MACHINE_TOOL)
    with pytest.raises(ValidationError, match="unique: M1"):
        FactorySpec(lines=(LineSpec(code="L1", name="l", machines=(machine, machine)),))


# --- counters ------------------------------------------------------------------------------------------------


def test_counters_never_decrease_and_production_happens(week: Week) -> None:
    for device in week.run.devices:
        for name in ("good_parts", "scrap_parts", "energy_kwh"):
            values = [float(v) for _, v in week.series[device.code, name]]
            assert all(b >= a for a, b in itertools.pairwise(values)), (device.code, name)
            assert values[-1] > values[0], (device.code, name)


# --- states and ground truth ---------------------------------------------------------------------------------


def test_states_are_valid_codes_and_match_the_truth(week: Week) -> None:
    for device in week.run.devices:
        states = week.series[device.code, "machinery_item_state"]
        modes = week.series[device.code, "operation_mode"]
        assert {v for _, v in states} <= {s.value for s in MachineryItemState}
        assert {v for _, v in modes} <= {m.value for m in OperationMode}
        intervals = week.truth.intervals[device.code]
        for ts, state in states:
            mode = value_at(modes, ts)  # each is sent when it changes, and both on every heartbeat
            assert isinstance(state, int) and isinstance(mode, int)
            assert activity_of(state, mode) is intervals_at(intervals, ts).activity


def test_truth_intervals_tile_the_run_and_change_exactly_where_the_state_signals_do(week: Week) -> None:
    for device in week.run.devices:
        intervals = week.truth.intervals[device.code]
        assert intervals[0].start_ms == START
        assert intervals[-1].end_ms == START + 8 * DAY
        for before, after in itertools.pairwise(intervals):
            assert before.end_ms == after.start_ms  # contiguous: no gap, no overlap
            assert before.start_ms < before.end_ms
            assert (before.activity, before.program) != (after.activity, after.program)  # merged
        # Reconstruct activities from the published state and mode changes: the same boundaries.
        states = dict(week.series[device.code, "machinery_item_state"])
        modes = dict(week.series[device.code, "operation_mode"])
        current = {"state": states[START], "mode": modes[START]}
        changes = [(START, activity_of(current["state"], current["mode"]))]  # type: ignore[arg-type]
        for ts in sorted(set(states) | set(modes)):
            current["state"] = states.get(ts, current["state"])
            current["mode"] = modes.get(ts, current["mode"])
            activity = activity_of(current["state"], current["mode"])  # type: ignore[arg-type]
            if activity is not changes[-1][1]:
                changes.append((ts, activity))
        truth_changes = [(i.start_ms, i.activity) for i in intervals]
        merged = [c for k, c in enumerate(truth_changes) if k == 0 or c[1] is not truth_changes[k - 1][1]]
        assert changes == merged


def test_night_and_sunday_are_planned_downtime(week: Week) -> None:
    for device in week.run.devices:
        for interval in week.truth.intervals[device.code]:
            if interval.activity in (Activity.PRODUCING, Activity.SETUP, Activity.IDLE):
                start = datetime.fromtimestamp(interval.start_ms / 1000, SHANGHAI)
                assert start.weekday() != 6
                assert local_hour(interval.start_ms) >= 8
                assert local_hour(interval.end_ms - 1) < 24
                assert interval.end_ms - interval.start_ms < 16 * HOUR
        for ts, value in week.series[device.code, "machinery_item_state"]:
            hour, weekday = local_hour(ts), datetime.fromtimestamp(ts / 1000, SHANGHAI).weekday()
            if weekday == 6:
                assert value in (MachineryItemState.NOT_AVAILABLE, MachineryItemState.OUT_OF_SERVICE)
            elif hour < 8:
                assert value in (MachineryItemState.NOT_EXECUTING, MachineryItemState.OUT_OF_SERVICE)
        good = week.series[device.code, "good_parts"]
        produced_at = [ts for (_, a), (ts, b) in itertools.pairwise(good) if b != a]
        assert produced_at and all(local_hour(ts) >= 8 for ts in produced_at)


def test_activity_state_mapping_is_one_to_one() -> None:
    assert len(set(ACTIVITY_STATES.values())) == len(ACTIVITY_STATES)
    for activity, (state, mode) in ACTIVITY_STATES.items():
        assert activity_of(state, mode) is activity
    with pytest.raises(ValueError, match="no activity"):
        activity_of(3, 1)


# --- failures ------------------------------------------------------------------------------------------------


def producing_values(week: Week, code: str, signal: str, start: int, end: int) -> list[float]:
    intervals = week.truth.intervals[code]
    values = []
    for ts, value in week.series[code, signal]:
        if start <= ts < end and intervals_at(intervals, ts).activity is Activity.PRODUCING:
            assert isinstance(value, float)
            values.append(value)
    return values


def test_failures_are_preceded_by_degradation_and_followed_by_repair(week: Week) -> None:
    assert len([f for f in week.truth.failures if f.device_code == "L1-CNC-01"]) >= 3
    trends_checked = 0
    for device in week.run.devices:
        previous_repair = START
        states = dict(week.series[device.code, "machinery_item_state"])
        modes = dict(week.series[device.code, "operation_mode"])
        for failure in (f for f in week.truth.failures if f.device_code == device.code):
            assert previous_repair <= failure.onset_ms < failure.failed_ms
            # At the failure instant: OutOfService in Maintenance mode, published, and in the truth.
            assert (states[failure.failed_ms], modes[failure.failed_ms]) == (1, 1)
            repair = intervals_at(week.truth.intervals[device.code], failure.failed_ms)
            assert repair.activity is Activity.REPAIR and repair.start_ms == failure.failed_ms
            assert repair.end_ms == (failure.repaired_ms or week.truth.end_ms)
            assert 15 * 60_000 <= repair.end_ms - failure.failed_ms <= 12 * HOUR or failure.repaired_ms is None

            # Vibration and temperature trend up over the hours before the failure.
            def producing(signal: str, start: int, end: int, code: str = device.code) -> list[float]:
                return producing_values(week, code, signal, start, end)

            healthy = producing("vibration_rms_mm_s", previous_repair, failure.onset_ms)
            last_hour = producing("vibration_rms_mm_s", failure.failed_ms - HOUR, failure.failed_ms)
            if len(healthy) >= 100 and len(last_hour) >= 60:
                assert mean(last_hour) > 2 * mean(healthy)
                healthy_temp = producing("temperature_c", previous_repair, failure.onset_ms)
                late_temp = producing("temperature_c", failure.failed_ms - HOUR, failure.failed_ms)
                assert mean(late_temp) > mean(healthy_temp) + 5
                trends_checked += 1
                # Degradation is gradual: the hour before the last is already worse than healthy, less than last.
                hour_before = producing("vibration_rms_mm_s", failure.onset_ms, failure.failed_ms - HOUR)
                if len(hour_before) >= 60:
                    assert mean(healthy) < mean(hour_before) < mean(last_hour)
            if failure.repaired_ms is None:
                continue
            # After the repair: back to healthy vibration.
            after = producing("vibration_rms_mm_s", failure.repaired_ms, failure.repaired_ms + 2 * HOUR)
            if len(after) >= 60 and last_hour:
                assert mean(after) < 0.6 * mean(last_hour)
            previous_repair = failure.repaired_ms
    assert trends_checked >= 3


def test_scrap_rate_rises_while_degrading(week: Week) -> None:
    degraded = {"good": 0, "scrap": 0}
    healthy = {"good": 0, "scrap": 0}
    for device in week.run.devices:
        windows = [(f.onset_ms, f.failed_ms) for f in week.truth.failures if f.device_code == device.code]
        good = week.series[device.code, "good_parts"]
        scrap = dict(week.series[device.code, "scrap_parts"])
        for (ts0, g0), (ts1, g1) in itertools.pairwise(good):
            s0, s1 = scrap.get(ts0), scrap.get(ts1)
            if s0 is None or s1 is None or (g0, s0) == (g1, s1):
                continue
            bucket = degraded if any(a < ts1 < b for a, b in windows) else healthy
            bucket["good"] += int(g1) - int(g0)
            bucket["scrap"] += int(s1) - int(s0)
    rate = {name: b["scrap"] / (b["good"] + b["scrap"]) for name, b in (("degraded", degraded), ("healthy", healthy))}
    assert rate["degraded"] > 2 * rate["healthy"], rate


# --- energy --------------------------------------------------------------------------------------------------


def test_energy_rises_faster_when_executing(week: Week) -> None:
    for device in week.run.devices:
        rates: dict[Activity, list[float]] = defaultdict(list)
        intervals = week.truth.intervals[device.code]
        energy = week.series[device.code, "energy_kwh"]
        for (t0, e0), (t1, e1) in itertools.pairwise(energy):
            interval = intervals_at(intervals, t0)
            if t1 <= interval.end_ms:
                rates[interval.activity].append((float(e1) - float(e0)) / ((t1 - t0) / HOUR))
        producing, idle, night = (mean(rates[a]) for a in (Activity.PRODUCING, Activity.IDLE, Activity.OFF_SHIFT))
        assert producing > 1.5 * idle > 1.5 * night > 0
        assert mean(rates[Activity.OFF_DAY]) == 0
