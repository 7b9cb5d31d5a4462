"""Checking a schedule against its problem, independently of whoever made it: every operation once, on an eligible
machine for that machine's duration, in routing order, not before release, never two at once on a machine, and —
when a frame is given — kept operations unchanged and nothing on a machine while it is unavailable."""

from __future__ import annotations

from zhizao.c2m.scheduling.model import Frame, Problem, Schedule, ScheduledOperation


def verify(schedule: Schedule, problem: Problem, frame: Frame | None = None) -> list[str]:
    """Every violation found, in words; an empty list means the schedule is feasible."""
    problems: list[str] = []
    by_key: dict[tuple[int, int], ScheduledOperation] = {}
    for op in schedule.operations:
        if (op.job, op.task) in by_key:
            problems.append(f"J{op.job} task {op.task} is scheduled twice")
        by_key[op.job, op.task] = op
    for j, job in enumerate(problem.jobs):
        previous_end = job.release
        for t, task in enumerate(job.tasks):
            if (j, t) not in by_key:
                problems.append(f"J{j} task {t} is not scheduled")
                continue
            scheduled = by_key.pop((j, t))
            machine, lasts = scheduled.machine, scheduled.end - scheduled.start
            duration = task.duration_on(machine)
            if duration is None:
                problems.append(f"J{j} task {t} is on M{machine}, which is not eligible for it")
            elif lasts != duration:
                problems.append(f"J{j} task {t} lasts {lasts} on M{machine}, not {duration}")
            if scheduled.start < previous_end:
                what = "its release" if t == 0 else f"task {t - 1} ends"
                problems.append(f"J{j} task {t} starts at {scheduled.start}, before {what} ({previous_end})")
            previous_end = max(previous_end, scheduled.end)
    problems += [f"J{op.job} task {op.task} is not in the problem" for op in by_key.values()]
    for machine in range(problem.n_machines):
        problems += _overlaps(schedule.on_machine(machine), machine)
    if frame is not None:
        problems += _frame_violations(schedule, frame)
    return problems


def _overlaps(on_machine: list[ScheduledOperation], machine: int) -> list[str]:
    """Pairs that overlap, by CP-SAT's rule: [s1, e1) and [s2, e2) meet when s1 < e2 and s2 < e1 (so a zero-length
    operation meets another only strictly inside it). ``on_machine`` is sorted by start."""
    found = []
    for at, a in enumerate(on_machine):
        for b in on_machine[at + 1 :]:
            if b.start >= a.end:
                break
            if a.start < b.end:
                found.append(f"M{machine}: J{a.job} task {a.task} and J{b.job} task {b.task} overlap")
    return found


def _frame_violations(schedule: Schedule, frame: Frame) -> list[str]:
    problems = []
    kept = {(op.job, op.task): op for op in schedule.operations}
    fixed_keys = set()
    for op in frame.fixed:
        fixed_keys.add((op.job, op.task))
        if kept.get((op.job, op.task)) != op:
            problems.append(f"J{op.job} task {op.task} was fixed at {op.start}–{op.end} on M{op.machine} but moved")
    for op in schedule.operations:
        if (op.job, op.task) in fixed_keys:
            continue
        if op.start < frame.not_before:
            problems.append(f"J{op.job} task {op.task} starts at {op.start}, before {frame.not_before}")
        for window in frame.unavailable:
            if window.machine == op.machine and window.overlaps(op.start, op.end):
                until = "further notice" if window.end is None else str(window.end)
                problems.append(
                    f"J{op.job} task {op.task} runs on M{op.machine} while it is unavailable ({window.start}–{until})"
                )
    return problems
