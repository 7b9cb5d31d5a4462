"""One configurator step as the consumer sees it: each family with its options — chosen, selectable, required by the
choices, or greyed out with the reasons worded in the page's language — the running price, and whether the choices
are a complete, valid configuration (then they can be ordered). The API and the page both show this.

A family of exactly one choice (a radio group) behaves as a switch: once a battery is chosen, every other battery
is ruled out by the family's own bound, which is no reason to grey it out — choosing it replaces the first. Such an
option is shown selectable unless another rule rules it out too. When the choices conflict, nothing is greyed out
(no option can be added to a conflict); the conflict and the choices behind it are shown instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from zhizao.c2m.product.configurator import configurator_for
from zhizao.c2m.product.explain import FAMILY_PREFIX
from zhizao.c2m.product.model import Family, ProductModel
from zhizao.c2m.product.results import OptionState, OptionStatus
from zhizao.c2m.wording import because_of, in_language, names, sentence


@dataclass(frozen=True)
class Reason:
    rule_id: str
    text: str  # in the page's language
    message: str  # the core's English sentence


@dataclass(frozen=True)
class OptionView:
    code: str
    name: str
    price: Decimal
    state: OptionState
    reasons: tuple[Reason, ...] = ()
    because_of: str = ""  # "because you chose …", in the page's language
    in_conflict: bool = False  # one of the chosen options behind a conflict

    @property
    def chosen(self) -> bool:
        return self.state is OptionState.CHOSEN


@dataclass(frozen=True)
class FamilyView:
    code: str
    name: str
    min_choices: int
    max_choices: int
    options: tuple[OptionView, ...]

    @property
    def single(self) -> bool:
        return self.max_choices == 1

    @property
    def mandatory(self) -> bool:
        return self.min_choices > 0

    @property
    def missing(self) -> bool:
        """Still needs a choice (counting options the rules already require)."""
        taken = sum(1 for option in self.options if option.state in (OptionState.CHOSEN, OptionState.REQUIRED))
        return taken < self.min_choices


@dataclass(frozen=True)
class ConfiguratorView:
    code: str
    name: str
    version: int
    base_price: Decimal
    chosen: tuple[str, ...]  # in model order
    price: Decimal
    valid: bool  # the choices can be completed
    complete: bool  # the choices are a whole valid configuration: it can be ordered
    conflict: tuple[Reason, ...]
    conflict_because_of: str
    families: tuple[FamilyView, ...]


def configurator_view(model: ProductModel, chosen: list[str], *, field: str = "body.chosen") -> ConfiguratorView:
    """The step for ``chosen`` (unknown codes: ``InputError`` naming the position under ``field``)."""
    configurator = configurator_for(model)
    step = configurator.step(chosen, field=field)
    statuses = {status.code: status for status in step.options}
    in_conflict = frozenset(step.because_of) if not step.valid else frozenset()
    families = tuple(
        FamilyView(
            code=family.code,
            name=in_language(family.name),
            min_choices=family.min_choices,
            max_choices=family.max_choices,
            options=tuple(
                _option(model, family, statuses[option.code], step.valid, in_conflict) for option in family.options
            ),
        )
        for family in model.families
    )
    picked = tuple(code for code in model.options if statuses[code].state is OptionState.CHOSEN)
    complete = (
        step.valid
        and not any(family.missing for family in families)
        and not any(status.state is OptionState.REQUIRED for status in step.options)
        and configurator.check(picked, complete=True, field=field).valid
    )
    return ConfiguratorView(
        code=model.code, name=in_language(model.name), version=model.version, base_price=model.base_price,
        chosen=picked, price=step.price, valid=step.valid, complete=complete,
        conflict=tuple(Reason(e.rule_id, sentence(model, e), e.message) for e in step.conflict),
        conflict_because_of=names(model, step.because_of), families=families,
    )  # fmt: skip


def _option(
    model: ProductModel, family: Family, status: OptionStatus, valid: bool, in_conflict: frozenset[str]
) -> OptionView:
    option = model.options[status.code]
    state = status.state
    reasons = tuple(status.reasons)
    if state is OptionState.UNAVAILABLE and not option.discontinued:
        if not valid:
            state, reasons = OptionState.SELECTABLE, ()
        elif family.max_choices == 1:
            own = FAMILY_PREFIX + family.code
            reasons = tuple(reason for reason in reasons if reason.rule_id != own)
            if not reasons:
                state = OptionState.SELECTABLE
    if any(not reason.rule_id.startswith(FAMILY_PREFIX) for reason in reasons):
        # "Drive: choose exactly 1" only says a choice elsewhere stands in the way; "because you chose …" says which
        reasons = tuple(reason for reason in reasons if not reason.rule_id.startswith(FAMILY_PREFIX))
    shown = tuple(Reason(reason.rule_id, sentence(model, reason), reason.message) for reason in reasons)
    behind = [code for code in status.because_of if code != status.code] if state is OptionState.UNAVAILABLE else []
    return OptionView(
        code=option.code, name=in_language(option.name), price=option.price, state=state, reasons=shown,
        because_of=because_of(model, behind), in_conflict=option.code in in_conflict,
    )  # fmt: skip
