"""The virtual factory: lines of machines, stepped through simulated time. Pure — no I/O and no wall clock.

Time is passed in as integer epoch milliseconds; all randomness comes from ``random.Random`` streams seeded
from (seed, machine code), so one seed gives the same readings and the same ground truth on every machine,
however the run is stepped::

    run = FactoryRun(default_factory(lines=2), seed=7, start_ms=start)
    readings = run.step(start + 3_600_000)  # the first hour: list[Reading], per device in time order
    run.truth.failures                       # what really happened, to test OEE and RUL against

Months of production history, fast: only the production signals (no measurement is computed), reported every
ten minutes, a day per chunk::

    spec = with_reporting(default_factory(2, upgrade_at_ms=upgrade), period_ms=600_000)
    run = FactoryRun(spec, seed=7, start_ms=start, signals=PRODUCTION_SIGNALS)
    for readings in run.chunks(end):
        ...

The lifecycle (states, counts, energy) depends only on the seed, the calendar, the machines and the upgrade,
never on the sample, heartbeat or meter periods or on the signals selected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhizao.errors import FieldProblem, InputError
from zhizao.simulator.calendar import ShiftCalendar
from zhizao.simulator.catalogue import (
    METER_PERIOD_MS,
    PROFILES,
    SIMULATED_TYPES,
    Cadence,
    Profile,
    Reading,
    SignalSpec,
    Value,
    signal_catalogue,
)
from zhizao.simulator.machine import Machine
from zhizao.simulator.states import Era, FailureEvent, StateInterval, Truth
from zhizao.simulator.upgrade import ConventionalPractice, conventional_profile
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.machinery import MODE_SIGNAL, STATE_SIGNAL

# Codes go into MQTT topics and Sparkplug device ids; the platform's device codes are [A-Za-z0-9_-]{1,64}.
CODE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
DAY_MS = 86_400_000

# What production analytics (state ledger, OEE, programme KPIs) need: states, program, counters, energy.
PRODUCTION_SIGNALS = frozenset({STATE_SIGNAL, MODE_SIGNAL, "program_name", "good_parts", "scrap_parts", "energy_kwh"})
# Signals that need no measurement noise, so that a run can compute them alone: states, counters, events, meter.
SELECTABLE_CADENCES = frozenset({Cadence.HEARTBEAT, Cadence.EVENT, Cadence.METER})


class MachineSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    equipment_type: EquipmentType
    mtbf_h: float | None = Field(default=None, gt=0)  # overrides the type's mean healthy operating hours

    @field_validator("equipment_type")
    @classmethod
    def _simulated(cls, value: EquipmentType) -> EquipmentType:
        if value not in SIMULATED_TYPES:
            kinds = ", ".join(sorted(SIMULATED_TYPES))
            raise ValueError(f"the simulator has no model for {value} (it has {kinds})")
        return value


class LineSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    machines: tuple[MachineSpec, ...] = Field(min_length=1)


class FactorySpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = "Virtual factory"
    lines: tuple[LineSpec, ...] = Field(min_length=1)
    calendar: ShiftCalendar = ShiftCalendar()
    sample_period_ms: int = Field(default=1_000, ge=10, le=3_600_000)  # coarse for long histories
    heartbeat_ms: int = Field(default=60_000, ge=1_000, le=3_600_000)
    meter_period_ms: int = Field(default=METER_PERIOD_MS, ge=1_000, le=3_600_000)  # energy meter readings
    # False: good and scrap counts are sent on the heartbeat only (a PLC polled periodically), not every cycle.
    counters_on_change: bool = True
    # Epoch ms of the smart-factory upgrade: conventional running before it (see ``upgrade``); None: smart throughout.
    upgrade_at_ms: int | None = None
    conventional: ConventionalPractice = ConventionalPractice()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        codes = [machine.code for machine in self.machines]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"machine codes must be unique: {', '.join(duplicates)}")
        if self.heartbeat_ms < self.sample_period_ms:
            raise ValueError("the heartbeat period must not be shorter than the sample period")
        return self

    @property
    def machines(self) -> tuple[MachineSpec, ...]:
        return tuple(machine for line in self.lines for machine in line.machines)

    def era_at(self, ts_ms: int) -> Era:
        """How the plant is run at ``ts_ms`` (phases that began before the upgrade end conventionally)."""
        return Era.CONVENTIONAL if self.upgrade_at_ms is not None and ts_ms < self.upgrade_at_ms else Era.SMART


def with_reporting(spec: FactorySpec, *, period_ms: int) -> FactorySpec:
    """``spec`` reporting states, counts and energy once every ``period_ms`` (and states on change): for
    months of history in few rows. The lifecycle, and so the truth, stays that of ``spec``."""
    return FactorySpec.model_validate(
        spec.model_dump()
        | {
            "sample_period_ms": period_ms,
            "heartbeat_ms": period_ms,
            "meter_period_ms": period_ms,
            "counters_on_change": False,
        }
    )


TYPE_CODES = {
    EquipmentType.CNC_MACHINE_TOOL: ("CNC", "CNC machining centre"),
    EquipmentType.INDUSTRIAL_ROBOT: ("ROB", "Handling robot"),
    EquipmentType.PACKAGING_MACHINE: ("PKG", "Cartoning machine"),
}
DEFAULT_LINE = (
    (EquipmentType.CNC_MACHINE_TOOL, 3),
    (EquipmentType.INDUSTRIAL_ROBOT, 2),
    (EquipmentType.PACKAGING_MACHINE, 1),
)


def default_factory(
    lines: int = 2,
    *,
    calendar: ShiftCalendar | None = None,
    sample_period_ms: int = 1_000,
    heartbeat_ms: int = 60_000,
    upgrade_at_ms: int | None = None,
) -> FactorySpec:
    """``lines`` identical lines L1…Ln, each with 3 CNC machines, 2 robots and a packaging machine; run
    conventionally until ``upgrade_at_ms`` (None: smart throughout)."""
    if not 1 <= lines <= 99:
        raise ValueError("lines must be between 1 and 99")
    line_specs = []
    for n in range(1, lines + 1):
        machines = [
            MachineSpec(code=f"L{n}-{short}-{i:02d}", name=f"L{n} {label} {i}", equipment_type=kind)
            for kind, count in DEFAULT_LINE
            for short, label in [TYPE_CODES[kind]]
            for i in range(1, count + 1)
        ]
        line_specs.append(LineSpec(code=f"L{n}", name=f"Line {n}", machines=tuple(machines)))
    return FactorySpec(
        lines=tuple(line_specs),
        calendar=calendar or ShiftCalendar(),
        sample_period_ms=sample_period_ms,
        heartbeat_ms=heartbeat_ms,
        upgrade_at_ms=upgrade_at_ms,
    )


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A simulated device as a publisher registers it: one device per machine."""

    code: str
    name: str
    equipment_type: EquipmentType
    line_code: str
    signals: tuple[SignalSpec, ...]


