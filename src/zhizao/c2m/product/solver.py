"""The compiled constraints as CP-SAT models, and the few ways the configurator asks them questions.

Two models are built once per product version: the plain one (every rule hard), for feasibility, witnesses and the
cheapest completion; and the explaining one, where each rule only holds when its own literal does, so that an
infeasible question can be answered with the rules (and choices) CP-SAT needed to prove it — its "sufficient
assumptions for infeasibility", shrunk by deletion when asked.

Questions go to a clone of a model (assumptions and search strategies live in the model), so compiled models are
shared by threads safely. One worker, no presolve and no load-time probing: with assumptions, presolve cost 3–20×
the search on these models and probing half of what remained (docs/c2m-configurator.md), and two shared cores
leave nothing for a portfolio.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from zhizao.c2m.product.compiled import Cardinality, Clause, CompiledModel, Constraint, is_positive, variable

FEASIBILITY_TIME_LIMIT_S = 5.0
OPTIMISATION_TIME_LIMIT_S = 10.0


@dataclass(frozen=True, slots=True)
class SatModel:
    model: cp_model.CpModel
    rule_literals: dict[str, int] = field(default_factory=dict)  # rule id → literal index (explaining model only)


@dataclass(frozen=True, slots=True)
class Answer:
    feasible: bool | None  # None: time ran out before an answer
    values: tuple[int, ...] = ()  # the options' values (0/1) when feasible
    core: tuple[int, ...] = ()  # assumption literals sufficient for infeasibility
    objective: int | None = None
    optimal: bool = False


def build(compiled: CompiledModel, *, explaining: bool) -> SatModel:
    model = cp_model.CpModel()
    choice = [model.new_bool_var(code) for code in compiled.codes]
    rule_literals: dict[str, int] = {}
    guards: dict[str, cp_model.IntVar] = {}
    if explaining:
        for rule_id in compiled.rule_ids:
            guards[rule_id] = model.new_bool_var(f"rule {rule_id}")
            rule_literals[rule_id] = guards[rule_id].index
    for constraint in compiled.constraints:
        added = _add(model, choice, constraint)
        if explaining:
            added.only_enforce_if(guards[constraint.rule_id])
    return SatModel(model, rule_literals)


def _add(model: cp_model.CpModel, choice: list[cp_model.IntVar], constraint: Constraint) -> cp_model.Constraint:
    if isinstance(constraint, Clause):
        return model.add_bool_or([_literal(choice, literal) for literal in constraint.literals])
    if isinstance(constraint, Cardinality):
        total = cp_model.LinearExpr.sum([choice[var] for var in constraint.variables])
        return model.add_linear_constraint(total, constraint.low, constraint.high)
    total = cp_model.LinearExpr.weighted_sum(
        [choice[var] for var, _coefficient in constraint.terms],
        [coefficient for _var, coefficient in constraint.terms],
    )
    low = constraint.low if constraint.low is not None else cp_model.INT_MIN
    high = constraint.high if constraint.high is not None else cp_model.INT_MAX
    added = model.add_linear_constraint(total, low, high)
    if constraint.when:
        added.only_enforce_if([choice[var] for var in constraint.when])
    return added


def _literal(choice: list[cp_model.IntVar], literal: int) -> cp_model.LiteralT:
    var = choice[variable(literal)]
    return var if is_positive(literal) else ~var


def literal_index(var: int, chosen: bool = True) -> int:
    """CP-SAT's index of "option ``var`` is chosen" (or not): options are the first variables of both models."""
    return var if chosen else -var - 1


_counter = threading.local()


def calls() -> int:
    """CP-SAT solves made by this thread so far (a step reports how many it needed)."""
    return getattr(_counter, "calls", 0)


def ask(
    sat: SatModel,
    options: int,
    *,
    assumptions: Sequence[int] = (),
    at_least_one_of: Sequence[int] = (),
    prefer: Sequence[int] = (),
    minimise: Sequence[tuple[int, int]] = (),
    time_limit_s: float = FEASIBILITY_TIME_LIMIT_S,
) -> Answer:
    """Solve a clone of ``sat`` under ``assumptions`` (literal indices); optionally with some of
    ``at_least_one_of`` chosen, or minimising Σ coefficient × option over ``minimise`` (var, coefficient)."""
    model = sat.model.clone()
    proto = model.proto
    if at_least_one_of:
        model.add_bool_or([model.get_bool_var_from_proto_index(var) for var in at_least_one_of])
    if prefer:
        # Branch on these first, chosen first: a greedy answer with as many of them as the rules allow.
        preferred = [model.get_bool_var_from_proto_index(var) for var in prefer]
        model.add_decision_strategy(preferred, cp_model.CHOOSE_FIRST, cp_model.SELECT_MAX_VALUE)
    if minimise:
        model.minimize(sum(coefficient * model.get_bool_var_from_proto_index(var) for var, coefficient in minimise))
    proto.assumptions.extend(assumptions)
    _counter.calls = calls() + 1
    solver = cp_model.CpSolver()
    parameters = solver.parameters
    parameters.num_workers = 1
    parameters.max_time_in_seconds = time_limit_s
    if not minimise or assumptions:
        parameters.cp_model_presolve = False
        parameters.linearization_level = 0
        parameters.symmetry_level = 0
        # Probing when the model is loaded cost half of each solve on the benchmark model.
        parameters.cp_model_probing_level = 0
    if prefer:
        parameters.search_branching = cp_model.FIXED_SEARCH
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solution = solver.response_proto.solution
        values = tuple(solution[var] for var in range(options))
        objective = round(solver.objective_value) if minimise else None
        return Answer(True, values, objective=objective, optimal=status == cp_model.OPTIMAL)
    if status == cp_model.INFEASIBLE:
        core = tuple(solver.sufficient_assumptions_for_infeasibility()) if assumptions else ()
        return Answer(False, core=core)
    return Answer(None)


def shrink_core(sat: SatModel, options: int, core: Sequence[int], *, budget: int) -> tuple[int, ...]:
    """Deletion-based shrinking of an infeasible set of assumptions: drop each literal that the rest still proves
    infeasible without, within ``budget`` solves. With an unlimited budget the result is minimal (every literal
    in it is needed)."""
    kept = list(core)
    position = 0
    while position < len(kept) and budget > 0:
        trial = kept[:position] + kept[position + 1 :]
        budget -= 1
        answer = ask(sat, options, assumptions=trial)
        if answer.feasible is False:
            # The new core may be smaller still; keep its order, which is the order of ``kept``.
            smaller = set(answer.core) if answer.core else set(trial)
            kept = [literal for literal in trial if literal in smaller]
        else:
            position += 1
    return tuple(kept)
