"""One configurator step: every option's state given the consumer's choices, exactly — an option is greyed out if and
only if no valid configuration contains the choices and it — and fast enough to run on each click.

1. Propagate the choices. A conflict refuses them with the propagation's trace. Options it fixes are greyed out
   (or required), explained by the chain of constraints back to the choices that forced them.
2. One CP-SAT call finds a valid configuration containing the choices (or refuses them: its core explains why).
   Every option in it is selectable.
3. ``repair.Repairer`` patches each option still open into that configuration, in Python; a patch that holds is a
   witness for every option of the patched configuration.
4. What no patch settled goes to CP-SAT in rounds: "a valid configuration with at least one of these", branching on
   them first so that each answer has as many of them as the rules allow; every answer is also a new configuration
   to patch the rest into. When CP-SAT finds none, the rest are greyed out.
5. Each of those is explained by propagating it as a trial choice (a conflict and its trace), or, where that finds
   no conflict, by a core of the explaining CP-SAT model (rules and choices), shortened by a few deletion solves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from zhizao.c2m.product import solver
from zhizao.c2m.product.bounds import UNDECIDED
from zhizao.c2m.product.explain import Explanation
from zhizao.c2m.product.propagation import Propagator, Trace
from zhizao.c2m.product.repair import Repairer
from zhizao.c2m.product.results import OptionState, OptionStatus, StepResult, StepStats
from zhizao.c2m.product.solver import ask, literal_index
from zhizao.errors import Unavailable

if TYPE_CHECKING:
    from zhizao.c2m.product.configurator import Configurator

Reasons = tuple[tuple[Explanation, ...], tuple[str, ...]]

# Deletion solves spent shortening the explanations of options only CP-SAT could grey out: a few per option, and a
# cap per step, because a step may have many (a refused selection, explained once, gets ``CHECK_SHRINK_BUDGET``).
STEP_SHRINK_BUDGET = 6
STEP_SHRINK_TOTAL = 18
CHECK_SHRINK_BUDGET = 64


def step(configurator: Configurator, selected: list[int]) -> StepResult:
    calls_before = solver.calls()
    model, compiled = configurator.model, configurator.compiled
    price = model.price_of({compiled.codes[var] for var in selected})
    root = configurator.root.copy()
    conflict = configurator.root_conflict
    for var in selected:
        if conflict is not None:
            break
        conflict = root.decide(var, True)
    if conflict is not None:
        return _refused(configurator, selected, configurator.from_conflict(root, conflict), price, calls_before)
    first = _answer(configurator, selected)
    if not first.feasible:
        refusal = configurator.from_core(selected, exclude=None, budget=CHECK_SHRINK_BUDGET)
        return _refused(configurator, selected, refusal, price, calls_before)
    greyer = _Greyer(configurator, selected, root, list(first.values))
    greyer.settle_propagated()
    pending = greyer.patch_open()
    pending = greyer.witness_by_cp_sat(pending)
    greyer.explain_dead(pending)
    statuses = []
    for var, code in enumerate(compiled.codes):
        family = model.family_of[code].code
        if var in greyer.chosen:
            statuses.append(OptionStatus(code=code, family=family, state=OptionState.CHOSEN))
        elif var in greyer.settled:
            state, (reasons, because_of) = greyer.settled[var]
            statuses.append(OptionStatus(code=code, family=family, state=state, reasons=reasons, because_of=because_of))
        else:
            statuses.append(OptionStatus(code=code, family=family, state=OptionState.SELECTABLE))
    stats = StepStats(cp_sat_calls=solver.calls() - calls_before, **greyer.counts)
    return StepResult(valid=True, options=tuple(statuses), price=price, stats=stats)


class _Greyer:
    """The state of one step between its phases."""

    def __init__(self, configurator: Configurator, selected: list[int], root: Propagator, solution: list[int]) -> None:
        self.configurator = configurator
        self.selected = selected
        self.chosen = frozenset(selected)
        self.root = root
        self.solution = solution
        self.witnessed = bytearray(solution)
        self.settled: dict[int, tuple[OptionState, Reasons]] = {}
        self.shrink_left = STEP_SHRINK_TOTAL
        self.counts = dict.fromkeys(
            ("by_propagation", "by_probing", "by_cp_sat", "witnessed_locally", "witnessed_by_cp_sat"), 0
        )

    def settle_propagated(self) -> None:
        """Options the choices fix by propagation alone: required or greyed out, with the chain as the reason."""
        for var, value in enumerate(self.root.value):
            if var not in self.chosen and value != UNDECIDED:
                state = OptionState.REQUIRED if value else OptionState.UNAVAILABLE
                self.settled[var] = (state, self._from_trace(self.root.trace((var,)), exclude=None))
                self.counts["by_propagation"] += 1

    def patch_open(self) -> list[int]:
        """Patch every open option into the first configuration; the ones that would not go in."""
        patcher = Repairer(self.root, self.solution)
        pending = []
        for var, value in enumerate(self.root.value):
            if value != UNDECIDED or self.witnessed[var]:
                continue
            found = patcher.patch(var)
            if found is None:
                pending.append(var)
            else:
                self.counts["witnessed_locally"] += 1
                for member in found:
                    self.witnessed[member] = 1
        return [var for var in pending if not self.witnessed[var]]

    def witness_by_cp_sat(self, pending: list[int]) -> list[int]:
        """Rounds of "a configuration with at least one of these", each answer also a new place to patch the rest
        into; what is left when CP-SAT finds none is greyed out."""
        while pending:
            answer = _answer(self.configurator, self.selected, at_least_one_of=pending, prefer=pending)
            if not answer.feasible:
                break
            for var, value in enumerate(answer.values):
                self.witnessed[var] |= value
            patcher = Repairer(self.root, list(answer.values))
            for var in pending:
                for member in (None if self.witnessed[var] else patcher.patch(var)) or ():
                    self.witnessed[member] = 1
            self.counts["witnessed_by_cp_sat"] += sum(1 for var in pending if self.witnessed[var])
            pending = [var for var in pending if not self.witnessed[var]]
        return pending

    def explain_dead(self, dead: list[int]) -> None:
        """Why each option no configuration can hold is greyed out: a propagation conflict when choosing it shows
        it cheaply; otherwise a core of the explaining CP-SAT model."""
        root = self.root
        for var in dead:
            mark = root.mark()
            conflict = root.decide(var, True)
            trace = None if conflict is None else root.trace(conflict.antecedents, conflict.constraints)
            root.undo(mark)
            if trace is not None:
                self.settled[var] = (OptionState.UNAVAILABLE, self._from_trace(trace, exclude=var))
                self.counts["by_probing"] += 1
                continue
            budget = min(STEP_SHRINK_BUDGET, self.shrink_left)
            calls = solver.calls()
            reasons = self.configurator.from_core([*self.selected, var], exclude=var, budget=budget)
            self.shrink_left -= max(0, solver.calls() - calls - 1)
            self.settled[var] = (OptionState.UNAVAILABLE, reasons)
            self.counts["by_cp_sat"] += 1

    def _from_trace(self, trace: Trace, *, exclude: int | None) -> Reasons:
        rule_ids = [self.configurator.compiled.constraints[number].rule_id for number in trace.constraints]
        return self.configurator.explained(rule_ids, set(trace.decisions), exclude)


def _refused(
    configurator: Configurator, selected: list[int], reasons: Reasons, price: Decimal, calls_before: int
) -> StepResult:
    """Choices no valid configuration contains: nothing more can be added until one of them is taken back, so every
    other option carries the conflict as its reason."""
    explanations, because_of = reasons
    compiled, model = configurator.compiled, configurator.model
    chosen = set(selected)
    statuses = tuple(
        OptionStatus(code=code, family=model.family_of[code].code, state=OptionState.CHOSEN)
        if var in chosen
        else OptionStatus(
            code=code,
            family=model.family_of[code].code,
            state=OptionState.UNAVAILABLE,
            reasons=explanations,
            because_of=because_of,
        )
        for var, code in enumerate(compiled.codes)
    )
    stats = StepStats(
        cp_sat_calls=solver.calls() - calls_before,
        by_propagation=0,
        by_probing=0,
        by_cp_sat=0,
        witnessed_locally=0,
        witnessed_by_cp_sat=0,
    )
    return StepResult(
        valid=False, conflict=explanations, because_of=because_of, options=statuses, price=price, stats=stats
    )


def _answer(
    configurator: Configurator,
    selected: list[int],
    *,
    at_least_one_of: list[int] | None = None,
    prefer: list[int] | None = None,
) -> solver.Answer:
    answer = ask(
        configurator.plain,
        configurator.options,
        assumptions=[literal_index(var) for var in selected],
        at_least_one_of=at_least_one_of or (),
        prefer=prefer or (),
    )
    if answer.feasible is None:
        raise Unavailable(f"the configurator found no answer within {solver.FEASIBILITY_TIME_LIMIT_S:.0f} s")
    return answer
