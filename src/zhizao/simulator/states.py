"""Simulated activities and the ground truth a simulation run records. Pure data.

Each simulator :class:`Activity` maps to exactly one OPC 40001 (state, mode) pair (see
``zhizao.telemetry.machinery``), so the activity can be read back from the two published state signals.
Production time in the OEE sense is Executing *and* Processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhizao.telemetry.machinery import MachineryItemState, OperationMode


class Era(StrEnum):
    """Which way the plant is run: before its smart-factory upgrade, or after it."""

    CONVENTIONAL = "conventional"  # before the upgrade: paper setup sheets, run to failure, machines left idling
    SMART = "smart"  # after it: the behaviour of ``catalogue.PROFILES``


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
    ``upgrade_at_ms``: when the plant switched from conventional to smart running (None: smart throughout).
    """

    start_ms: int
    end_ms: int
    intervals: dict[str, tuple[StateInterval, ...]]
    failures: tuple[FailureEvent, ...]
    upgrade_at_ms: int | None = None

    def window(self, start_ms: int, end_ms: int) -> Truth:
        """The truth within [start_ms, end_ms) (clipped to the run): intervals cut at the edges, the failures
        that happened (``failed_ms``) inside it."""
        start, end = max(start_ms, self.start_ms), min(end_ms, self.end_ms)
        if end < start:
            raise ValueError(f"empty window: {start_ms} to {end_ms} outside the run {self.start_ms} to {self.end_ms}")
        clipped = {
            code: tuple(
                StateInterval(max(i.start_ms, start), min(i.end_ms, end), i.activity, i.program)
                for i in intervals
                if i.start_ms < end and i.end_ms > start
            )
            for code, intervals in self.intervals.items()
        }
        failures = tuple(f for f in self.failures if start <= f.failed_ms < end)
        return Truth(start, end, clipped, failures, self.upgrade_at_ms)

    def era(self, era: Era) -> Truth:
        """The part of the run in one era (empty, ``start_ms == end_ms``, if the run never was in it)."""
        upgrade = (
            self.start_ms if self.upgrade_at_ms is None else min(max(self.upgrade_at_ms, self.start_ms), self.end_ms)
        )
        if era is Era.CONVENTIONAL:
            return self.window(self.start_ms, upgrade)
        return self.window(upgrade, self.end_ms)
