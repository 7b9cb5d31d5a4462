"""The greedy start: fill the line from the front, each time with the class that adds the fewest violations, ties
going to the class that uses the most of the stations' remaining capacity — the "dynamic sum of utilisation rates"
(DSU) of Gottlieb, Puchta & Solnon (2003), their best greedy rule. Cars that need the busiest options are placed
while there is still room to space them out."""

from __future__ import annotations

import random

from zhizao.c2m.sequencing.instance import Instance


def greedy_sequence(instance: Instance, rng: random.Random | None = None) -> list[int]:
    """Class positions (0 … n_classes-1) of a complete sequence; ``rng`` breaks exact ties at random."""
    n = instance.n_cars
    rules = instance.rules
    needs = [[o for o, flag in enumerate(car_class.options) if flag] for car_class in instance.classes]
    left = [car_class.count for car_class in instance.classes]
    option_left = [instance.demand(o) for o in range(instance.n_options)]
    # The option flags of the cars placed so far, per option, to count the window ending at the new car.
    placed: list[list[int]] = [[] for _ in rules]
    window_cars = [0] * len(rules)  # cars with the option among the last q-1 placed
    sequence: list[int] = []
    for position in range(n):
        remaining = n - position
        best: tuple[int, float, float] | None = None
        chosen = -1
        for c, options in enumerate(needs):
            if not left[c]:
                continue
            added = sum(1 for o in options if window_cars[o] + 1 > rules[o].p and position + 1 >= rules[o].q)
            utilisation = sum(option_left[o] * rules[o].q / (rules[o].p * remaining) for o in options)
            key = (added, -utilisation, rng.random() if rng else 0.0)
            if best is None or key < best:
                best, chosen = key, c
        sequence.append(chosen)
        left[chosen] -= 1
        for o, rule in enumerate(rules):
            flag = int(instance.classes[chosen].options[o])
            option_left[o] -= flag
            placed[o].append(flag)
            window_cars[o] += flag
            if len(placed[o]) >= rule.q:  # keep the last q-1 cars in the count
                window_cars[o] -= placed[o][-rule.q]
    return sequence
