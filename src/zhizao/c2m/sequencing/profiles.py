"""Classes that need exactly the same options are interchangeable: the solvers see one "profile" for each set of
options (a symmetry removed: 39 of the 70 200-car instances repeat a set of options), and the sequence found is
turned back into classes afterwards, any car of a profile going to any of its classes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zhizao.c2m.sequencing.instance import CarClass, Instance


@dataclass(frozen=True, slots=True)
class Profiles:
    merged: Instance  # one class per set of options, numbered 0…; counts summed
    members: tuple[tuple[int, ...], ...]  # per profile, the positions of its classes in the original instance


def merge_profiles(instance: Instance) -> Profiles:
    members: dict[tuple[bool, ...], list[int]] = {}
    for position, car_class in enumerate(instance.classes):
        members.setdefault(car_class.options, []).append(position)
    merged = tuple(
        CarClass(index=number, count=sum(instance.classes[c].count for c in positions), options=options)
        for number, (options, positions) in enumerate(members.items())
    )
    return Profiles(
        merged=Instance(name=instance.name, n_cars=instance.n_cars, rules=instance.rules, classes=merged),
        members=tuple(tuple(positions) for positions in members.values()),
    )


def expand(instance: Instance, profiles: Profiles, profile_sequence: Sequence[int]) -> list[int]:
    """Class positions (in ``instance``) for a sequence of profiles: each profile's cars go to its classes in turn."""
    queues = [[c for c in positions for _ in range(instance.classes[c].count)] for positions in profiles.members]
    cursor = [0] * len(queues)
    result = []
    for profile in profile_sequence:
        result.append(queues[profile][cursor[profile]])
        cursor[profile] += 1
    return result


def contract(profiles: Profiles, class_positions: Sequence[int]) -> list[int]:
    """The profile sequence of a sequence of class positions (e.g. a hint given in classes)."""
    profile_of = {c: profile for profile, positions in enumerate(profiles.members) for c in positions}
    return [profile_of[c] for c in class_positions]
