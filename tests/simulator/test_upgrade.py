"""The smart-factory upgrade: a conventional plant before it, measurably better after; nothing changes without it."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from zhizao.simulator import (
    PROFILES,
    Activity,
    ConventionalPractice,
    Era,
    FactoryRun,
    Truth,
    conventional_profile,
    default_factory,
    with_reporting,
)
from zhizao.simulator.catalogue import JOB_SIGNAL
from zhizao.telemetry.kinds import EquipmentType

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = int(datetime(2024, 5, 6, tzinfo=SHANGHAI).timestamp() * 1000)  # a Monday, local midnight
HOUR = 3_600_000
DAY = 24 * HOUR
ERA_DAYS = 63  # nine whole weeks per era: the same number of shifts on each side of the upgrade


def fingerprint(run: FactoryRun, until_ms: int) -> str:
    """A digest of every reading (device, signal, time, value) and of the ground truth."""
    digest = hashlib.sha256()
    for r in run.step(until_ms):
        if r.signal == JOB_SIGNAL:  # newer than the digests below: with no job assigned, "" on every heartbeat
            continue
        digest.update(repr((r.device_code, r.signal, r.ts_ms, r.value)).encode())
    truth = run.truth
    for code, intervals in sorted(truth.intervals.items()):
        for i in intervals:
            digest.update(repr((code, i.start_ms, i.end_ms, str(i.activity), i.program)).encode())
    for f in truth.failures:
        digest.update(repr((f.device_code, f.onset_ms, f.failed_ms, f.repaired_ms)).encode())
    return digest.hexdigest()


# Digests computed with the simulator as it was before the upgrade switch existed (commit 8404776).
@pytest.mark.parametrize(
    ("lines", "sample_period_ms", "start_ms", "hours", "digest"),
    [
        (
            2,
            1_000,
            START + 7 * HOUR + 30 * 60_000,
            0.5,
            "870906f5a6283d549ec727cacf61b30f23f165c877c7a8519e9b9b441784bd1f",
        ),
        (1, 10_000, START + 5 * HOUR, 24, "407114fd100bc8dd469e1ddd7bab3d09b458fe23979bf4761d86cc212d1ca3e9"),
    ],
)
def test_without_an_upgrade_the_readings_are_those_of_the_simulator_before_the_switch(
    lines: int, sample_period_ms: int, start_ms: int, hours: float, digest: str
) -> None:
    run = FactoryRun(default_factory(lines, sample_period_ms=sample_period_ms), seed=7, start_ms=start_ms)
    assert fingerprint(run, start_ms + int(hours * HOUR)) == digest


def test_an_upgrade_before_the_run_is_no_upgrade_and_one_after_it_changes_everything() -> None:
    start, until = START + 7 * HOUR, START + 11 * HOUR
    smart = fingerprint(FactoryRun(default_factory(1, sample_period_ms=10_000), seed=3, start_ms=start), until)
    upgraded_earlier = default_factory(1, sample_period_ms=10_000, upgrade_at_ms=start)
    assert fingerprint(FactoryRun(upgraded_earlier, seed=3, start_ms=start), until) == smart
    conventional = default_factory(1, sample_period_ms=10_000, upgrade_at_ms=until)
    assert fingerprint(FactoryRun(conventional, seed=3, start_ms=start), until) != smart


def test_a_practice_of_neutral_factors_is_the_smart_plant() -> None:
    neutral = ConventionalPractice(**dict.fromkeys(ConventionalPractice.model_fields, 1.0))
    for profile in PROFILES.values():
        assert conventional_profile(profile, neutral) == profile
    # Upgraded mid-shift (no planned stop to split): the same readings as a plant that was always smart.
    upgrade = START + 10 * HOUR + 1_234
    spec = default_factory(1, sample_period_ms=10_000).model_copy(update={"conventional": neutral})
    upgraded = FactoryRun(spec.model_copy(update={"upgrade_at_ms": upgrade}), seed=5, start_ms=START + 6 * HOUR)
    always = FactoryRun(spec, seed=5, start_ms=START + 6 * HOUR)
    assert upgraded.step(START + 18 * HOUR) == always.step(START + 18 * HOUR)
    assert upgraded.truth.intervals == always.truth.intervals


def test_each_mechanism_is_one_factor_on_one_profile_parameter() -> None:
    smart = PROFILES[EquipmentType.CNC_MACHINE_TOOL]
    practice = ConventionalPractice()
    before = conventional_profile(smart, practice)
    setup = tuple(round(ms * practice.setup_factor) for ms in smart.setup_ms)
    assert before.setup_ms == setup
    assert before.mtbf_h == pytest.approx(smart.mtbf_h * practice.mtbf_factor)
    assert before.repair_median_h == pytest.approx(smart.repair_median_h * practice.repair_factor)
    assert before.micro_stop_prob == pytest.approx(smart.micro_stop_prob * practice.micro_stop_factor)
    assert before.base_scrap == pytest.approx(smart.base_scrap * practice.scrap_factor)
    assert before.cycle_time_factor == pytest.approx(practice.cycle_time_factor)
    for standby in (Activity.IDLE, Activity.OFF_SHIFT):
        assert before.power_kw[standby] == pytest.approx(smart.power_kw[standby] * practice.standby_power_factor)
    assert before.power_kw[Activity.PRODUCING] == smart.power_kw[Activity.PRODUCING]
    assert before.power_kw[Activity.OFF_DAY] == 0.0  # switched off is off in either era
    unchanged = {"failure_mode", "programs", "vibration_mm_s", "onset_h", "lifetime_parts", "changeover_prob"}
    assert all(getattr(before, name) == getattr(smart, name) for name in unchanged)
    assert dataclasses.replace(before, **{name: getattr(smart, name) for name in unchanged}) == before


def test_standby_power_changes_at_the_upgrade_instant_in_a_night() -> None:
    upgrade = START + DAY + 2 * HOUR  # Tuesday 02:00, between shifts
    spec = default_factory(1, sample_period_ms=60_000, upgrade_at_ms=upgrade)
    run = FactoryRun(spec, seed=2, start_ms=START + DAY, signals={"energy_kwh"})
    meter = {(r.device_code, r.ts_ms): float(r.value) for r in run.step(START + DAY + 6 * HOUR)}
    factor = spec.conventional.standby_power_factor
    for device in run.devices:
        before = meter[device.code, upgrade] - meter[device.code, upgrade - HOUR]
        after = meter[device.code, upgrade + HOUR] - meter[device.code, upgrade]
        assert before == pytest.approx(factor * after, abs=0.003)  # the meter's 0.001 kWh resolution
        assert after == pytest.approx(PROFILES[device.equipment_type].power_kw[Activity.OFF_SHIFT], abs=0.002)
    intervals = run.truth.intervals["L1-CNC-01"]
    assert not any(i.start_ms == upgrade for i in intervals)  # the night stays one interval in the truth


def test_truth_windows_and_eras() -> None:
    upgrade = START + DAY + 10 * HOUR
    run = FactoryRun(default_factory(1), seed=1, start_ms=START, signals=set())
    run.step(START + 2 * DAY)
    truth = run.truth
    before, after = truth.era(Era.CONVENTIONAL), truth.era(Era.SMART)
    assert (before.start_ms, before.end_ms) == (START, START) and before.intervals["L1-CNC-01"] == ()
    assert after == truth  # never upgraded: smart throughout
    upgraded = FactoryRun(default_factory(1, upgrade_at_ms=upgrade), seed=1, start_ms=START, signals=set())
    upgraded.step(START + 2 * DAY)
    truth = upgraded.truth
    before, after = truth.era(Era.CONVENTIONAL), truth.era(Era.SMART)
    assert (before.start_ms, before.end_ms, after.start_ms, after.end_ms) == (START, upgrade, upgrade, START + 2 * DAY)
    for code, intervals in truth.intervals.items():
        assert sum(i.duration_ms for i in intervals) == sum(
            i.duration_ms for era in (before, after) for i in era.intervals[code]
        )
        assert before.intervals[code][-1].end_ms == upgrade == after.intervals[code][0].start_ms
    assert sorted(before.failures + after.failures, key=lambda f: (f.failed_ms, f.device_code)) == list(truth.failures)
    assert default_factory(1, upgrade_at_ms=upgrade).era_at(upgrade - 1) is Era.CONVENTIONAL
    assert default_factory(1, upgrade_at_ms=upgrade).era_at(upgrade) is Era.SMART
    with pytest.raises(ValueError, match="empty window"):
        truth.window(START + 3 * DAY, START + 4 * DAY)


# --- the improvement, measured ---------------------------------------------------------------------------------


@dataclass
class EraTotals:
    good: dict[EquipmentType, int]
    energy_kwh: dict[EquipmentType, float]
    truth: Truth


@pytest.fixture(scope="module")
def eras() -> dict[Era, EraTotals]:
    """The default two-line factory, nine weeks conventional then nine weeks smart (the counters and meters at the
    start, the upgrade and the end, from an hourly report of a production-signals run)."""
    upgrade, end = START + ERA_DAYS * DAY, START + 2 * ERA_DAYS * DAY
    spec = with_reporting(default_factory(2, upgrade_at_ms=upgrade), period_ms=HOUR)
    run = FactoryRun(spec, seed=1, start_ms=START, signals={"good_parts", "energy_kwh"})
    at = {(r.device_code, r.signal, r.ts_ms): r.value for r in run.step(end + 1) if r.ts_ms in (START, upgrade, end)}
    kinds = {machine.code: machine.equipment_type for machine in spec.machines}
    totals = {}
    for era, (t0, t1) in {Era.CONVENTIONAL: (START, upgrade), Era.SMART: (upgrade, end)}.items():
        good: dict[EquipmentType, int] = defaultdict(int)
        energy: dict[EquipmentType, float] = defaultdict(float)
        for code, kind in kinds.items():
            good[kind] += int(at[code, "good_parts", t1]) - int(at[code, "good_parts", t0])
            energy[kind] += float(at[code, "energy_kwh", t1]) - float(at[code, "energy_kwh", t0])
        totals[era] = EraTotals(good, energy, run.truth.window(t0, t1))
    return totals


@pytest.mark.parametrize("kind", list(PROFILES))
def test_the_upgrade_raises_good_output_and_cuts_energy_per_good_part(
    eras: dict[Era, EraTotals], kind: EquipmentType
) -> None:
    before, after = eras[Era.CONVENTIONAL], eras[Era.SMART]
    output_gain = after.good[kind] / before.good[kind] - 1
    energy_per_part_change = (after.energy_kwh[kind] / after.good[kind]) / (
        before.energy_kwh[kind] / before.good[kind]
    ) - 1
    assert 0.20 <= output_gain <= 0.45, output_gain  # aimed at +25–35 %
    assert -0.35 <= energy_per_part_change <= -0.15, energy_per_part_change  # aimed at −20–30 %


def shares(truth: Truth) -> dict[Activity, float]:
    """Each activity's share of the planned busy time (everything but nights and days off)."""
    time: dict[Activity, int] = defaultdict(int)
    for intervals in truth.intervals.values():
        for interval in intervals:
            if not interval.planned_downtime:
                time[interval.activity] += interval.duration_ms
    busy = sum(time.values())
    return {activity: spent / busy for activity, spent in time.items()}


def mean_repair_h(truth: Truth) -> float:
    repairs = [f.repaired_ms - f.failed_ms for f in truth.failures if f.repaired_ms is not None]
    return sum(repairs) / len(repairs) / HOUR


def test_the_mechanisms_show_in_the_ground_truth(eras: dict[Era, EraTotals]) -> None:
    before, after = eras[Era.CONVENTIONAL].truth, eras[Era.SMART].truth
    assert before.end_ms - before.start_ms == after.end_ms - after.start_ms == ERA_DAYS * DAY
    share_before, share_after = shares(before), shares(after)
    assert share_before[Activity.PRODUCING] < share_after[Activity.PRODUCING] - 0.08
    assert share_before[Activity.IDLE] > 1.5 * share_after[Activity.IDLE]  # micro-stops and handovers
    assert share_before[Activity.SETUP] > 1.5 * share_after[Activity.SETUP]
    assert share_before[Activity.REPAIR] > 2 * share_after[Activity.REPAIR]
    assert len(before.failures) > 1.2 * len(after.failures)
    assert mean_repair_h(before) > 1.6 * mean_repair_h(after)
