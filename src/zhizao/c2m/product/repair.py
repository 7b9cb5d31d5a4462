"""Showing an option selectable without asking CP-SAT: start from a valid configuration that contains the
consumer's choices (CP-SAT's answer), put the option in, and mend what that breaks.

Each broken constraint the changes touch is mended by one more change to an option nothing has fixed yet: a required
option in, a family's surplus out, a bigger battery in for a numeric rule. A few rounds, no backtracking, no
propagation: cheap enough to try on every open option of a step. A patch that ends with nothing broken is a valid
configuration containing the choices and the option — a witness for every option chosen in it; what it cannot
settle goes to CP-SAT.
"""

from __future__ import annotations

from zhizao.c2m.product.bounds import UNDECIDED
from zhizao.c2m.product.compiled import Cardinality, Clause, Constraint, Linear, is_positive
from zhizao.c2m.product.propagation import Propagator

MAX_REPAIRS = 8


class Repairer:
    def __init__(self, propagator: Propagator, solution: list[int]) -> None:
        """``propagator`` holds the consumer's choices, propagated; ``solution`` is a valid configuration that
        contains them (so it agrees with everything propagated)."""
        self.propagator = propagator
        self.solution = solution
        self.constraints = propagator.compiled.constraints
        self.watches = propagator.compiled.watches
        self.chosen_in_solution = frozenset(var for var, value in enumerate(solution) if value)
        self.current = list(solution)  # the solution with a patch's changes applied; restored after each patch

    def patch(self, var: int) -> frozenset[int] | None:
        """Put ``var`` into the known configuration and mend what breaks, on the constraints the changes touch only
        (no propagation): cheap, and enough for most options."""
        current = self.current
        changes = {var: 1}
        current[var] = 1
        try:
            for _attempt in range(MAX_REPAIRS):
                touched = sorted({number for changed in changes for number in self.watches[changed]})
                broken = next((number for number in touched if not self.constraints[number].holds(current)), None)
                if broken is None:
                    return self._chosen_with(changes)
                if not self._mend(self.constraints[broken], changes):
                    return None
            return None
        finally:
            for changed in changes:
                current[changed] = self.solution[changed]

    def _mend(self, constraint: Constraint, changes: dict[int, int]) -> bool:
        """Change the current configuration so that ``constraint`` holds, touching only options nothing has fixed
        yet (neither the choices and what they imply, nor earlier changes); False when one change cannot do it."""
        free, current = self.propagator.value, self.current
        if isinstance(constraint, Clause):
            for literal in constraint.literals:
                var = literal >> 1
                if free[var] == UNDECIDED and var not in changes:
                    changes[var] = current[var] = int(is_positive(literal))
                    return True
            return False
        if isinstance(constraint, Cardinality):
            count = sum(1 for var in constraint.variables if current[var])
            movable = [var for var in constraint.variables if free[var] == UNDECIDED and var not in changes]
            if count > constraint.high:
                wanted = count - constraint.high
                picked = [var for var in movable if current[var]][:wanted]
                value = 0
            else:
                wanted = constraint.low - count
                prices = self.propagator.compiled.prices_fen
                picked = sorted((var for var in movable if not current[var]), key=lambda var: prices[var])[:wanted]
                value = 1
            for var in picked:
                changes[var] = current[var] = value
            return len(picked) == wanted
        return self._mend_linear(constraint, changes)

    def _mend_linear(self, constraint: Linear, changes: dict[int, int]) -> bool:
        """Move the sum towards its bounds by the largest single step (a bigger battery in, which the family's
        bound then swaps for the smaller one), or else lift the rule's condition."""
        free, current = self.propagator.value, self.current
        total = sum(coefficient for var, coefficient in constraint.terms if current[var])
        raise_sum = constraint.low is not None and total < constraint.low
        steps = [
            (abs(coefficient), var)
            for var, coefficient in constraint.terms
            if free[var] == UNDECIDED and var not in changes and (coefficient > 0) == (raise_sum != bool(current[var]))
        ]
        if steps:
            var = max(steps)[1]
            changes[var] = current[var] = 1 - current[var]
            return True
        for var in constraint.when:
            if free[var] == UNDECIDED and var not in changes:
                changes[var] = current[var] = 0
                return True
        return False

    def _chosen_with(self, changes: dict[int, int]) -> frozenset[int]:
        added = {var for var, value in changes.items() if value}
        removed = {var for var, value in changes.items() if not value}
        return (self.chosen_in_solution - removed) | added
