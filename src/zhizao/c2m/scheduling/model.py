"""The scheduling problem in general form, and a schedule.

Production orders map onto jobs: each is a sequence of operations (its routing), each operation runs on one of its
eligible machines for a duration that may differ per machine, not before the job's release, ideally finishing by
its due date. The OR-Library job shop is the special case of one eligible machine per operation, no release times
and no due dates. Times are integers in whatever unit the caller chose (minutes, seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from zhizao.c2m.scheduling.instance import JobShopInstance
from zhizao.errors import InputError


@dataclass(frozen=True, slots=True)
class Mode:
    """One way to run an operation: on this machine, taking this long."""

    machine: int
    duration: int


@dataclass(frozen=True, slots=True)
class Task:
    """An operation of a job and the machines eligible for it."""

    modes: tuple[Mode, ...]

    @classmethod
    def on(cls, machine: int, duration: int) -> Task:
        return cls((Mode(machine, duration),))

    @property
    def shortest(self) -> int:
        return min(mode.duration for mode in self.modes)

    def duration_on(self, machine: int) -> int | None:
        return next((mode.duration for mode in self.modes if mode.machine == machine), None)


@dataclass(frozen=True, slots=True)
class Job:
    tasks: tuple[Task, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1
    name: str = ""


@dataclass(frozen=True)
class Problem:
    """Jobs over ``n_machines`` machines (numbered from 0). Construction checks every value."""

    jobs: tuple[Job, ...]
    n_machines: int
    name: str = "problem"
    machine_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.n_machines < 1:
            raise InputError.for_field("n_machines", "at least one machine is needed")
        if not self.jobs:
            raise InputError.for_field("jobs", "at least one job is needed")
        if self.machine_names and len(self.machine_names) != self.n_machines:
            raise InputError.for_field("machine_names", f"expected {self.n_machines} names")
        for j, job in enumerate(self.jobs):
            _check_job(job, f"jobs[{j}]", self.n_machines)

    @classmethod
    def from_instance(cls, instance: JobShopInstance) -> Problem:
        jobs = tuple(
            Job(tuple(Task.on(op.machine, op.duration) for op in operations), name=f"J{j}")
            for j, operations in enumerate(instance.jobs)
        )
        return cls(jobs=jobs, n_machines=instance.n_machines, name=instance.name)

    @property
    def has_due_dates(self) -> bool:
        return any(job.due is not None for job in self.jobs)

    @property
    def is_flexible(self) -> bool:
        return any(len(task.modes) > 1 for job in self.jobs for task in job.tasks)

    @cached_property
    def n_operations(self) -> int:
        return sum(len(job.tasks) for job in self.jobs)

    @cached_property
    def makespan_lower_bound(self) -> int:
        """The longest job (from its release) and, when every operation has one machine, the busiest machine."""
        longest_job = max(job.release + sum(task.shortest for task in job.tasks) for job in self.jobs)
        if self.is_flexible:
            return longest_job
        load = [0] * self.n_machines
        for job in self.jobs:
            for task in job.tasks:
                load[task.modes[0].machine] += task.modes[0].duration
        earliest_release = min(job.release for job in self.jobs)
        return max(longest_job, earliest_release + max(load))

    def machine_name(self, machine: int) -> str:
        return self.machine_names[machine] if self.machine_names else f"M{machine}"


def _check_job(job: Job, where: str, n_machines: int) -> None:
    if not job.tasks:
        raise InputError.for_field(f"{where}.tasks", "a job needs at least one operation")
    if job.release < 0:
        raise InputError.for_field(f"{where}.release", "must not be negative")
    if job.weight < 0:
        raise InputError.for_field(f"{where}.weight", "must not be negative")
    for t, task in enumerate(job.tasks):
        if not task.modes:
            raise InputError.for_field(f"{where}.tasks[{t}]", "no eligible machine")
        machines = [mode.machine for mode in task.modes]
        if len(set(machines)) != len(machines):
            raise InputError.for_field(f"{where}.tasks[{t}]", "a machine is listed twice")
        for mode in task.modes:
            if not 0 <= mode.machine < n_machines:
                raise InputError.for_field(f"{where}.tasks[{t}]", f"machine {mode.machine} is out of range")
            if mode.duration < 0:
                raise InputError.for_field(f"{where}.tasks[{t}]", f"duration {mode.duration} is negative")


@dataclass(frozen=True, slots=True, order=True)
class Objective:
    """Compared lexicographically: total weighted tardiness first, then makespan."""

    weighted_tardiness: int
    makespan: int


@dataclass(frozen=True, slots=True)
class ScheduledOperation:
    job: int
    task: int
    machine: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Schedule:
    """Where and when each operation runs, ordered by job then task."""

    operations: tuple[ScheduledOperation, ...]

    @property
    def makespan(self) -> int:
        return max((op.end for op in self.operations), default=0)

    def completion(self, job: int) -> int:
        return max(op.end for op in self.operations if op.job == job)

    def weighted_tardiness(self, problem: Problem) -> int:
        total = 0
        for j, job in enumerate(problem.jobs):
            if job.due is not None:
                total += job.weight * max(0, self.completion(j) - job.due)
        return total

    def objective(self, problem: Problem) -> Objective:
        return Objective(self.weighted_tardiness(problem), self.makespan)

    def on_machine(self, machine: int) -> list[ScheduledOperation]:
        return sorted((op for op in self.operations if op.machine == machine), key=lambda op: op.start)


@dataclass(frozen=True, slots=True)
class Unavailability:
    """A machine that cannot work over [start, end); ``end`` None: until further notice."""

    machine: int
    start: int
    end: int | None = None

    def overlaps(self, start: int, end: int) -> bool:
        """Whether work over [start, end) meets the window. As in CP-SAT's no-overlap, zero-length work at t meets
        it when it lies strictly inside (start < t < end), not on an edge."""
        return self.start < end and (self.end is None or start < self.end)


@dataclass(frozen=True, slots=True)
class Frame:
    """What a solve starts from when it is not a blank sheet (rescheduling): operations already decided, which must be
    the first tasks of their jobs; machines unavailable over some windows; and a time before which nothing else
    starts (now)."""

    fixed: tuple[ScheduledOperation, ...] = ()
    unavailable: tuple[Unavailability, ...] = ()
    not_before: int = 0

    def fixed_tasks(self, job: int) -> int:
        return sum(1 for op in self.fixed if op.job == job)


def schedule_of(operations: list[ScheduledOperation]) -> Schedule:
    return Schedule(tuple(sorted(operations, key=lambda op: (op.job, op.task))))
