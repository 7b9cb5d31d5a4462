"""A valid configuration exploded into what to build it from and how: the super-BOM lines whose usage condition
holds, and the routing operations with their option-dependent times. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

from zhizao.c2m.product.condition import parse_condition
from zhizao.c2m.product.model import Frozen, ProductModel, Text
from zhizao.c2m.product.results import ConfigurationRefused
from zhizao.c2m.product.rules import known_selection, violations


class BomItem(Frozen):
    position: int
    part_number: str
    description: Text
    quantity: Decimal
    unit: Literal["pcs", "kg", "m", "l", "set"]


class RoutingStep(Frozen):
    sequence: int
    code: str
    name: Text
    equipment_type: str
    minutes: Decimal
    # The chosen options that added time to this operation.
    options: tuple[str, ...] = ()


class Explosion(Frozen):
    chosen: tuple[str, ...]  # in model order
    bom: tuple[BomItem, ...]
    routing: tuple[RoutingStep, ...]

    def parts(self) -> dict[str, Decimal]:
        """Quantity per part number over all lines (a part may sit on several lines)."""
        totals: dict[str, Decimal] = {}
        for item in self.bom:
            totals[item.part_number] = totals.get(item.part_number, Decimal(0)) + item.quantity
        return totals

    def minutes_by_equipment(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for step in self.routing:
            totals[step.equipment_type] = totals.get(step.equipment_type, Decimal(0)) + step.minutes
        return totals


def explode(model: ProductModel, chosen: Iterable[str], *, field: str = "body.chosen") -> Explosion:
    """The BOM and routing of a complete, valid configuration; ``ConfigurationRefused`` for an invalid one."""
    selected = known_selection(model, chosen, field=field)
    broken = violations(model, selected)
    if broken:
        raise ConfigurationRefused("the configuration breaks the model's rules", field=field, explanations=broken)
    items = tuple(
        BomItem(
            position=line.position,
            part_number=line.part_number,
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
        )
        for line in sorted(model.bom, key=lambda line: line.position)
        if line.condition is None or parse_condition(line.condition).holds(selected)
    )
    steps = []
    for operation in sorted(model.routing, key=lambda operation: operation.sequence):
        if operation.condition is not None and not parse_condition(operation.condition).holds(selected):
            continue
        extras = [extra for extra in operation.extra_minutes if extra.option in selected]
        steps.append(
            RoutingStep(
                sequence=operation.sequence,
                code=operation.code,
                name=operation.name,
                equipment_type=operation.equipment_type,
                minutes=operation.base_minutes + sum((extra.minutes for extra in extras), Decimal(0)),
                options=tuple(extra.option for extra in extras),
            )
        )
    ordered = tuple(code for code in model.options if code in selected)
    return Explosion(chosen=ordered, bom=items, routing=tuple(steps))
