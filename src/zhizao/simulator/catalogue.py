"""What each kind of simulated machine publishes (its signal catalogue) and how it behaves (its profile).

The catalogue is what a publisher registers up front — devices and signals with unit, kind, data type and
expected rate — before any sample arrives (an MQTT auto-registration, a Sparkplug birth certificate).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from zhizao.simulator.states import Activity
from zhizao.telemetry.kinds import DataType, EquipmentType, SignalKind
from zhizao.telemetry.machinery import MODE_SIGNAL, STATE_SIGNAL

Value = float | int | bool | str


class Reading(NamedTuple):
    """One sample produced by the simulator, with everything needed to register and encode it."""

    device_code: str
    signal: str
    ts_ms: int  # epoch milliseconds, UTC
    value: Value
    kind: SignalKind
    data_type: DataType
    unit: str | None


class Cadence(StrEnum):
    """When a signal is sampled."""

    FAST = "fast"  # every sample period (default 1 s)
    SLOW = "slow"  # every SLOW_PERIOD_MS
    METER = "meter"  # every METER_PERIOD_MS
    HEARTBEAT = "heartbeat"  # on every change, and every heartbeat period unchanged
    EVENT = "event"  # only when something happens (a cycle ends)


SLOW_PERIOD_MS = 5_000
# The job the machine works for: set by the platform's job dispatch (a shared booking's id, e.g. "SH-12"), cleared
# with ""; what capacity-sharing metering attributes the machine's data by. No job until one is sent.
JOB_SIGNAL = "job_id"
METER_PERIOD_MS = 10_000


@dataclass(frozen=True, slots=True)
class SignalSpec:
    name: str
    unit: str | None
    kind: SignalKind
    data_type: DataType
    cadence: Cadence
    description: str
    # Filled in by signal_catalogue(): the rate it is sent at (heartbeat signals: at least, plus every change;
    # None for event signals).
    expected_rate_hz: float | None = None


def _spec(
    name: str, unit: str | None, kind: SignalKind, data_type: DataType, cadence: Cadence, text: str
) -> SignalSpec:
    return SignalSpec(name, unit, kind, data_type, cadence, text)


M, S, C = SignalKind.MEASUREMENT, SignalKind.STATE, SignalKind.COUNTER
F, INT, B = DataType.FLOAT, DataType.INT, DataType.BOOL

COMMON_SIGNALS = (
    _spec(STATE_SIGNAL, None, S, INT, Cadence.HEARTBEAT, "OPC 40001 MachineryItemState (0–3)"),
    _spec(MODE_SIGNAL, None, S, INT, Cadence.HEARTBEAT, "OPC 40001 MachineryOperationMode (0–3)"),
    _spec("program_name", None, SignalKind.TEXT, DataType.STRING, Cadence.HEARTBEAT, "program loaded"),
    _spec("good_parts", "pcs", C, INT, Cadence.HEARTBEAT, "good parts since commissioning"),
    _spec("scrap_parts", "pcs", C, INT, Cadence.HEARTBEAT, "scrapped parts since commissioning"),
    _spec("cycle_time_s", "s", M, F, Cadence.EVENT, "duration of the cycle that just ended"),
    _spec("temperature_c", "°C", M, F, Cadence.SLOW, "main drive motor temperature"),
    _spec("vibration_rms_mm_s", "mm/s", M, F, Cadence.FAST, "vibration velocity RMS (ISO 10816)"),
    _spec("power_kw", "kW", M, F, Cadence.FAST, "active power"),
    _spec("energy_kwh", "kWh", C, F, Cadence.METER, "active energy meter reading"),
)

TYPE_SIGNALS: dict[EquipmentType, tuple[SignalSpec, ...]] = {
    EquipmentType.CNC_MACHINE_TOOL: (
        _spec("spindle_speed_rpm", "rpm", M, F, Cadence.FAST, "spindle speed"),
        _spec("spindle_load_pct", "%", M, F, Cadence.FAST, "spindle load, % of rated torque"),
        _spec("coolant_on", None, S, B, Cadence.HEARTBEAT, "coolant pump running"),
        _spec(JOB_SIGNAL, None, SignalKind.TEXT, DataType.STRING, Cadence.HEARTBEAT, "job assigned (empty: none)"),
    ),
    EquipmentType.INDUSTRIAL_ROBOT: (
        _spec("joint_torque_nm", "N.m", M, F, Cadence.FAST, "axis 2 joint torque (temperature_c: its motor)"),
    ),
    EquipmentType.PACKAGING_MACHINE: (_spec("packaging_rate_ppm", "1/min", M, F, Cadence.FAST, "packs per minute"),),
}

SIMULATED_TYPES = frozenset(TYPE_SIGNALS)


def signal_catalogue(
    equipment_type: EquipmentType,
    *,
    sample_period_ms: int = 1_000,
    heartbeat_ms: int = 60_000,
    meter_period_ms: int = METER_PERIOD_MS,
) -> tuple[SignalSpec, ...]:
    """The signals a machine of this type publishes, with their expected rates for these sample periods."""
    rates = {
        Cadence.FAST: 1000 / sample_period_ms,
        Cadence.SLOW: 1000 / max(SLOW_PERIOD_MS, sample_period_ms),
        Cadence.METER: 1000 / max(meter_period_ms, sample_period_ms),
        Cadence.HEARTBEAT: 1000 / heartbeat_ms,
    }
    return tuple(
        SignalSpec(s.name, s.unit, s.kind, s.data_type, s.cadence, s.description, rates.get(s.cadence))
        for s in COMMON_SIGNALS + TYPE_SIGNALS[equipment_type]
    )


class Program(NamedTuple):
    """A part program: nominal (ideal) cycle time and the process values it runs at."""

    name: str
    cycle_ms: int  # ideal cycle time
    parts_per_cycle: int
    speed_rpm: float = 0.0  # CNC spindle speed
    load: float = 0.0  # CNC spindle load % / robot joint torque N·m


@dataclass(frozen=True, slots=True)
class Profile:
    """How a kind of machine behaves. Times in ms unless the name says otherwise."""

    failure_mode: str
    programs: tuple[Program, ...]
    power_kw: dict[Activity, float]  # mean power per activity (PRODUCING: at nominal load, new machine)
    mtbf_h: float  # mean operating (producing) hours from repair to the start of degradation
    onset_h: tuple[float, float]  # operating hours of gradual degradation before a failure (uniform)
    repair_median_h: float
    vibration_mm_s: float  # RMS when producing, new machine
    running_rise_c: float  # temperature above ambient when producing
    standby_rise_c: float
    degraded_rise_c: float  # extra at full degradation
    cycle_cv: float = 0.04  # cycle-time variation (lognormal sigma)
    cycle_time_factor: float = 1.0  # mean cycle time of a healthy machine relative to the program's ideal one
    setup_ms: tuple[int, int] = (20 * 60_000, 5 * 60_000)  # mean, standard deviation
    handover_ms: int = 4 * 60_000
    changeover_prob: float = 0.4  # chance a shift starts with a changeover to another program
    micro_stop_prob: float = 0.03  # chance of a stop after a cycle
    micro_stop_mean_ms: int = 3 * 60_000
    base_scrap: float = 0.01
    degraded_scrap: float = 0.15  # extra scrap probability at full degradation
    first_part_scrap: float = 0.08  # extra on the first cycle after a setup or repair
    ambient_c: float = 24.0
    temp_tau_s: float = 900.0  # thermal time constant
    lifetime_parts: tuple[int, int] = (20_000, 400_000)  # good-parts counter at the start of a run


_POWER = {Activity.OFF_DAY: 0.0, Activity.REPAIR: 0.6}

PROFILES: dict[EquipmentType, Profile] = {
    EquipmentType.CNC_MACHINE_TOOL: Profile(
        failure_mode="spindle_bearing_wear",
        programs=(
            Program("O1001", 150_000, 1, speed_rpm=8_000, load=45),
            Program("O1002", 95_000, 1, speed_rpm=12_000, load=35),
            Program("O2001", 240_000, 1, speed_rpm=4_500, load=60),
        ),
        power_kw={**_POWER, Activity.OFF_SHIFT: 1.2, Activity.IDLE: 2.5, Activity.SETUP: 3.5, Activity.PRODUCING: 9.0},
        mtbf_h=45.0,
        onset_h=(3.0, 8.0),
        repair_median_h=2.0,
        vibration_mm_s=1.1,
        running_rise_c=18.0,
        standby_rise_c=4.0,
        degraded_rise_c=16.0,
        lifetime_parts=(20_000, 150_000),
    ),
    EquipmentType.INDUSTRIAL_ROBOT: Profile(
        failure_mode="reducer_wear",
        programs=(
            Program("PICK_PLACE_A", 40_000, 1, load=85),
            Program("PALLETIZE_B", 55_000, 1, load=120),
        ),
        power_kw={**_POWER, Activity.OFF_SHIFT: 0.4, Activity.IDLE: 0.9, Activity.SETUP: 1.2, Activity.PRODUCING: 3.2},
        mtbf_h=90.0,
        onset_h=(5.0, 12.0),
        repair_median_h=1.5,
        vibration_mm_s=0.8,
        running_rise_c=22.0,
        standby_rise_c=6.0,
        degraded_rise_c=14.0,
        setup_ms=(8 * 60_000, 2 * 60_000),
        lifetime_parts=(50_000, 400_000),
    ),
    EquipmentType.PACKAGING_MACHINE: Profile(
        failure_mode="sealing_jaw_drive_wear",
        programs=(
            Program("CARTON_12", 14_000, 12),
            Program("CARTON_24", 24_000, 24),
        ),
        power_kw={**_POWER, Activity.OFF_SHIFT: 0.6, Activity.IDLE: 1.5, Activity.SETUP: 2.0, Activity.PRODUCING: 5.5},
        mtbf_h=30.0,
        onset_h=(2.0, 6.0),
        repair_median_h=1.0,
        vibration_mm_s=1.6,
        running_rise_c=15.0,
        standby_rise_c=3.0,
        degraded_rise_c=12.0,
        setup_ms=(12 * 60_000, 3 * 60_000),
        micro_stop_prob=0.01,
        base_scrap=0.004,
        degraded_scrap=0.05,
        first_part_scrap=0.02,
        lifetime_parts=(500_000, 5_000_000),
    ),
}
