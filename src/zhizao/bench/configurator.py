"""``zhizao bench configurator``: the C2M configurator on a generated product model with 1,000+ options.

The model is generated from a seed, so runs compare: families of 4–16 options (exactly one, optional, or up to
three), requires / excludes / at-most-k rules, and numeric rules over option attributes. Every rule is drawn so that
a hidden reference configuration satisfies it, so the model always has valid configurations, yet the rules bite
(about half the requires rules are triggered by an option of the reference).

The benchmark compiles the model, then plays a consumer: each step asks for every option's state, and the next
choice is drawn from the options shown selectable. It reports the step times (p50, p95, max), how steps were
answered (CP-SAT calls, options greyed by propagation / probing / CP-SAT cores), and the cheapest completion.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from zhizao.bench import infra, report
from zhizao.c2m.product.configurator import Configurator
from zhizao.c2m.product.loading import parse_product_model
from zhizao.c2m.product.model import ProductModel
from zhizao.c2m.product.results import OptionState

STEP_TARGET_S = 0.200
ATTRIBUTES = ("battery_kwh", "power_kw", "mass_kg", "load_a")


@dataclass(frozen=True, slots=True)
class ConfiguratorBenchOptions:
    options: int = 1200
    steps: int = 50
    seed: int = 643


@dataclass(frozen=True, slots=True)
class ConfiguratorBenchResult:
    machine: str
    load_before: float | None
    options: int
    families: int
    rules: dict[str, int]
    seed: int
    compile_s: float
    steps: int
    step_p50_s: float
    step_p95_s: float
    step_max_s: float
    # Process CPU time per step: on a shared machine the wall time above also holds the waits for a core.
    step_cpu_p50_s: float
    step_cpu_p95_s: float
    first_step_s: float
    cp_sat_calls_mean: float
    cp_sat_calls_max: int
    greyed_by_propagation: int
    greyed_by_probing: int
    greyed_by_cp_sat: int
    unavailable_last_step: int
    check_s: float
    complete_empty_s: float
    complete_s: float
    complete_price: Decimal
    complete_optimal: bool
    notes: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.step_p95_s < STEP_TARGET_S

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "step_target_s": STEP_TARGET_S, "step_target_met": self.met}


def generate_model(options: int, seed: int) -> ProductModel:
    """A product model with ``options`` options in families of 4–16, and rules a hidden configuration satisfies."""
    rng = random.Random(seed)  # noqa: S311 - a seeded benchmark model, not cryptography
    families: list[dict[str, object]] = []
    reference: set[str] = set()
    codes_of: list[list[str]] = []
    attribute_of: dict[str, dict[str, int]] = {}
    made = 0
    while made < options:
        size = min(rng.randint(4, 16), options - made) if options - made >= 4 else options - made
        number = len(families)
        codes = [f"F{number:03d}_O{index:02d}" for index in range(size)]
        roll = rng.random()
        low, high = (1, 1) if roll < 0.5 else (0, 1) if roll < 0.8 else (0, min(3, size - 1) or 1)
        attribute = ATTRIBUTES[number % len(ATTRIBUTES)] if rng.random() < 0.15 else None
        entries = []
        for code in codes:
            attributes = {attribute: rng.randint(10, 100)} if attribute else {}
            attribute_of[code] = attributes
            price = Decimal(rng.choice((0, rng.randint(1, 400) * 50)))
            entries.append(
                {"code": code, "name": {"zh": code, "en": code}, "price": str(price), "attributes": attributes}
            )
        families.append(
            {
                "code": f"F{number:03d}",
                "name": {"zh": f"族{number}", "en": f"Family {number}"},
                "min_choices": low,
                "max_choices": high,
                "options": entries,
            }
        )
        reference.update(rng.sample(codes, rng.randint(low, high)))
        codes_of.append(codes)
        made += size
    everything = [code for codes in codes_of for code in codes]
    rules = _rules(rng, codes_of, everything, reference, attribute_of, options)
    data = {
        "code": "BENCH",
        "name": {"zh": "基准车型", "en": "Benchmark model"},
        "version": 1,
        "families": families,
        "rules": rules,
    }
    return parse_product_model(data, root="")


def _rules(
    rng: random.Random,
    codes_of: list[list[str]],
    everything: list[str],
    reference: set[str],
    attribute_of: dict[str, dict[str, int]],
    options: int,
) -> list[dict[str, object]]:
    family_of = {code: number for number, codes in enumerate(codes_of) for code in codes}
    rules: list[dict[str, object]] = []

    def other_family(code: str, count: int) -> list[str]:
        picked: list[str] = []
        while len(picked) < count:
            candidate = rng.choice(everything)
            if family_of[candidate] != family_of[code] and candidate not in picked:
                picked.append(candidate)
        return picked

    while sum(1 for rule in rules if rule["kind"] == "requires") < options // 4:
        option = rng.choice(sorted(reference)) if rng.random() < 0.5 else rng.choice(everything)
        targets = other_family(option, rng.randint(1, 3))
        if option not in reference or reference.intersection(targets):
            rules.append({"kind": "requires", "id": f"REQ{len(rules)}", "option": option, "any_of": targets})
    while sum(1 for rule in rules if rule["kind"] == "excludes") < options // 4:
        option = rng.choice(everything)
        targets = other_family(option, rng.randint(1, 2))
        if option not in reference or not reference.intersection(targets):
            rules.append({"kind": "excludes", "id": f"EXC{len(rules)}", "option": option, "options": targets})
    while sum(1 for rule in rules if rule["kind"] == "at_most_k") < max(1, options // 30):
        members = rng.sample(everything, rng.randint(4, 6))
        k = rng.randint(1, 2)
        if len(reference.intersection(members)) <= k:
            rules.append({"kind": "at_most_k", "id": f"AMK{len(rules)}", "options": members, "k": k})
    carriers = [code for code in everything if attribute_of[code]]
    while carriers and sum(1 for rule in rules if rule["kind"] == "numeric") < max(1, options // 50):
        when = rng.choice(everything)
        attribute = next(iter(attribute_of[rng.choice(carriers)]))
        total = sum(attribute_of[code].get(attribute, 0) for code in reference)
        if when in reference and total == 0:
            continue
        bound = rng.randint(max(1, total // 2), max(1, total)) if when in reference else rng.randint(30, 150)
        rules.append(
            {
                "kind": "numeric",
                "id": f"NUM{len(rules)}",
                "when": [when],
                "terms": [{"attribute": attribute}],
                "at_least": bound,
            }
        )
    return rules


def run_configurator(
    options: ConfiguratorBenchOptions, progress: Callable[[int, int], None]
) -> ConfiguratorBenchResult:
    load_before = infra.load_average()
    model = generate_model(options.options, options.seed)
    began = time.perf_counter()
    configurator = Configurator(model)
    compile_s = time.perf_counter() - began
    rng = random.Random(options.seed + 1)  # noqa: S311 - the consumer's seeded choices
    chosen: list[str] = []
    times: list[float] = []
    cpu_times: list[float] = []
    calls: list[int] = []
    greyed = {"propagation": 0, "probing": 0, "cp_sat": 0}
    unavailable = 0
    notes: list[str] = []
    for number in range(options.steps):
        progress(number, options.steps)
        began, began_cpu = time.perf_counter(), time.process_time()
        result = configurator.step(chosen)
        times.append(time.perf_counter() - began)
        cpu_times.append(time.process_time() - began_cpu)
        calls.append(result.stats.cp_sat_calls)
        greyed["propagation"] += result.stats.by_propagation
        greyed["probing"] += result.stats.by_probing
        greyed["cp_sat"] += result.stats.by_cp_sat
        unavailable = sum(1 for status in result.options if status.state is OptionState.UNAVAILABLE)
        selectable = [status.code for status in result.options if status.state is OptionState.SELECTABLE]
        if not result.valid or not selectable:
            notes.append(f"the consumer ran out of selectable options after {number + 1} steps")
            break
        chosen.append(rng.choice(selectable))
    progress(options.steps, options.steps)
    began = time.perf_counter()
    configurator.check(chosen)
    check_s = time.perf_counter() - began
    began = time.perf_counter()
    configurator.complete([])
    complete_empty_s = time.perf_counter() - began
    began = time.perf_counter()
    completion = configurator.complete(chosen)
    complete_s = time.perf_counter() - began
    kinds: dict[str, int] = {}
    for rule in model.rules:
        kinds[rule.kind] = kinds.get(rule.kind, 0) + 1
    return ConfiguratorBenchResult(
        machine=infra.machine().describe(),
        load_before=load_before,
        options=len(model.options),
        families=len(model.families),
        rules=kinds,
        seed=options.seed,
        compile_s=compile_s,
        steps=len(times),
        step_p50_s=report.percentile(times, 0.5),
        step_p95_s=report.percentile(times, 0.95),
        step_max_s=max(times),
        step_cpu_p50_s=report.percentile(cpu_times, 0.5),
        step_cpu_p95_s=report.percentile(cpu_times, 0.95),
        first_step_s=times[0],
        cp_sat_calls_mean=sum(calls) / len(calls),
        cp_sat_calls_max=max(calls),
        greyed_by_propagation=greyed["propagation"],
        greyed_by_probing=greyed["probing"],
        greyed_by_cp_sat=greyed["cp_sat"],
        unavailable_last_step=unavailable,
        check_s=check_s,
        complete_empty_s=complete_empty_s,
        complete_s=complete_s,
        complete_price=completion.price,
        complete_optimal=completion.optimal,
        notes=notes,
    )
