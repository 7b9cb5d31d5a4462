"""Alarm rules: what makes an alarm, as strict Pydantic v2 models. Pure data and validation.

Four kinds, told apart by ``kind``:

=================  ========================================================================================
kind               condition
=================  ========================================================================================
``threshold``      the value is at or beyond ``setpoint`` (``limit``: high-high, high, low, low-low — one rule
                   each, with its own severity); it clears once the value is back past setpoint ∓ ``deadband``
``rate_of_change`` |Δvalue / Δt| over the last ``window_s`` seconds is above ``limit`` per second or per minute
``state_equals``   the value is one of ``values`` (e.g. MachineryItemState = OutOfService, or "ERROR")
``stale``          no sample for ``stale_after_s`` seconds (noticed on the engine's clock ticks)
=================  ========================================================================================

The first three take an on-delay (the condition must hold that long before the alarm activates) and an off-delay
(it must be clear that long before the alarm clears). Numbers are strict (``"5"`` is not 5); enumerations accept
their values, so a rule reads from JSON or from a form's dict alike. ``parse_rule`` / ``parse_rule_set`` turn
validation failures into an ``InputError`` with one ``FieldProblem`` per wrong field.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from zhizao.errors import FieldProblem, InputError, plain_message

MAX_DELAY_S = 3600.0  # on/off delays are seconds to minutes in practice; an hour is a mistake
MAX_RATE_WINDOW_S = 3600.0
MAX_STALE_AFTER_S = 7 * 86_400.0
MAX_STATE_VALUES = 32
RULE_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"


class Priority(IntEnum):
    """ISA-18.2 alarm priority: 1 is the most urgent (the operator answers it first)."""

    URGENT = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4


class Severity(StrEnum):
    """How bad the consequence of not answering is; it sets the alarm's priority."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def priority(self) -> Priority:
        return SEVERITY_PRIORITY[self]


SEVERITY_PRIORITY: dict[Severity, Priority] = {
    Severity.CRITICAL: Priority.URGENT,
    Severity.HIGH: Priority.HIGH,
    Severity.MEDIUM: Priority.MEDIUM,
    Severity.LOW: Priority.LOW,
}


class RuleKind(StrEnum):
    THRESHOLD = "threshold"
    RATE_OF_CHANGE = "rate_of_change"
    STATE_EQUALS = "state_equals"
    STALE = "stale"


class LimitKind(StrEnum):
    HIGH_HIGH = "high_high"
    HIGH = "high"
    LOW = "low"
    LOW_LOW = "low_low"

    @property
    def is_high(self) -> bool:
        return self in (LimitKind.HIGH_HIGH, LimitKind.HIGH)


class RateUnit(StrEnum):
    PER_SECOND = "per_second"
    PER_MINUTE = "per_minute"

    @property
    def seconds(self) -> float:
        return 1.0 if self is RateUnit.PER_SECOND else 60.0


class RateDirection(StrEnum):
    RISING = "rising"
    FALLING = "falling"
    EITHER = "either"


Finite = Annotated[float, Field(allow_inf_nan=False)]
Delay = Annotated[float, Field(ge=0, le=MAX_DELAY_S, allow_inf_nan=False)]
StateValue = StrictBool | StrictInt | Annotated[StrictStr, Field(min_length=1, max_length=200)]


class _RuleBase(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100, pattern=RULE_ID_PATTERN)
    signal_id: int = Field(gt=0)
    # The equipment the signal measures, for grouping and display (e.g. its state signal's alarms).
    equipment_id: int | None = Field(default=None, gt=0)
    severity: Annotated[Severity, Field(strict=False)]
    message: str | None = Field(default=None, min_length=1, max_length=200)


class _DelayedRule(_RuleBase):
    on_delay_s: Delay = 0.0
    off_delay_s: Delay = 0.0


