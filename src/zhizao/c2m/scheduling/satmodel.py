"""The CP-SAT model of a problem in a frame, hinted with a warm-start schedule."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from zhizao.c2m.scheduling.model import Frame, Mode, Problem, Schedule, ScheduledOperation, schedule_of


@dataclass(frozen=True, slots=True)
class _Choice:
    machine: int
    duration: int
    presence: cp_model.IntVar | None  # None: the only eligible machine


@dataclass
class SatModel:
    model: cp_model.CpModel
    # None: the objective is the makespan; else objective = weighted tardiness × scale + makespan.
    tardiness_scale: int | None
    starts: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    ends: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    # (variable, job, due date): the job's tardiness
    tardiness: list[tuple[cp_model.IntVar, int, int]] = field(default_factory=list)
    makespan: cp_model.IntVar | None = None
    choices: dict[tuple[int, int], list[_Choice]] = field(default_factory=dict)
    fixed: list[ScheduledOperation] = field(default_factory=list)

    def schedule(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> Schedule:
        """The solution the solver ended with, or the one a solution callback is being shown."""
        operations = list(self.fixed)
        for key, start_var in self.starts.items():
            start = solver.value(start_var)
            choice = next(c for c in self.choices[key] if c.presence is None or solver.boolean_value(c.presence))
            operations.append(ScheduledOperation(key[0], key[1], choice.machine, start, start + choice.duration))
        return schedule_of(operations)


def horizon(problem: Problem, frame: Frame, warm: Schedule) -> int:
    """A time by which an optimal schedule has ended. Without due dates the warm start's makespan (an optimum is no
    longer); with them a schedule with less tardiness may be longer, so: everything else first, then every
    remaining operation one after the other at its slowest."""
    if not problem.has_due_dates:
        return warm.makespan
    fixed_tasks = {(op.job, op.task) for op in frame.fixed}
    serial = sum(
        max(mode.duration for mode in task.modes)
        for j, job in enumerate(problem.jobs)
        for t, task in enumerate(job.tasks)
        if (j, t) not in fixed_tasks
    )
    ready = max(
        [frame.not_before, warm.makespan]
        + [job.release for job in problem.jobs]
        + [window.end if window.end is not None else window.start for window in frame.unavailable]
    )
    return ready + serial


def build_model(problem: Problem, frame: Frame, warm: Schedule) -> SatModel:
    model = cp_model.CpModel()
    end_of_time = horizon(problem, frame, warm)
    scale = end_of_time + 1 if problem.has_due_dates else None
    built = SatModel(model, scale, fixed=list(frame.fixed))
    intervals: list[list[cp_model.IntervalVar]] = [[] for _ in range(problem.n_machines)]
    for op in frame.fixed:
        intervals[op.machine].append(model.new_fixed_size_interval_var(op.start, op.end - op.start, "fixed"))
    for window in frame.unavailable:
        until = window.end if window.end is not None else max(end_of_time, window.start + 1)
        if until > window.start:
            intervals[window.machine].append(
                model.new_fixed_size_interval_var(window.start, until - window.start, "down")
            )
    job_ends: list[cp_model.LinearExprT] = []
    for j, job in enumerate(problem.jobs):
        previous_end: cp_model.LinearExprT = max(job.release, frame.not_before)
        for op in (op for op in frame.fixed if op.job == j):
            previous_end = max(op.end, job.release, frame.not_before)
        first_free = frame.fixed_tasks(j)
        for t in range(first_free, len(job.tasks)):
            task = job.tasks[t]
            start = model.new_int_var(0, end_of_time - task.shortest, f"s{j}_{t}")
            end = model.new_int_var(0, end_of_time, f"e{j}_{t}")
            model.add(start >= previous_end)
            built.starts[j, t] = start
            built.ends[j, t] = end
            built.choices[j, t] = _add_choices(model, task.modes, start, end, intervals, f"{j}_{t}")
            previous_end = end
        job_ends.append(previous_end)
    for machine_intervals in intervals:
        model.add_no_overlap(machine_intervals)
    makespan = model.new_int_var(_makespan_floor(problem, frame), end_of_time, "makespan")
    model.add_max_equality(makespan, job_ends)
    built.makespan = makespan
    if scale is None:
        model.minimize(makespan)
    else:
        model.minimize(_weighted_tardiness(built, problem, job_ends, end_of_time) * scale + makespan)
    _hint(built, warm)
    return built


def _add_choices(
    model: cp_model.CpModel,
    modes: tuple[Mode, ...],
    start: cp_model.IntVar,
    end: cp_model.IntVar,
    intervals: list[list[cp_model.IntervalVar]],
    name: str,
) -> list[_Choice]:
    if len(modes) == 1:
        mode = modes[0]
        intervals[mode.machine].append(model.new_interval_var(start, mode.duration, end, f"i{name}"))
        return [_Choice(mode.machine, mode.duration, None)]
    choices = []
    for mode in modes:
        present = model.new_bool_var(f"p{name}_{mode.machine}")
        interval = model.new_optional_interval_var(start, mode.duration, end, present, f"i{name}_{mode.machine}")
        intervals[mode.machine].append(interval)
        choices.append(_Choice(mode.machine, mode.duration, present))
    model.add_exactly_one(choice.presence for choice in choices if choice.presence is not None)
    return choices


def _makespan_floor(problem: Problem, frame: Frame) -> int:
    blank = not frame.fixed and not frame.unavailable and frame.not_before == 0
    return problem.makespan_lower_bound if blank else 0


def _weighted_tardiness(
    built: SatModel, problem: Problem, job_ends: list[cp_model.LinearExprT], end_of_time: int
) -> cp_model.LinearExpr:
    variables: list[cp_model.IntVar] = []
    weights: list[int] = []
    for j, (job, end) in enumerate(zip(problem.jobs, job_ends, strict=True)):
        if job.due is None or job.weight == 0:
            continue
        tardiness = built.model.new_int_var(0, max(0, end_of_time - job.due), f"tardiness{j}")
        built.model.add_max_equality(tardiness, [0, end - job.due])
        built.tardiness.append((tardiness, j, job.due))
        variables.append(tardiness)
        weights.append(job.weight)
    return cp_model.LinearExpr.weighted_sum(variables, weights)


def _hint(built: SatModel, warm: Schedule) -> None:
    """Every variable, so that CP-SAT takes the warm start as its first solution."""
    for op in warm.operations:
        key = (op.job, op.task)
        if key not in built.starts:
            continue
        built.model.add_hint(built.starts[key], op.start)
        built.model.add_hint(built.ends[key], op.end)
        for choice in built.choices[key]:
            if choice.presence is not None:
                built.model.add_hint(choice.presence, choice.machine == op.machine)
    if built.makespan is not None:
        built.model.add_hint(built.makespan, warm.makespan)
    for variable, job, due in built.tardiness:
        built.model.add_hint(variable, max(0, warm.completion(job) - due))
