"""Rescheduling when a machine goes down.

At time ``at`` the machine stops, until ``until`` or until further notice. What has already started elsewhere stays
exactly as it was (material is on the machines); the operation running on the failed machine, if any, is interrupted
and must be done again from the start — on another eligible machine, or on this one once it is back. Everything not
yet started is scheduled again from ``at`` with the same objective, keeping off the machine while it is down.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhizao.c2m.scheduling.cpsat import SolveOptions, SolveResult, solve
from zhizao.c2m.scheduling.model import Frame, Problem, Schedule, ScheduledOperation, Unavailability
from zhizao.errors import InputError


@dataclass(frozen=True, slots=True)
class Breakdown:
    machine: int
    at: int
    until: int | None = None  # None: until further notice


@dataclass(frozen=True)
class Rescheduled:
    result: SolveResult
    frame: Frame
    interrupted: ScheduledOperation | None

    @property
    def schedule(self) -> Schedule:
        return self.result.schedule


def frame_after(problem: Problem, schedule: Schedule, breakdown: Breakdown) -> tuple[Frame, ScheduledOperation | None]:
    """The frame a breakdown leaves: operations started before it are kept, except the one it interrupts."""
    if not 0 <= breakdown.machine < problem.n_machines:
        raise InputError.for_field("machine", f"machine {breakdown.machine} is out of range 0–{problem.n_machines - 1}")
    if breakdown.at < 0:
        raise InputError.for_field("at", "must not be negative")
    if breakdown.until is not None and breakdown.until <= breakdown.at:
        raise InputError.for_field("until", "must be after the breakdown")
    started = [op for op in schedule.operations if op.start < breakdown.at]
    interrupted = next(
        (op for op in started if op.machine == breakdown.machine and op.end > breakdown.at and op.end > op.start), None
    )
    kept = tuple(op for op in started if op is not interrupted)
    window = Unavailability(breakdown.machine, breakdown.at, breakdown.until)
    return Frame(fixed=kept, unavailable=(window,), not_before=breakdown.at), interrupted


def reschedule(
    problem: Problem, schedule: Schedule, breakdown: Breakdown, options: SolveOptions | None = None
) -> Rescheduled:
    frame, interrupted = frame_after(problem, schedule, breakdown)
    return Rescheduled(solve(problem, options, frame), frame, interrupted)
