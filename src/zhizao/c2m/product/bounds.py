"""The least and most a numeric rule's sum can still reach, given the options decided so far, with what each bound
relies on (for explanations).

Options in single-choice families count once per family: with BAT_66 chosen, the battery family adds 66 kWh —
not "66 plus every battery not yet ruled out" — and the explanation is "BAT_66 and the family's bound", not the
reasons each other battery was ruled out (one of which may be a discontinued option that has nothing to do with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zhizao.c2m.product.compiled import Group, Linear

UNDECIDED = -1


@dataclass(slots=True)
class Bounds:
    least: int = 0
    most: int = 0
    least_because: list[int] = field(default_factory=list)  # decided options that raised ``least``
    most_because: list[int] = field(default_factory=list)  # decided options that lowered ``most``
    least_families: list[int] = field(default_factory=list)  # family constraints ``least`` relies on
    most_families: list[int] = field(default_factory=list)
    open_loose: list[tuple[int, int]] = field(default_factory=list)  # (option, coefficient)
    # (option, coefficient, family constraint, the family's share of ``most``, its share of ``least``)
    open_grouped: list[tuple[int, int, int, int, int]] = field(default_factory=list)


def bounds(linear: Linear, value: list[int]) -> Bounds:
    made = Bounds()
    for var, coefficient in linear.loose:
        current = value[var]
        if current == UNDECIDED:
            made.open_loose.append((var, coefficient))
            if coefficient > 0:
                made.most += coefficient
            else:
                made.least += coefficient
        elif current == 1:
            made.least += coefficient
            made.most += coefficient
            (made.least_because if coefficient > 0 else made.most_because).append(var)
        else:
            (made.most_because if coefficient > 0 else made.least_because).append(var)
    for group in linear.groups:
        _add_group(made, group, value)
    return made


def _add_group(made: Bounds, group: Group, value: list[int]) -> None:
    chosen = next(((var, coefficient) for var, coefficient in group.members if value[var] == 1), None)
    if chosen is not None:
        var, share = chosen
        made.least += share
        made.most += share
        others = [coefficient for member, coefficient in group.members if member != var]
        # The family's bound keeps the others out: it matters where one of them would have moved the bound.
        if share < 0 or any(coefficient > 0 for coefficient in others):
            made.most_because.append(var)
        if any(coefficient > 0 for coefficient in others):
            made.most_families.append(group.family)
        if share > 0 or any(coefficient < 0 for coefficient in others):
            made.least_because.append(var)
        if any(coefficient < 0 for coefficient in others):
            made.least_families.append(group.family)
        return
    open_members = [(var, coefficient) for var, coefficient in group.members if value[var] == UNDECIDED]
    refused = [(var, coefficient) for var, coefficient in group.members if value[var] == 0]
    candidates = [coefficient for _var, coefficient in open_members] + ([] if group.required else [0])
    highest = max(candidates, default=0)
    lowest = min(candidates, default=0)
    made.most += highest
    made.least += lowest
    made.most_because.extend(var for var, coefficient in refused if coefficient > highest)
    made.least_because.extend(var for var, coefficient in refused if coefficient < lowest)
    rising = sum(1 for _var, coefficient in open_members if coefficient > 0)
    falling = sum(1 for _var, coefficient in open_members if coefficient < 0)
    if rising >= 2 or (group.required and highest < 0):
        made.most_families.append(group.family)
    if falling >= 2 or (group.required and lowest > 0):
        made.least_families.append(group.family)
    made.open_grouped.extend((var, coefficient, group.family, highest, lowest) for var, coefficient in open_members)
