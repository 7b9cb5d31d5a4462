"""Random job-shop problems for the search tests (seeded, so every run sees the same ones)."""

from __future__ import annotations

import random

from zhizao.c2m.scheduling import Job, Problem, Task


def random_problem(jobs: int, machines: int, seed: int, release: bool = False) -> Problem:
    """``jobs`` jobs visiting every machine once in a random order, durations 1–99, releases 0–200 if ``release``."""
    rng = random.Random(seed)
    return Problem(
        jobs=tuple(
            Job(
                tuple(Task.on(m, rng.randint(1, 99)) for m in rng.sample(range(machines), machines)),
                release=rng.randint(0, 200) if release else 0,
            )
            for _ in range(jobs)
        ),
        n_machines=machines,
    )
