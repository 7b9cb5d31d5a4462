"""The configurator: one product version compiled once (CP-SAT models, propagator), answering three questions.

- ``check(chosen)``: can these choices be completed to a valid configuration (or, ``complete=True``: are they one)?
  If not, which rules (and which of the choices) are in conflict.
- ``step(chosen)``: for every option, is it still selectable, implied, or greyed out — and if greyed out, why.
  See ``greying.py`` for how that stays fast.
- ``complete(chosen)``: the cheapest valid configuration containing the choices, or ``ConfigurationRefused``.

``configurator_for(model)`` keeps compiled versions by (code, version); a different model under the same code and
version (a draft being edited) replaces its entry instead of being answered from a stale one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from decimal import Decimal

from zhizao.c2m.product import greying
from zhizao.c2m.product.compiled import compile_model
from zhizao.c2m.product.explain import Explanation, explanation_for
from zhizao.c2m.product.greying import CHECK_SHRINK_BUDGET
from zhizao.c2m.product.model import ProductModel
from zhizao.c2m.product.propagation import Conflict, Propagator
from zhizao.c2m.product.results import CheckResult, Completion, ConfigurationRefused, StepResult
from zhizao.c2m.product.rules import known_selection
from zhizao.c2m.product.solver import (
    FEASIBILITY_TIME_LIMIT_S,
    OPTIMISATION_TIME_LIMIT_S,
    Answer,
    SatModel,
    ask,
    build,
    literal_index,
    shrink_core,
)
from zhizao.errors import Unavailable

CACHE_SIZE = 32


class Configurator:
    """One product version, compiled: its constraints, a propagator holding what the model alone implies, and the
    CP-SAT models. Build it once per version (``configurator_for`` does) and ask it many questions."""

    def __init__(self, model: ProductModel) -> None:
        began = time.perf_counter()
        self.model = model
        self.compiled = compile_model(model)
        self.plain = build(self.compiled, explaining=False)
        self._explaining: SatModel | None = None
        self._lock = threading.Lock()
        self._explanations: dict[str, Explanation] = {}
        # Propagation of the model alone (discontinued options, forced families), copied by every question.
        self.root = Propagator(self.compiled)
        self.root_conflict = self.root.start()
        self.compile_s = time.perf_counter() - began

    @property
    def options(self) -> int:
        return len(self.compiled.codes)

    @property
    def explaining(self) -> SatModel:
        """The model with a literal per rule; built on first need, since valid selections never need it."""
        with self._lock:
            if self._explaining is None:
                self._explaining = build(self.compiled, explaining=True)
            return self._explaining

    def explanation(self, rule_id: str) -> Explanation:
        found = self._explanations.get(rule_id)
        if found is None:
            found = self._explanations[rule_id] = explanation_for(self.model, rule_id)
        return found

    def variables(self, chosen: Iterable[str], field: str) -> list[int]:
        return sorted(self.compiled.index[code] for code in known_selection(self.model, chosen, field=field))

    # -- the three questions ------------------------------------------------------------------------------------------

    def check(self, chosen: Iterable[str], *, complete: bool = False, field: str = "body.chosen") -> CheckResult:
        selected = self.variables(chosen, field)
        price = self.model.price_of({self.compiled.codes[var] for var in selected})
        if complete:
            return self._check_complete(selected, price)
        refusal = self.refusal(selected)
        if refusal is None:
            return CheckResult(valid=True, complete=False, price=price)
        explanations, because_of = refusal
        return CheckResult(valid=False, complete=False, violations=explanations, because_of=because_of, price=price)

    def step(self, chosen: Iterable[str], *, field: str = "body.chosen") -> StepResult:
        return greying.step(self, self.variables(chosen, field))

    def complete(self, chosen: Iterable[str], *, field: str = "body.chosen") -> Completion:
        selected = self.variables(chosen, field)
        prices = [(var, fen) for var, fen in enumerate(self.compiled.prices_fen) if fen]
        answer = ask(
            self.plain,
            self.options,
            assumptions=[literal_index(var) for var in selected],
            minimise=prices,
            time_limit_s=OPTIMISATION_TIME_LIMIT_S,
        )
        if answer.feasible is None:
            raise Unavailable(f"no configuration found within {OPTIMISATION_TIME_LIMIT_S:.0f} s")
        if not answer.feasible:
            refusal = self.refusal(selected)
            explanations = refusal[0] if refusal else ()
            reasons = "; ".join(explanation.message for explanation in explanations)
            raise ConfigurationRefused(
                f"no valid configuration contains these choices: {reasons}", field=field, explanations=explanations
            )
        codes = self.compiled.codes
        whole = tuple(codes[var] for var, value in enumerate(answer.values) if value)
        already = {codes[var] for var in selected}
        added = tuple(code for code in whole if code not in already)
        return Completion(chosen=whole, added=added, price=self.model.price_of(set(whole)), optimal=answer.optimal)

    # -- explanations -------------------------------------------------------------------------------------------------

    def refusal(self, selected: list[int]) -> tuple[tuple[Explanation, ...], tuple[str, ...]] | None:
        """None when the choices can be completed; else the rules in conflict and the choices behind it.
        Propagation answers most refusals with its own trace; a core of the explaining model answers the rest."""
        trial = self.root.copy()
        conflict: Conflict | None = self.root_conflict
        for var in selected:
            if conflict is not None:
                break
            conflict = trial.decide(var, True)
        if conflict is not None:
            return self.from_conflict(trial, conflict)
        assumptions = [literal_index(var) for var in selected]
        if _decided(ask(self.plain, self.options, assumptions=assumptions)).feasible:
            return None
        return self.from_core(selected, exclude=None, budget=CHECK_SHRINK_BUDGET)

    def from_conflict(
        self, propagator: Propagator, conflict: Conflict, *, exclude: int | None = None
    ) -> tuple[tuple[Explanation, ...], tuple[str, ...]]:
        trace = propagator.trace(conflict.antecedents, conflict.constraints)
        decisions = set(trace.decisions) | (set() if conflict.constraints else {conflict.antecedents[0]})
        return self.explained(
            [self.compiled.constraints[number].rule_id for number in trace.constraints], decisions, exclude
        )

    def from_core(
        self, decisions: list[int], *, exclude: int | None, budget: int
    ) -> tuple[tuple[Explanation, ...], tuple[str, ...]]:
        sat = self.explaining
        by_literal = {literal: rule_id for rule_id, literal in sat.rule_literals.items()}
        assumptions = [literal_index(var) for var in decisions] + list(by_literal)
        answer = _decided(ask(sat, self.options, assumptions=assumptions))
        if answer.feasible:
            raise AssertionError("the plain model refused what the explaining model accepts")
        core = shrink_core(sat, self.options, answer.core, budget=budget)
        rule_ids = [by_literal[literal] for literal in core if literal in by_literal]
        return self.explained(rule_ids, {literal for literal in core if 0 <= literal < self.options}, exclude)

    def explained(
        self, rule_ids: list[str], decisions: set[int], exclude: int | None
    ) -> tuple[tuple[Explanation, ...], tuple[str, ...]]:
        explanations = tuple(self.explanation(rule_id) for rule_id in dict.fromkeys(rule_ids))
        codes = self.compiled.codes
        because_of = tuple(codes[var] for var in sorted(decisions) if var != exclude)
        return explanations, because_of

    def _check_complete(self, selected: list[int], price: Decimal) -> CheckResult:
        chosen = set(selected)
        assumptions = [literal_index(var, var in chosen) for var in range(self.options)]
        if _decided(ask(self.plain, self.options, assumptions=assumptions)).feasible:
            return CheckResult(valid=True, complete=True, price=price)
        values = [var in chosen for var in range(self.options)]
        violations = tuple(self.explanation(rule_id) for rule_id in self.compiled.violated(values))
        return CheckResult(valid=False, complete=True, violations=violations, price=price)


def _decided(answer: Answer) -> Answer:
    if answer.feasible is None:
        raise Unavailable(f"the configurator found no answer within {FEASIBILITY_TIME_LIMIT_S:.0f} s")
    return answer


_cache: OrderedDict[tuple[str, int], Configurator] = OrderedDict()
_cache_lock = threading.Lock()


def configurator_for(model: ProductModel) -> Configurator:
    """The compiled configurator of ``model``, compiled on first use."""
    key = (model.code, model.version)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None and (found.model is model or found.model == model):
            _cache.move_to_end(key)
            return found
    made = Configurator(model)
    with _cache_lock:
        _cache[key] = made
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return made
