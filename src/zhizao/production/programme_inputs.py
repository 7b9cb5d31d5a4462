"""What a programme-KPI verification is computed from: one window's measured and entered inputs. Pure data.

Counts and energy come from telemetry, labour hours, costs and deliveries are entered by the enterprise (by hand
or from the Excel template in ``programme_excel``). Every model is frozen and JSON-serialisable
(``model_dump(mode="json")``; Decimals become strings, so no money is ever turned into a float), so the result of a
verification can store exactly what it was computed from.

Windows are whole days, both ends inclusive: 2024-01-01 … 2024-03-31 is 91 days.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from zhizao.errors import FieldProblem, InputError
from zhizao.fields import NoNul

# GB/T 2589-2020 (综合能耗计算通则), appendix table of reference coefficients: electricity at its calorific
# equivalent value (当量值) is 0.1229 kgce/kWh — 860 kcal/kWh ÷ 7000 kcal/kgce = 0.12286, rounded as tabulated.
# The "equal value" (等价值), which charges the coal burnt at the power station, changes every year and is
# deliberately not used: a window's energy figure must not move because the grid's generation mix did.
ELECTRICITY_KGCE_PER_KWH = Decimal("0.1229")
KGCE_PER_TCE = Decimal(1000)

# Price indices are stated with the baseline's prices = 100 (the convention of China's statistical yearbooks).
PRICE_INDEX_BASE = Decimal(100)

MAX_AMOUNT = Decimal(10) ** 15  # no factory window costs more than a quadrillion yuan; larger is a typing error
MAX_COUNT = 10**12

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul]
Month = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
PositiveAmount = Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False)]


class CostCategory(StrEnum):
    MATERIALS = "materials"
    LABOUR = "labour"
    ENERGY = "energy"
    MAINTENANCE = "maintenance"
    OTHER = "other"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProductOutput(_Frozen):
    """One product's counts in a window (from telemetry counters) and the value that weighs it in the mix.

    ``reference_value`` is the product's standard time per unit in hours, or any other per-unit reference (a
    standard price, a standard weight) — used the same way in both windows; only ratios between products matter.
    """

    product: Code
    good: Count
    scrap: Count = 0
    rework: Count = 0
    reference_value: PositiveAmount

    @property
    def produced(self) -> int:
        return self.good + self.scrap + self.rework


class CostLine(_Frozen):
    """An operating cost in nominal CNY with the price index (baseline = 100) that deflates it."""

    category: CostCategory
    amount: Amount
    price_index: PositiveAmount
    month: Month | None = None  # the month it was booked in, when entered monthly


class Delivery(_Frozen):
    order_id: Code
    product: Code
    quantity: Annotated[int, Field(ge=1, le=MAX_COUNT)]
    order_date: date
    delivery_date: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.delivery_date < self.order_date:
            raise ValueError(f"order {self.order_id} is delivered before it was ordered")
        return self

    @property
    def days(self) -> int:
        """Order-to-delivery time in whole calendar days (delivered the day it was ordered: 0)."""
        return (self.delivery_date - self.order_date).days


class Coverage(_Frozen):
    """How much of the window telemetry saw: days with any data, and equipment that reported at all."""

    telemetry_days: Count
    equipment_reporting: Count
    equipment_total: Annotated[int, Field(ge=1, le=MAX_COUNT)]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.equipment_reporting > self.equipment_total:
            raise ValueError("more equipment reporting than equipment in total")
        return self


class WindowInputs(_Frozen):
    """Everything one window's KPIs are computed from. ``None`` or empty means "not entered", never zero."""

    start: date
    end: date
    products: tuple[ProductOutput, ...] = ()
    labour_hours: Amount | None = None
    costs: tuple[CostLine, ...] = ()
    energy_kwh: Amount | None = None
    deliveries: tuple[Delivery, ...] = ()
    coverage: Coverage

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end < self.start:
            raise ValueError("the window ends before it starts")
        if self.coverage.telemetry_days > self.days:
            raise ValueError(f"coverage counts {self.coverage.telemetry_days} days in a {self.days}-day window")
        _unique("product", [product.product for product in self.products])
        _unique("order", [delivery.order_id for delivery in self.deliveries])
        for delivery in self.deliveries:
            if not self.start <= delivery.delivery_date <= self.end:
                raise ValueError(f"order {delivery.order_id} is delivered outside the window")
        for line in self.costs:
            if line.month is not None and (_month_start(line.month) > self.end or _month_end(line.month) < self.start):
                raise ValueError(f"a {line.category} cost of {line.month} is outside the window")
        return self


