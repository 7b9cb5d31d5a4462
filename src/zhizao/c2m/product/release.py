"""Before a version is released, and when an order arrives.

``check_release(model, previous)`` finds what would make a version wrong to release:

- conflicting rules: no valid configuration exists at all; the report names a minimal conflicting set (each rule
  in it is needed for the conflict), found by shrinking CP-SAT's core one deletion at a time;
- dead options: options no valid configuration can contain, each with the rules that rule it out;
- discontinued options still required by a rule (an error) or still mentioned by one (a warning);
- a version that is not newer than the released one, or of another model; options that disappeared instead of
  being discontinued (a warning: old orders refer to them).

``validate_order(model, version, chosen)`` refuses an order made on an older version, one with a discontinued or
unknown option, and one that breaks a rule — each as an ``InputError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from zhizao.c2m.product.configurator import Configurator
from zhizao.c2m.product.explain import Explanation
from zhizao.c2m.product.model import ExactlyOne, Excludes, Frozen, Numeric, ProductModel, Requires
from zhizao.c2m.product.results import ConfigurationRefused, OptionState
from zhizao.c2m.product.rules import known_selection, violations
from zhizao.errors import FieldProblem, InputError

# Enough deletion solves to make the conflicting set minimal for any model of a realistic size.
MINIMAL_CONFLICT_BUDGET = 10_000


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class IssueKind(StrEnum):
    CONFLICTING_RULES = "conflicting_rules"
    DEAD_OPTION = "dead_option"
    DISCONTINUED_REQUIRED = "discontinued_required"
    DISCONTINUED_MENTIONED = "discontinued_mentioned"
    VERSION_NOT_NEWER = "version_not_newer"
    OTHER_MODEL = "other_model"
    OPTION_REMOVED = "option_removed"


class ReleaseIssue(Frozen):
    kind: IssueKind
    severity: Severity
    field: str  # where in the model: ``families.3.options.2``, ``rules.7.any_of.1``, ``version``
    subject: str  # the option code, rule id or version concerned
    message: str
    reasons: tuple[Explanation, ...] = ()


class ReleaseReport(Frozen):
    code: str
    version: int
    issues: tuple[ReleaseIssue, ...]

    @property
    def releasable(self) -> bool:
        return not any(issue.severity is Severity.ERROR for issue in self.issues)


def check_release(model: ProductModel, previous: ProductModel | None = None) -> ReleaseReport:
    issues = _against_previous(model, previous) + _discontinued_in_rules(model)
    configurator = Configurator(model)
    if not configurator.check([]).valid:
        rules, _choices = configurator.from_core([], exclude=None, budget=MINIMAL_CONFLICT_BUDGET)
        names = ", ".join(explanation.rule_id for explanation in rules)
        issues.append(
            ReleaseIssue(
                kind=IssueKind.CONFLICTING_RULES,
                severity=Severity.ERROR,
                field="rules",
                subject=names,
                message=f"no configuration satisfies every rule; these conflict: {names}",
                reasons=rules,
            )
        )
        return ReleaseReport(code=model.code, version=model.version, issues=tuple(issues))
    paths = _option_paths(model)
    for status in configurator.step([]).options:
        if status.state is OptionState.UNAVAILABLE and not model.options[status.code].discontinued:
            why = "; ".join(reason.message for reason in status.reasons)
            issues.append(
                ReleaseIssue(
                    kind=IssueKind.DEAD_OPTION,
                    severity=Severity.ERROR,
                    field=paths[status.code],
                    subject=status.code,
                    message=f"{model.label(status.code)} is in no valid configuration: {why}",
                    reasons=status.reasons,
                )
            )
    return ReleaseReport(code=model.code, version=model.version, issues=tuple(issues))


def ensure_releasable(model: ProductModel, previous: ProductModel | None = None, *, root: str = "body") -> None:
    """``InputError`` naming every error of ``check_release`` (warnings do not stop a release)."""
    report = check_release(model, previous)
    errors = [issue for issue in report.issues if issue.severity is Severity.ERROR]
    if errors:
        fields = [FieldProblem(f"{root}.{issue.field}" if root else issue.field, issue.message) for issue in errors]
        summary = "; ".join(problem.message for problem in fields[:3])
        raise InputError(f"{model.code} version {model.version} cannot be released: {summary}", fields=fields)


class ValidatedOrder(Frozen):
    code: str
    version: int
    chosen: tuple[str, ...]  # in model order
    price: Decimal


def validate_order(model: ProductModel, version: int, chosen: Iterable[str], *, root: str = "body") -> ValidatedOrder:
    """An order for ``model`` (the current version) of a configuration made on ``version``."""
    if version < model.version:
        raise InputError.for_field(
            f"{root}.version",
            f"the configuration was made on version {version} of {model.code}; version {model.version} is current: "
            "configure it again",
        )
    if version > model.version:
        raise InputError.for_field(f"{root}.version", f"{model.code} has no version {version}")
    codes = list(chosen)
    selected = known_selection(model, codes, field=f"{root}.chosen")
    discontinued = [
        FieldProblem(f"{root}.chosen.{index}", f"{model.label(code)} is discontinued and can no longer be ordered")
        for index, code in enumerate(codes)
        if model.options[code].discontinued
    ]
    if discontinued:
        raise InputError("; ".join(problem.message for problem in discontinued), fields=discontinued)
    broken = violations(model, selected)
    if broken:
        raise ConfigurationRefused(
            "the configuration breaks the model's rules: " + "; ".join(violation.message for violation in broken),
            field=f"{root}.chosen",
            explanations=broken,
        )
    ordered = tuple(code for code in model.options if code in selected)
    return ValidatedOrder(code=model.code, version=model.version, chosen=ordered, price=model.price_of(selected))


def _against_previous(model: ProductModel, previous: ProductModel | None) -> list[ReleaseIssue]:
    if previous is None:
        return []
    if previous.code != model.code:
        message = f"the released model is {previous.code}, not {model.code}"
        return [
            ReleaseIssue(
                kind=IssueKind.OTHER_MODEL, severity=Severity.ERROR, field="code", subject=model.code, message=message
            )
        ]
    issues = []
    if model.version <= previous.version:
        issues.append(
            ReleaseIssue(
                kind=IssueKind.VERSION_NOT_NEWER,
                severity=Severity.ERROR,
                field="version",
                subject=str(model.version),
                message=f"version {model.version} is not newer than the released version {previous.version}",
            )
        )
    for code in previous.options:
        if code not in model.options:
            issues.append(
                ReleaseIssue(
                    kind=IssueKind.OPTION_REMOVED,
                    severity=Severity.WARNING,
                    field="families",
                    subject=code,
                    message=f"{previous.label(code)} was removed; mark it discontinued instead so that orders of "
                    "earlier versions still read",
                )
            )
    return issues


def _discontinued_in_rules(model: ProductModel) -> list[ReleaseIssue]:
    issues = []
    for index, rule in enumerate(model.rules):
        required: list[tuple[str, str]] = []  # (field, code)
        mentioned: list[tuple[str, str]] = []
        if isinstance(rule, Requires):
            required += [(f"rules.{index}.any_of.{position}", code) for position, code in enumerate(rule.any_of)]
            mentioned.append((f"rules.{index}.option", rule.option))
        elif isinstance(rule, Excludes):
            mentioned.append((f"rules.{index}.option", rule.option))
            mentioned += [(f"rules.{index}.options.{position}", code) for position, code in enumerate(rule.options)]
        elif isinstance(rule, ExactlyOne):
            required += [(f"rules.{index}.options.{position}", code) for position, code in enumerate(rule.options)]
        elif isinstance(rule, Numeric):
            mentioned += [(f"rules.{index}.when.{position}", code) for position, code in enumerate(rule.when)]
        else:
            mentioned += [(f"rules.{index}.options.{position}", code) for position, code in enumerate(rule.options)]
        for field, code in required:
            if model.options[code].discontinued:
                issues.append(
                    ReleaseIssue(
                        kind=IssueKind.DISCONTINUED_REQUIRED,
                        severity=Severity.ERROR,
                        field=field,
                        subject=code,
                        message=f"rule {rule.id} still requires discontinued {model.label(code)}: remove it from the "
                        "rule",
                    )
                )
        for field, code in mentioned:
            if model.options[code].discontinued:
                issues.append(
                    ReleaseIssue(
                        kind=IssueKind.DISCONTINUED_MENTIONED,
                        severity=Severity.WARNING,
                        field=field,
                        subject=code,
                        message=f"rule {rule.id} mentions discontinued {model.label(code)}",
                    )
                )
    return issues


def _option_paths(model: ProductModel) -> dict[str, str]:
    return {
        option.code: f"families.{family_index}.options.{option_index}"
        for family_index, family in enumerate(model.families)
        for option_index, option in enumerate(family.options)
    }