class ThresholdRule(_DelayedRule):
    """Active while the value is at or beyond ``setpoint``; clears when it is back past setpoint ∓ ``deadband``.

    ``range_min`` / ``range_max``: the signal's engineering range, optional; when given, the setpoint lies in it
    and the deadband is smaller than its span.
    """

    kind: Literal["threshold"] = "threshold"
    limit: Annotated[LimitKind, Field(strict=False)]
    range_min: Finite | None = None
    range_max: Finite | None = Field(default=None, validate_default=True)
    setpoint: Finite
    deadband: Finite = Field(default=0.0, ge=0)

    @field_validator("range_max")
    @classmethod
    def _range_is_ordered(cls, range_max: float | None, info: ValidationInfo) -> float | None:
        range_min = info.data.get("range_min")
        if (range_min is None) != (range_max is None) and "range_min" in info.data:
            raise ValueError("give both ends of the range, or neither")
        if range_min is not None and range_max is not None and range_max <= range_min:
            raise ValueError("must be above range_min")
        return range_max

    @field_validator("setpoint")
    @classmethod
    def _setpoint_in_range(cls, setpoint: float, info: ValidationInfo) -> float:
        low, high = info.data.get("range_min"), info.data.get("range_max")
        if low is not None and high is not None and not low <= setpoint <= high:
            raise ValueError(f"must lie within the range {low:g} … {high:g}")
        return setpoint

    @field_validator("deadband")
    @classmethod
    def _deadband_below_span(cls, deadband: float, info: ValidationInfo) -> float:
        low, high = info.data.get("range_min"), info.data.get("range_max")
        if low is not None and high is not None and deadband >= high - low:
            raise ValueError(f"must be smaller than the span of the range ({high - low:g})")
        return deadband

    def reached(self, value: float) -> bool:
        """The value is at or beyond the setpoint: the condition becomes true."""
        return value >= self.setpoint if self.limit.is_high else value <= self.setpoint

    def cleared(self, value: float) -> bool:
        """The value is back past the deadband: the condition becomes false."""
        if self.limit.is_high:
            return value < self.setpoint - self.deadband
        return value > self.setpoint + self.deadband


class RateOfChangeRule(_DelayedRule):
    """Active while |Δvalue / Δt| over the last ``window_s`` seconds exceeds ``limit`` (per second or minute)."""

    kind: Literal["rate_of_change"] = "rate_of_change"
    limit: Finite = Field(gt=0)
    per: Annotated[RateUnit, Field(strict=False)] = RateUnit.PER_SECOND
    window_s: float = Field(gt=0, le=MAX_RATE_WINDOW_S, allow_inf_nan=False)
    direction: Annotated[RateDirection, Field(strict=False)] = RateDirection.EITHER

    def exceeded(self, rate_per_second: float) -> bool:
        rate = rate_per_second * self.per.seconds
        if self.direction is RateDirection.RISING:
            return rate > self.limit
        if self.direction is RateDirection.FALLING:
            return -rate > self.limit
        return abs(rate) > self.limit


class StateEqualsRule(_DelayedRule):
    """Active while the value is one of ``values``. Numbers (and booleans, as 0/1) compare by value, so a state
    code 1 matches a sample 1.0; text compares exactly."""

    kind: Literal["state_equals"] = "state_equals"
    values: tuple[StateValue, ...] = Field(min_length=1, max_length=MAX_STATE_VALUES, strict=False)  # a list too

    @field_validator("values", mode="before")
    @classmethod
    def _values_plain(cls, values: object) -> object:
        """One clear problem for a wrong item, instead of one per member of the union."""
        if isinstance(values, list | tuple) and not all(isinstance(item, bool | int | str) for item in values):
            raise ValueError("each value must be a whole number, a boolean or text")
        return values

    @field_validator("values")
    @classmethod
    def _values_unique(cls, values: tuple[bool | int | str, ...]) -> tuple[bool | int | str, ...]:
        if len(set(values)) != len(values):
            raise ValueError("values repeat")
        return values