def device_catalogue(spec: FactorySpec) -> tuple[DeviceInfo, ...]:
    return tuple(
        DeviceInfo(
            machine.code,
            machine.name,
            machine.equipment_type,
            line.code,
            signal_catalogue(
                machine.equipment_type,
                sample_period_ms=spec.sample_period_ms,
                heartbeat_ms=spec.heartbeat_ms,
                meter_period_ms=spec.meter_period_ms,
            ),
        )
        for line in spec.lines
        for machine in line.machines
    )


class FactoryRun:
    """A factory simulated from ``start_ms`` on, for one seed.

    ``signals``: compute only these (each device's that it has), e.g. :data:`PRODUCTION_SIGNALS`; their readings
    are exactly those of a full run. Only signals that need no measurement noise can be chosen (states, counters,
    ``cycle_time_s``, ``energy_kwh``), and :meth:`snapshot` then holds stale values for the others.
    """

    def __init__(self, spec: FactorySpec, *, seed: int, start_ms: int, signals: Collection[str] | None = None) -> None:
        self.spec = spec
        self.seed = seed
        self.start_ms = start_ms
        self.devices = device_catalogue(spec)
        selected = None if signals is None else _selectable(self.devices, signals)
        self._machines = tuple(
            Machine(
                code=machine.code,
                equipment_type=machine.equipment_type,
                profile=_profile(machine),
                conventional=conventional_profile(_profile(machine), spec.conventional),
                upgrade_at_ms=spec.upgrade_at_ms,
                calendar=spec.calendar,
                seed=seed,
                start_ms=start_ms,
                sample_period_ms=spec.sample_period_ms,
                heartbeat_ms=spec.heartbeat_ms,
                meter_period_ms=spec.meter_period_ms,
                counters_on_change=spec.counters_on_change,
                signals=selected,
            )
            for machine in spec.machines
        )
        self._by_code = {machine.code: machine for machine in self._machines}
        self._now_ms = start_ms

    @property
    def now_ms(self) -> int:
        """Readings up to (not including) this instant have been produced."""
        return self._now_ms

    def step(self, until_ms: int) -> list[Reading]:
        """Advance to ``until_ms``; the readings with ``now_ms <= ts < until_ms``, grouped by device in the
        catalogue's order, each device's in time order."""
        if until_ms < self._now_ms:
            raise ValueError(f"cannot step back from {self._now_ms} to {until_ms}")
        out: list[Reading] = []
        for machine in self._machines:
            machine.advance(until_ms, out)
        self._now_ms = until_ms
        return out

    def chunks(self, until_ms: int, *, chunk_ms: int = DAY_MS) -> Iterator[list[Reading]]:
        """Advance to ``until_ms`` a chunk at a time (memory bounded by one chunk's readings); each chunk as
        :meth:`step` returns it. A long history: ``FactoryRun(spec, …, signals=PRODUCTION_SIGNALS).chunks(end)``."""
        if chunk_ms <= 0:
            raise InputError.for_field("chunk_ms", "must be positive")
        if until_ms < self._now_ms:
            raise ValueError(f"cannot step back from {self._now_ms} to {until_ms}")
        while self._now_ms < until_ms:
            yield self.step(min(until_ms, self._now_ms + chunk_ms))

    def assign_job(self, device_code: str, job_id: str) -> None:
        """The platform sent the machine a job id ("" clears it): it reports it from :attr:`now_ms` on, and runs for
        it (:class:`~zhizao.simulator.machine.Machine`). KeyError for an unknown code; ValueError for a machine
        without the job signal. The run stays deterministic for its seed and the jobs assigned to it, at the times
        they were assigned."""
        self._by_code[device_code].assign_job(job_id)

    def snapshot(self, device_code: str) -> dict[str, Value]:
        """The last value of each of the device's signals (for a Sparkplug DBIRTH); KeyError for an unknown code.
        Before the first step: the values the first step will start from (``cycle_time_s`` only after a cycle)."""
        return dict(self._by_code[device_code].values)

    @property
    def truth(self) -> Truth:
        """State intervals per device covering [start_ms, now_ms), and failures so far (by failure time)."""
        intervals: dict[str, tuple[StateInterval, ...]] = {}
        failures: list[FailureEvent] = []
        for machine in self._machines:
            intervals[machine.code], machine_failures = machine.truth(self._now_ms)
            failures.extend(machine_failures)
        failures.sort(key=lambda failure: (failure.failed_ms, failure.device_code))
        return Truth(self.start_ms, self._now_ms, intervals, tuple(failures), self.spec.upgrade_at_ms)


def _selectable(devices: tuple[DeviceInfo, ...], signals: Collection[str]) -> frozenset[str]:
    cadences = {spec.name: spec.cadence for device in devices for spec in device.signals}
    problems = [
        FieldProblem(f"signals.{name}", "no simulated device has this signal")
        if name not in cadences
        else FieldProblem(f"signals.{name}", "a measurement: it can only be simulated with all the others")
        for name in sorted(set(signals))
        if cadences.get(name) not in SELECTABLE_CADENCES
    ]
    if problems:
        raise InputError("signals: " + "; ".join(f"{p.field[8:]}: {p.message}" for p in problems), fields=problems)
    return frozenset(signals)


def _profile(machine: MachineSpec) -> Profile:
    profile = PROFILES[machine.equipment_type]
    if machine.mtbf_h is not None:
        profile = dataclasses.replace(profile, mtbf_h=machine.mtbf_h)
    return profile
