"""Unit propagation over the compiled constraints, recording why each option was fixed.

Sound but incomplete: what it concludes holds in every valid configuration containing the decisions, but it may
miss conclusions that need search (the configurator asks CP-SAT for those). Its value is speed and explanations:
each fixed option remembers the constraint and the options that forced it, so a greyed-out option can be traced
back to the rules and to the consumer's choices behind it.

Numeric rules propagate on bounds only (``bounds.py``: the least and most the sum can still reach, counting each
single-choice family once), which is weaker than CP-SAT but never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhizao.c2m.product.bounds import UNDECIDED, bounds
from zhizao.c2m.product.compiled import Cardinality, Clause, CompiledModel, Constraint, Linear

# Why an option was fixed: the constraints that forced it (the first is the one that propagated) and the options
# whose values they read.
Reason = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class Conflict:
    """No assignment extends the decisions: ``constraints`` (none: a decision contradicted an earlier conclusion)
    failed because of the values of ``antecedents``."""

    constraints: tuple[int, ...]
    antecedents: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Trace:
    constraints: tuple[int, ...]  # the constraints involved, nearest first
    decisions: tuple[int, ...]  # the decided options the chain starts from


class Propagator:
    def __init__(self, compiled: CompiledModel) -> None:
        self.compiled = compiled
        size = len(compiled.codes)
        self.value = [UNDECIDED] * size
        self.reason: list[Reason | None] = [None] * size
        self.trail: list[int] = []
        self._queue: list[int] = []
        self._queued = bytearray(len(compiled.constraints))

    def start(self) -> Conflict | None:
        """Propagate the model alone, before any decision (discontinued options, families with one option, …)."""
        for number in range(len(self.compiled.constraints)):
            self._queued[number] = 1
            self._queue.append(number)
        return self.propagate()

    def copy(self) -> Propagator:
        """An independent propagator in the same state (the queue is empty between questions)."""
        made = Propagator.__new__(Propagator)
        made.compiled = self.compiled
        made.value = self.value.copy()
        made.reason = self.reason.copy()
        made.trail = self.trail.copy()
        made._queue = []
        made._queued = bytearray(len(self.compiled.constraints))
        return made

    def mark(self) -> int:
        return len(self.trail)

    def undo(self, mark: int) -> None:
        """Forget every assignment made since ``mark``."""
        for var in self.trail[mark:]:
            self.value[var] = UNDECIDED
            self.reason[var] = None
        del self.trail[mark:]
        for number in self._queue:
            self._queued[number] = 0
        self._queue.clear()

    def decide(self, var: int, chosen: bool) -> Conflict | None:
        """Assume ``var`` chosen (or not) and propagate; the conflict, if the assumption cannot hold."""
        current = self.value[var]
        if current != UNDECIDED:
            return None if current == int(chosen) else Conflict((), (var,))
        self._assign(var, chosen, None)
        return self.propagate()

    def propagate(self) -> Conflict | None:
        constraints = self.compiled.constraints
        while self._queue:
            number = self._queue.pop()
            self._queued[number] = 0
            conflict = self._propagate(number, constraints[number])
            if conflict is not None:
                for pending in self._queue:
                    self._queued[pending] = 0
                self._queue.clear()
                return conflict
        return None

    def trace(self, start: tuple[int, ...], first: tuple[int, ...] = ()) -> Trace:
        """The constraints and decisions behind the values of ``start`` (after the constraints ``first``)."""
        constraints: dict[int, None] = dict.fromkeys(first)
        decisions: dict[int, None] = {}
        seen: set[int] = set()
        pending = list(start)
        while pending:
            var = pending.pop(0)
            if var in seen:
                continue
            seen.add(var)
            reason = self.reason[var]
            if reason is None:
                decisions[var] = None
            else:
                for number in reason[0]:
                    constraints.setdefault(number, None)
                pending.extend(reason[1])
        return Trace(tuple(constraints), tuple(decisions))

    def _assign(self, var: int, chosen: bool, reason: Reason | None) -> None:
        self.value[var] = int(chosen)
        self.reason[var] = reason
        self.trail.append(var)
        for number in self.compiled.watches[var]:
            if not self._queued[number]:
                self._queued[number] = 1
                self._queue.append(number)

    def _propagate(self, number: int, constraint: Constraint) -> Conflict | None:
        if isinstance(constraint, Clause):
            return self._clause(number, constraint)
        if isinstance(constraint, Cardinality):
            return self._cardinality(number, constraint)
        return self._linear(number, constraint)

    def _clause(self, number: int, clause: Clause) -> Conflict | None:
        value = self.value
        open_literal = -1
        for literal in clause.literals:
            current = value[literal >> 1]
            if current == UNDECIDED:
                if open_literal >= 0:
                    return None  # two literals still open: nothing follows yet
                open_literal = literal
            elif current == (literal & 1) ^ 1:
                return None  # satisfied
        others = tuple(literal >> 1 for literal in clause.literals if literal != open_literal)
        if open_literal < 0:
            return Conflict((number,), others)
        self._assign(open_literal >> 1, open_literal & 1 == 0, ((number,), others))
        return None

    def _cardinality(self, number: int, cardinality: Cardinality) -> Conflict | None:
        value = self.value
        chosen = [var for var in cardinality.variables if value[var] == 1]
        open_vars = [var for var in cardinality.variables if value[var] == UNDECIDED]
        if len(chosen) > cardinality.high:
            return Conflict((number,), tuple(chosen))
        if len(chosen) + len(open_vars) < cardinality.low:
            return Conflict((number,), tuple(var for var in cardinality.variables if value[var] == 0))
        if not open_vars:
            return None
        if len(chosen) == cardinality.high:
            for var in open_vars:
                self._assign(var, False, ((number,), tuple(chosen)))
        elif len(chosen) + len(open_vars) == cardinality.low:
            refused = tuple(var for var in cardinality.variables if value[var] == 0)
            for var in open_vars:
                self._assign(var, True, ((number,), refused))
        return None

    def _linear(self, number: int, linear: Linear) -> Conflict | None:
        value = self.value
        if any(value[var] == 0 for var in linear.when):
            return None  # not enforced
        open_when = [var for var in linear.when if value[var] == UNDECIDED]
        if len(open_when) > 1:
            return None
        low, high = linear.low, linear.high
        reach = bounds(linear, value)
        most_reason = ((number, *reach.most_families), (*linear.when, *reach.most_because))
        least_reason = ((number, *reach.least_families), (*linear.when, *reach.least_because))
        failing = None
        if low is not None and reach.most < low:
            failing = most_reason
        elif high is not None and reach.least > high:
            failing = least_reason
        if open_when:
            if failing is not None:  # the sum cannot be kept within bounds, so the condition must not be met
                enforcing = tuple(var for var in failing[1] if var != open_when[0])
                self._assign(open_when[0], False, (failing[0], enforcing))
            return None
        if failing is not None:
            return Conflict(*failing)
        for var, coefficient in reach.open_loose:
            if coefficient > 0:
                if low is not None and reach.most - coefficient < low:
                    self._assign(var, True, most_reason)
                elif high is not None and reach.least + coefficient > high:
                    self._assign(var, False, least_reason)
            elif high is not None and reach.least - coefficient > high:
                self._assign(var, True, least_reason)
            elif low is not None and reach.most + coefficient < low:
                self._assign(var, False, most_reason)
        # An option of a single-choice family replaces the family's share: out if that alone breaks a bound.
        for var, coefficient, family, highest, lowest in reach.open_grouped:
            if low is not None and reach.most - highest + coefficient < low:
                self._assign(var, False, ((number, family, *reach.most_families), most_reason[1]))
            elif high is not None and reach.least - lowest + coefficient > high:
                self._assign(var, False, ((number, family, *reach.least_families), least_reason[1]))
        return None
