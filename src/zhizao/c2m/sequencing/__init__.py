"""Mixed-model sequencing of the assembly line (car sequencing, CSPLib prob001): instances with p/q capacity rules
per option station, the published violation count, and a solver — greedy start, tabu search with breakout weights,
CP-SAT beside it for bounds and proofs.

Pure: no I/O except reading an instance file (:func:`load_instance`) and a best-known table.
"""

from zhizao.c2m.sequencing.instance import CapacityRule, CarClass, Instance, load_instance, parse_instance
from zhizao.c2m.sequencing.solver import SequencingResult, solve
from zhizao.c2m.sequencing.violations import SequenceCheck, WindowViolation, check_sequence, count_violations

__all__ = [
    "CapacityRule",
    "CarClass",
    "Instance",
    "SequenceCheck",
    "SequencingResult",
    "WindowViolation",
    "check_sequence",
    "count_violations",
    "load_instance",
    "parse_instance",
    "solve",
]
