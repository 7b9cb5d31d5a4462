"""Simulated activities and the ground truth a simulation run records. Pure data.

Each simulator :class:`Activity` maps to exactly one OPC 40001 (state, mode) pair (see
``zhizao.telemetry.machinery``), so the activity can be read back from the two published state signals.
Production time in the OEE sense is Executing *and* Processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhizao.telemetry.machinery import MachineryItemState, OperationMode


class Activity(StrEnum):
    """What a simulated machine is doing; the ground truth behind the published state signals."""

    OFF_DAY = "off_day"  # non-working day: switched off (planned)
    OFF_SHIFT = "off_shift"  # working day, outside the shifts (planned)
    SETUP = "setup"  # changeover to another program at the start of a shift
    PRODUCING = "producing"  # running cycles
    IDLE = "idle"  # in shift but waiting: shift handover, micro-stop, too little time left for a cycle
    REPAIR = "repair"  # failed, being repaired


ACTIVITY_STATES: dict[Activity, tuple[MachineryItemState, OperationMode]] = {
    Activity.OFF_DAY: (MachineryItemState.NOT_AVAILABLE, OperationMode.NONE),
    Activity.OFF_SHIFT: (MachineryItemState.NOT_EXECUTING, OperationMode.NONE),
    Activity.SETUP: (MachineryItemState.EXECUTING, OperationMode.SETUP),
    Activity.PRODUCING: (MachineryItemState.EXECUTING, OperationMode.PROCESSING),
    Activity.IDLE: (MachineryItemState.NOT_EXECUTING, OperationMode.PROCESSING),
    Activity.REPAIR: (MachineryItemState.OUT_OF_SERVICE, OperationMode.MAINTENANCE),
}

# Planned downtime: outside the planned busy time of ISO 22400-2.
PLANNED_DOWNTIME = frozenset({Activity.OFF_DAY, Activity.OFF_SHIFT})


def activity_of(state: int, mode: int) -> Activity:
    """The activity a published (state, mode) pair stands for; ValueError for a pair the simulator never sends."""
    for activity, pair in ACTIVITY_STATES.items():
        if pair == (state, mode):
            return activity
    raise ValueError(f"no activity for state {state} and mode {mode}")


@dataclass(frozen=True, slots=True)
class StateInterval:
    """A half-open interval [start_ms, end_ms) in which a machine did one activity (on one program)."""

    start_ms: int
    end_ms: int
    activity: Activity
    program: str | None  # the NC / robot / packaging program loaded, None when switched off

    @property
    def state(self) -> MachineryItemState:
        return ACTIVITY_STATES[self.activity][0]

    @property
    def mode(self) -> OperationMode:
        return ACTIVITY_STATES[self.activity][1]

    @property
    def planned_downtime(self) -> bool:
        return self.activity in PLANNED_DOWNTIME

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True, slots=True)
class FailureEvent:
    """One failure: degradation began at ``onset_ms``, the machine stopped at ``failed_ms``, was repaired at
    ``repaired_ms`` (None while the repair is still going on at the end of the run)."""

    device_code: str
    failure_mode: str
    onset_ms: int
    failed_ms: int
    repaired_ms: int | None


@dataclass(frozen=True, slots=True)
class Truth:
    """What really happened in a run, for testing OEE, anomaly detection and RUL against known answers.

    ``intervals`` per device code are contiguous, non-overlapping and cover [start of run, now).
    """

    start_ms: int
    end_ms: int
    intervals: dict[str, tuple[StateInterval, ...]]
    failures: tuple[FailureEvent, ...]
