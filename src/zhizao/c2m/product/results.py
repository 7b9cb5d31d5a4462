"""What the configurator answers, as plain data the web layer can send as JSON."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from zhizao.c2m.product.explain import Explanation
from zhizao.c2m.product.model import Frozen
from zhizao.errors import FieldProblem, InputError


class OptionState(StrEnum):
    CHOSEN = "chosen"
    SELECTABLE = "selectable"
    # Not chosen by the consumer but implied by the choices (and the rules given as reasons); choosing it is fine.
    REQUIRED = "required"
    # Greyed out: no valid configuration contains the choices and this option; the reasons say why.
    UNAVAILABLE = "unavailable"


class OptionStatus(Frozen):
    code: str
    family: str
    state: OptionState
    reasons: tuple[Explanation, ...] = ()
    # The consumer's choices behind the reasons; empty when the model alone rules the option out.
    because_of: tuple[str, ...] = ()


class StepStats(Frozen):
    """How a step was answered (for the benchmark and for tuning, not for consumers)."""

    cp_sat_calls: int
    by_propagation: int  # options greyed out or required by propagation from the choices
    by_probing: int  # options greyed out by propagating a trial choice of them
    by_cp_sat: int  # options greyed out only CP-SAT could prove, explained by its cores
    witnessed_locally: int  # options shown selectable by repairing a known valid configuration in Python
    witnessed_by_cp_sat: int


class CheckResult(Frozen):
    valid: bool
    complete: bool  # checked as a complete configuration (else: can it be completed?)
    violations: tuple[Explanation, ...] = ()
    because_of: tuple[str, ...] = ()  # for a partial selection: the choices in conflict
    price: Decimal


class StepResult(Frozen):
    valid: bool  # the choices can be completed to a valid configuration
    conflict: tuple[Explanation, ...] = ()  # when not valid: the rules the choices break together
    because_of: tuple[str, ...] = ()
    options: tuple[OptionStatus, ...]
    price: Decimal  # of the choices so far
    stats: StepStats


class Completion(Frozen):
    chosen: tuple[str, ...]  # the whole configuration, in model order
    added: tuple[str, ...]  # what completion added to the consumer's choices
    price: Decimal
    optimal: bool  # False: the time limit ended the search with a valid but possibly dearer configuration


class ConfigurationRefused(InputError):
    """A configuration (or partial one) no valid configuration contains; ``explanations`` says which rules."""

    code = "configuration_refused"

    def __init__(self, message: str, *, field: str, explanations: tuple[Explanation, ...]) -> None:
        problems = [FieldProblem(field, explanation.message) for explanation in explanations]
        super().__init__(message, fields=problems or [FieldProblem(field, message)])
        self.explanations = explanations
