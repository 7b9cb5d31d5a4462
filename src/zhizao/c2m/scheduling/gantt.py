"""A text Gantt chart: one line per machine, each operation drawn with its job's letter, idle time as dots."""

from __future__ import annotations

import string

from zhizao.c2m.scheduling.model import Problem, Schedule

_LABELS = string.digits + string.ascii_uppercase + string.ascii_lowercase


def job_label(job: int) -> str:
    return _LABELS[job] if job < len(_LABELS) else "#"


def text_gantt(schedule: Schedule, problem: Problem, width: int = 100) -> list[str]:
    """Lines of at most ``width`` time cells after the machine's name; where two operations share a cell, the later
    one shows."""
    makespan = max(schedule.makespan, 1)
    cells = max(1, min(width, makespan))
    scale = makespan / cells
    names = [problem.machine_name(m) for m in range(problem.n_machines)]
    pad = max(len(name) for name in names)
    lines = []
    for machine, name in enumerate(names):
        row = ["."] * cells
        for op in schedule.on_machine(machine):
            first, last = int(op.start / scale), int((op.end - 1e-9) / scale)
            for cell in range(first, min(last, cells - 1) + 1):
                row[cell] = job_label(op.job)
        lines.append(f"{name.ljust(pad)} |{''.join(row)}|")
    lines.append(f"{' ' * pad}  0{str(schedule.makespan).rjust(cells - 1)}  (one cell = {scale:g} time units)")
    return lines