def _unique(what: str, codes: list[str]) -> None:
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"{what} codes must be unique in a window: {', '.join(duplicates)}")


def _month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def _month_end(month: str) -> date:
    start = _month_start(month)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months_between(start: date, end: date) -> list[str]:
    """The months ("2024-01") that [start, end] touches, in order."""
    months: list[str] = []
    cursor = start.replace(day=1)
    while cursor <= end:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


class LabourMonth(_Frozen):
    month: Month
    hours: Amount


class EnteredWindow(_Frozen):
    """The entered part of one window, summed from monthly records: what ``WindowInputs`` takes."""

    labour_hours: Decimal
    costs: tuple[CostLine, ...]
    deliveries: tuple[Delivery, ...]


class EnteredRecords(_Frozen):
    """What an enterprise enters (or imports from Excel): labour hours and costs per month, and deliveries."""

    labour: tuple[LabourMonth, ...] = ()
    costs: tuple[CostLine, ...] = ()
    deliveries: tuple[Delivery, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _unique("labour month", [entry.month for entry in self.labour])
        _unique("order", [delivery.order_id for delivery in self.deliveries])
        keys = [f"{line.month}/{line.category}" for line in self.costs]
        _unique("cost month/category", keys)
        if any(line.month is None for line in self.costs):
            raise ValueError("every entered cost needs the month it was booked in")
        return self

    def for_window(self, start: date, end: date) -> EnteredWindow:
        """The window's labour hours, costs and deliveries; raises ``InputError`` naming each gap.

        Monthly figures cannot be split fairly inside a month, so the window must be whole months, and every
        month must have its labour hours and the same cost categories as the rest of the window (a category
        with no cost that month is entered as 0, so that a forgotten row never reads as a saving).
        """
        problems: list[FieldProblem] = []
        if start.day != 1:
            problems.append(FieldProblem("start", "a window of monthly figures must start on the 1st of a month"))
        if end != _month_end(f"{end.year:04d}-{end.month:02d}"):
            problems.append(FieldProblem("end", "a window of monthly figures must end on the last day of a month"))
        if end < start:
            problems.append(FieldProblem("end", "the window ends before it starts"))
        if problems:
            raise InputError("the window does not match the monthly records", fields=problems)
        months = months_between(start, end)
        hours = {entry.month: entry.hours for entry in self.labour}
        costs = [line for line in self.costs if line.month in months]
        categories = sorted({line.category for line in costs})
        booked = {(line.month, line.category) for line in costs}
        for month in months:
            if month not in hours:
                problems.append(FieldProblem(f"labour.{month}", "no labour hours entered for this month"))
            if not categories:
                problems.append(FieldProblem(f"costs.{month}", "no costs entered for this month"))
            problems.extend(
                FieldProblem(f"costs.{month}.{category}", f"no {category} cost entered (other months have one)")
                for category in categories
                if (month, category) not in booked
            )
        if problems:
            raise InputError(f"{len(problems)} gaps in the entered records for this window", fields=problems)
        return EnteredWindow(
            labour_hours=sum((hours[month] for month in months), Decimal(0)),
            costs=tuple(costs),
            deliveries=tuple(d for d in self.deliveries if start <= d.delivery_date <= end),
        )
