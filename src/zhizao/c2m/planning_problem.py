"""A maker's open operations as a scheduling problem, and the solver's schedule back as times on work centres. Pure.

Jobs are orders, tasks their unfinished operations in routing order, the eligible machines of a task every work
centre of its kind (all take the operation's minutes). Times are whole minutes from ``origin``: the earlier of now
and the start of the earliest operation still running, so that every time is non-negative. Nothing new starts
before now (the frame's ``not_before``); operations that are running stay exactly where they are (the frame's
fixed operations) — except one running on a machine that is down now, which is interrupted and done again from the
start, as :mod:`zhizao.c2m.scheduling.reschedule` does.

A down machine is unavailable from now until further notice while another work centre of its kind is up. When every
work centre of a kind is down there is nowhere else to go: those machines are assumed back after
``assumed_repair`` (the run says so), and the next reschedule moves the work again if they are not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from zhizao.c2m.scheduling.model import Frame, Job, Mode, Problem, Schedule, ScheduledOperation, Task, Unavailability

DEFAULT_ASSUMED_REPAIR = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Centre:
    """A work centre: the equipment that does operations of ``kind``."""

    equipment_id: int
    kind: str
    station: str
    code: str  # the equipment's code, e.g. HG-PR-01


@dataclass(frozen=True, slots=True)
class OpenOperation:
    id: int
    seq: int
    kind: str
    minutes: int
    equipment_id: int | None
    started_at: datetime | None


@dataclass(frozen=True, slots=True)
class OpenOrder:
    id: int
    number: str
    due_at: datetime
    operations: tuple[OpenOperation, ...]  # the unfinished ones, in routing order


@dataclass(frozen=True, slots=True)
class Placement:
    operation_id: int
    equipment_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class PlanningProblem:
    problem: Problem
    frame: Frame
    origin: datetime
    orders: tuple[OpenOrder, ...]  # job j is orders[j]
    centres: tuple[Centre, ...]  # machine m is centres[m]
    # Per job: the operations the solver places, task t being tasks[j][t] (a running one first, if kept).
    tasks: tuple[tuple[OpenOperation, ...], ...]
    interrupted: tuple[int, ...] = ()  # ids of operations that were running on a machine that is down
    unplanned: tuple[tuple[str, str], ...] = ()  # (order number, why) of orders left out
    assumed_back: Mapping[int, datetime] = field(default_factory=dict)  # equipment id → assumed back at

    @property
    def not_before(self) -> int:
        return self.frame.not_before

    def at(self, minute: int) -> datetime:
        return self.origin + timedelta(minutes=minute)

    def placements(self, schedule: Schedule) -> list[Placement]:
        """Where and when each operation that was not fixed now runs."""
        fixed = {(op.job, op.task) for op in self.frame.fixed}
        return [
            Placement(
                self.tasks[op.job][op.task].id,
                self.centres[op.machine].equipment_id,
                self.at(op.start),
                self.at(op.end),
            )
            for op in schedule.operations
            if (op.job, op.task) not in fixed
        ]

    def completion(self, schedule: Schedule, job: int) -> datetime:
        return self.at(schedule.completion(job))


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _minutes(origin: datetime, moment: datetime, *, up: bool = False) -> int:
    exact = (moment - origin).total_seconds() / 60
    return math.ceil(exact) if up else math.floor(exact)


def build_problem(
    orders: Sequence[OpenOrder],
    centres: Sequence[Centre],
    down: Mapping[int, datetime],
    now: datetime,
    assumed_repair: timedelta = DEFAULT_ASSUMED_REPAIR,
    name: str = "c2m",
) -> PlanningProblem | None:
    """The problem over ``orders``; None when no order has anything left to place."""
    ordered_centres = tuple(sorted(centres, key=lambda c: (c.kind, c.station, c.code, c.equipment_id)))
    machine_of = {centre.equipment_id: m for m, centre in enumerate(ordered_centres)}
    by_kind: dict[str, list[int]] = {}
    for m, centre in enumerate(ordered_centres):
        by_kind.setdefault(centre.kind, []).append(m)
    running = [op.started_at for order in orders for op in order.operations if op.started_at is not None]
    origin = _floor_minute(min([now, *running]))
    not_before = _minutes(origin, now, up=True)

    jobs: list[Job] = []
    kept_orders: list[OpenOrder] = []
    tasks: list[tuple[OpenOperation, ...]] = []
    fixed: list[ScheduledOperation] = []
    interrupted: list[int] = []
    unplanned: list[tuple[str, str]] = []
    for order in orders:
        if not order.operations:
            continue
        missing = sorted({op.kind for op in order.operations if op.kind not in by_kind})
        if missing:
            unplanned.append((order.number, f"no work centre of kind {', '.join(missing)}"))
            continue
        job = len(jobs)
        release, rest = 0, list(order.operations)
        head: list[OpenOperation] = []
        order_fixed: list[ScheduledOperation] = []
        # The running operations at the head of the routing stay put, unless their machine is down.
        while rest:
            op, started_at = rest[0], rest[0].started_at
            if started_at is None or op.equipment_id in down:
                break
            rest.pop(0)
            start = _minutes(origin, started_at)
            machine = machine_of.get(op.equipment_id) if op.equipment_id is not None else None
            if machine is None:  # running on equipment that is no work centre any more: wait for it, off the model
                release = max(release, start + op.minutes)
                continue
            order_fixed.append(ScheduledOperation(job, len(head), machine, start, start + op.minutes))
            head.append(op)
        # Whatever else had started ran on a machine that is down: it is done again from the start.
        interrupted.extend(op.id for op in rest if op.started_at is not None)
        if not head and not rest:
            continue  # only work off the model is left
        fixed.extend(order_fixed)
        job_tasks = tuple(
            Task.on(scheduled.machine, op.minutes) for scheduled, op in zip(order_fixed, head, strict=True)
        )
        job_tasks += tuple(Task(tuple(Mode(m, op.minutes) for m in by_kind[op.kind])) for op in rest)
        jobs.append(Job(job_tasks, release=release, due=_minutes(origin, order.due_at), name=order.number))
        kept_orders.append(order)
        tasks.append((*head, *rest))
    if not jobs:
        return None

    unavailable, assumed_back = _unavailability(ordered_centres, by_kind, down, not_before, assumed_repair)
    problem = Problem(
        jobs=tuple(jobs),
        n_machines=len(ordered_centres),
        name=name,
        machine_names=tuple(centre.code for centre in ordered_centres),
    )
    return PlanningProblem(
        problem=problem,
        frame=Frame(fixed=tuple(fixed), unavailable=unavailable, not_before=not_before),
        origin=origin,
        orders=tuple(kept_orders),
        centres=ordered_centres,
        tasks=tuple(tasks),
        interrupted=tuple(interrupted),
        unplanned=tuple(unplanned),
        assumed_back={ordered_centres[m].equipment_id: origin + timedelta(minutes=end) for m, end in assumed_back},
    )


def _unavailability(
    centres: tuple[Centre, ...],
    by_kind: Mapping[str, list[int]],
    down: Mapping[int, datetime],
    not_before: int,
    assumed_repair: timedelta,
) -> tuple[tuple[Unavailability, ...], list[tuple[int, int]]]:
    windows: list[Unavailability] = []
    assumed: list[tuple[int, int]] = []
    repair_minutes = max(1, math.ceil(assumed_repair.total_seconds() / 60))
    for machines in by_kind.values():
        down_here = [m for m in machines if centres[m].equipment_id in down]
        every_one = len(down_here) == len(machines)
        for m in down_here:
            until = not_before + repair_minutes if every_one else None
            windows.append(Unavailability(m, not_before, until))
            if until is not None:
                assumed.append((m, until))
    return tuple(windows), assumed
