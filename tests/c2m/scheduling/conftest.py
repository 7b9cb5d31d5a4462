"""Small problems whose answers were worked out by hand, and the shared benchmark folder when it is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhizao.c2m.scheduling import Job, Mode, Problem, Task, parse_instance
from zhizao.c2m.scheduling.tabu_compiled import load_kernel

JSSP = Path(__file__).resolve().parents[4] / "shared" / "data" / "jssp"

# J0: M0 3, M1 2, M2 2 · J1: M0 2, M2 1, M1 4 · J2: M1 4, M2 3, M0 1 — SPT gives 17, MWKR 11, the optimum is 11.
THREE_BY_THREE = """# a hand-made instance
3 3
0 3 1 2 2 2
0 2 2 1 1 4
1 4 2 3 0 1
"""


@pytest.fixture(scope="module")
def compiled_kernel() -> None:
    """The compiled tabu search, loaded before a module's first solve. Compiling it (a fresh checkout's first
    process) holds the GIL for seconds in a background thread; a solve under a time limit that runs meanwhile loses
    that time, and what these tests assert (an optimum proven in the limit) is not about that."""
    load_kernel()


@pytest.fixture
def three_by_three() -> Problem:
    return Problem.from_instance(parse_instance(THREE_BY_THREE, name="hand3"))


@pytest.fixture
def flexible() -> Problem:
    """J0 on M0 (5) or M1 (3); J1 on M0 only (4); J2 on either (2). Optimum 5: J1 on M0, J0 and J2 on M1."""
    return Problem(
        jobs=(
            Job((Task((Mode(0, 5), Mode(1, 3))),)),
            Job((Task.on(0, 4),)),
            Job((Task((Mode(0, 2), Mode(1, 2))),)),
        ),
        n_machines=2,
        name="flexible",
    )


@pytest.fixture
def jssp_instances() -> Path:
    folder = JSSP / "instances"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not there")
    return folder