class StaleRule(_RuleBase):
    """Active while no sample has come for ``stale_after_s`` seconds; clears with the next sample."""

    kind: Literal["stale"] = "stale"
    stale_after_s: float = Field(gt=0, le=MAX_STALE_AFTER_S, allow_inf_nan=False)


AlarmRule = Annotated[
    ThresholdRule | RateOfChangeRule | StateEqualsRule | StaleRule,
    Field(discriminator="kind"),
]
DelayedRule = ThresholdRule | RateOfChangeRule | StateEqualsRule

_RULE_ADAPTER: TypeAdapter[AlarmRule] = TypeAdapter(AlarmRule)
_RULES_ADAPTER: TypeAdapter[list[AlarmRule]] = TypeAdapter(list[AlarmRule])

# The order of threshold limits on one signal, from the top: high-high > high > low > low-low.
_LIMIT_ORDER = (LimitKind.HIGH_HIGH, LimitKind.HIGH, LimitKind.LOW, LimitKind.LOW_LOW)


def parse_rule(data: object) -> AlarmRule:
    """One rule from a dict (a form, a decoded JSON body); InputError with field-level problems if it is wrong."""
    try:
        return _RULE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InputError("the alarm rule is not valid", fields=_problems(exc, in_list=False)) from None


def parse_rule_set(data: object) -> list[AlarmRule]:
    """A list of rules, each valid, with unique ids, at most one rule per (signal, threshold limit), and the
    threshold setpoints of one signal in order (high-high > high > low > low-low)."""
    try:
        rules = _RULES_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InputError("the alarm rules are not valid", fields=_problems(exc, in_list=True)) from None
    problems = rule_set_problems(rules)
    if problems:
        raise InputError("the alarm rules are not valid", fields=problems)
    return rules


def rule_set_problems(rules: Sequence[AlarmRule]) -> list[FieldProblem]:
    """What is wrong with a set of individually valid rules taken together."""
    problems: list[FieldProblem] = []
    seen_ids: set[str] = set()
    limits: dict[tuple[int, LimitKind], tuple[int, float]] = {}
    for index, rule in enumerate(rules):
        if rule.id in seen_ids:
            problems.append(FieldProblem(f"[{index}].id", f"the id {rule.id!r} is used by another rule"))
        seen_ids.add(rule.id)
        if isinstance(rule, ThresholdRule):
            key = (rule.signal_id, rule.limit)
            if key in limits:
                problems.append(
                    FieldProblem(f"[{index}].limit", f"signal {rule.signal_id} already has a {rule.limit.value} rule")
                )
            else:
                limits[key] = (index, rule.setpoint)
    for signal_id in sorted({signal for signal, _ in limits}):
        present = [(limit, *limits[(signal_id, limit)]) for limit in _LIMIT_ORDER if (signal_id, limit) in limits]
        for (upper, _, upper_sp), (lower, index, lower_sp) in itertools.pairwise(present):
            if lower_sp >= upper_sp:
                problems.append(
                    FieldProblem(
                        f"[{index}].setpoint",
                        f"the {lower.value} setpoint must be below the {upper.value} setpoint ({upper_sp:g})",
                    )
                )
    return problems


def _problems(exc: ValidationError, *, in_list: bool) -> list[FieldProblem]:
    """Pydantic's errors as field problems, without the location parts that are not fields: the union's tag
    (``threshold``), and in a list the index, which becomes a ``[i].`` prefix."""
    problems = []
    for error in exc.errors():
        location = list(error["loc"])
        prefix = f"[{location.pop(0)}]" if in_list and location and isinstance(location[0], int) else ""
        if location and location[0] in RuleKind._value2member_map_:
            location.pop(0)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            location = ["kind"]
        path = ".".join(str(part) for part in location)
        problems.append(
            FieldProblem(f"{prefix}.{path}" if prefix and path else prefix or path, plain_message(error["msg"]))
        )
    return problems
