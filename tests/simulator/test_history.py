"""Runs that compute only the production signals: the same readings as a full run, in a fraction of the time."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from zhizao.errors import InputError
from zhizao.simulator import (
    PRODUCTION_SIGNALS,
    FactoryRun,
    FactorySpec,
    LineSpec,
    MachineSpec,
    Reading,
    default_factory,
    with_reporting,
)
from zhizao.telemetry.kinds import EquipmentType

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = int(datetime(2024, 5, 6, tzinfo=SHANGHAI).timestamp() * 1000)  # a Monday, local midnight
HOUR = 3_600_000
DAY = 24 * HOUR


def failing_line(**fields: object) -> FactorySpec:
    """A line whose CNC and packer fail every few hours, so that repairs are in any day of it."""
    machines = (
        MachineSpec(code="L1-CNC-01", name="CNC", equipment_type=EquipmentType.CNC_MACHINE_TOOL, mtbf_h=5.0),
        MachineSpec(code="L1-ROB-01", name="Robot", equipment_type=EquipmentType.INDUSTRIAL_ROBOT),
        MachineSpec(code="L1-PKG-01", name="Packer", equipment_type=EquipmentType.PACKAGING_MACHINE, mtbf_h=8.0),
    )
    return FactorySpec.model_validate({"lines": (LineSpec(code="L1", name="Line 1", machines=machines),)} | fields)


def per_device(readings: list[Reading]) -> dict[str, list[Reading]]:
    """Each device's readings in the order produced (a run groups a step's readings by device)."""
    grouped: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        grouped[reading.device_code].append(reading)
    return dict(grouped)


@pytest.mark.parametrize(
    "spec",
    [
        failing_line(sample_period_ms=10_000, upgrade_at_ms=START + DAY + 10 * HOUR + 17_000),
        with_reporting(failing_line(upgrade_at_ms=START + DAY), period_ms=600_000),
    ],
    ids=["sampled-every-10s-upgraded-mid-shift", "reported-every-10min-upgraded-at-midnight"],
)
def test_production_signals_are_exactly_those_of_a_full_run(spec: FactorySpec) -> None:
    full = FactoryRun(spec, seed=4, start_ms=START + 5 * HOUR)
    expected = [r for r in full.step(START + 2 * DAY) if r.signal in PRODUCTION_SIGNALS]
    fast = FactoryRun(spec, seed=4, start_ms=START + 5 * HOUR, signals=PRODUCTION_SIGNALS)
    produced = [r for chunk in fast.chunks(START + 2 * DAY, chunk_ms=7 * HOUR + 1) for r in chunk]
    assert per_device(produced) == per_device(expected)
    assert {r.signal for r in produced} == PRODUCTION_SIGNALS
    assert fast.truth == full.truth
    assert len(fast.truth.failures) >= 3  # repairs, and with them counts of scrap and standstills, are covered


def test_reporting_period_changes_the_rows_not_the_lifecycle() -> None:
    spec = failing_line(sample_period_ms=60_000)
    live = FactoryRun(spec, seed=9, start_ms=START)
    live.step(START + 2 * DAY)
    coarse = FactoryRun(with_reporting(spec, period_ms=600_000), seed=9, start_ms=START, signals=PRODUCTION_SIGNALS)
    readings = coarse.step(START + 2 * DAY)
    assert coarse.truth == live.truth
    rows = Counter((r.device_code, r.signal) for r in readings)
    periods = 2 * DAY // 600_000
    for code in ("L1-CNC-01", "L1-ROB-01", "L1-PKG-01"):
        # Counters and the meter: once per period; states: every period and on each change.
        assert rows[code, "good_parts"] == rows[code, "scrap_parts"] == rows[code, "energy_kwh"] == periods
        assert rows[code, "machinery_item_state"] > periods
    # Counts at a period's end are the parts made before it: the last one equals the live run's counter.
    last_good = [r for r in readings if r.signal == "good_parts" and r.device_code == "L1-PKG-01"][-1]
    assert last_good.ts_ms == START + 2 * DAY - 600_000
    assert coarse.snapshot("L1-PKG-01")["good_parts"] == live.snapshot("L1-PKG-01")["good_parts"]


def test_a_six_month_history_of_the_default_factory_is_cheap_in_rows() -> None:
    # One week here (the six months are measured in docs/data-acquisition.md); rows scale with time.
    spec = with_reporting(default_factory(2), period_ms=600_000)
    run = FactoryRun(spec, seed=1, start_ms=START, signals=PRODUCTION_SIGNALS)
    chunks = list(run.chunks(START + 7 * DAY))
    assert len(chunks) == 7
    rows = sum(len(chunk) for chunk in chunks)
    periodic = 12 * 6 * 7 * DAY // 600_000  # 12 machines, 6 signals, every ten minutes
    assert periodic <= rows < 1.1 * periodic
    for day, chunk in enumerate(chunks):
        assert all(START + day * DAY <= r.ts_ms < START + (day + 1) * DAY for r in chunk)


@pytest.mark.parametrize(
    ("signals", "field", "message"),
    [
        ({"good_parts", "vibration_rms_mm_s"}, "signals.vibration_rms_mm_s", "a measurement"),
        ({"temperature_c"}, "signals.temperature_c", "a measurement"),
        ({"good_parts", "gold_parts"}, "signals.gold_parts", "no simulated device has this signal"),
    ],
)
def test_only_signals_without_measurement_noise_can_be_selected(signals: set[str], field: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        FactoryRun(failing_line(), seed=1, start_ms=START, signals=signals)
    [problem] = raised.value.fields
    assert problem.field == field
    assert problem.message.startswith(message)
    assert field.removeprefix("signals.") in raised.value.message


def test_chunks_need_a_positive_length_and_do_not_go_back() -> None:
    run = FactoryRun(failing_line(), seed=1, start_ms=START, signals=PRODUCTION_SIGNALS)
    with pytest.raises(InputError, match="positive"):
        next(run.chunks(START + DAY, chunk_ms=0))
    run.step(START + HOUR)
    with pytest.raises(ValueError, match="back"):
        next(run.chunks(START))
    assert list(run.chunks(START + HOUR)) == []


def test_a_line_run_alone_gives_that_lines_data() -> None:
    # Lines are independent (each machine draws from streams seeded by the seed and its code): a long history can
    # be generated one line per process.
    spec = default_factory(2, upgrade_at_ms=START + 9 * HOUR)
    whole = FactoryRun(spec, seed=3, start_ms=START, signals=PRODUCTION_SIGNALS)
    line_two = FactoryRun(
        spec.model_copy(update={"lines": spec.lines[1:]}), seed=3, start_ms=START, signals=PRODUCTION_SIGNALS
    )
    readings = whole.step(START + 12 * HOUR)
    assert line_two.step(START + 12 * HOUR) == [r for r in readings if r.device_code.startswith("L2-")]
    assert line_two.truth.intervals == {c: i for c, i in whole.truth.intervals.items() if c.startswith("L2-")}
