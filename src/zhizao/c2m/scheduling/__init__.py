"""Job-shop scheduling of production orders: OR-Library instances, the general (flexible) problem with release and
due dates, dispatching rules, a tabu search and CP-SAT, verification, and rescheduling around a machine breakdown.

Pure: no I/O except reading an instance file in :mod:`.instance`.
"""

from zhizao.c2m.scheduling.cpsat import SolveOptions, SolveResult, SolveStatus, solve
from zhizao.c2m.scheduling.dispatching import Rule, best_dispatch, dispatch, dispatch_all
from zhizao.c2m.scheduling.instance import (
    JobShopInstance,
    Operation,
    format_instance,
    load_instance,
    parse_instance,
    random_instance,
)
from zhizao.c2m.scheduling.model import (
    Frame,
    Job,
    Mode,
    Objective,
    Problem,
    Schedule,
    ScheduledOperation,
    Task,
    Unavailability,
)
from zhizao.c2m.scheduling.reschedule import Breakdown, Rescheduled, reschedule
from zhizao.c2m.scheduling.verify import verify

__all__ = [
    "Breakdown",
    "Frame",
    "Job",
    "JobShopInstance",
    "Mode",
    "Objective",
    "Operation",
    "Problem",
    "Rescheduled",
    "Rule",
    "Schedule",
    "ScheduledOperation",
    "SolveOptions",
    "SolveResult",
    "SolveStatus",
    "Task",
    "Unavailability",
    "best_dispatch",
    "dispatch",
    "dispatch_all",
    "format_instance",
    "load_instance",
    "parse_instance",
    "random_instance",
    "reschedule",
    "solve",
    "verify",
]
