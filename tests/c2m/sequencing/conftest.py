"""Small instances worked out by hand, and the shared CSPLib folder when it is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhizao.c2m.sequencing.instance import Instance, parse_instance

CARSEQ = Path(__file__).resolve().parents[4] / "shared" / "data" / "carseq"

# The example of the CSPLib specification (Dincbas, Simonis & Van Hentenryck 1988): satisfiable.
DINCBAS = """10 5 6
1 2 1 2 1
2 3 3 5 5
0 1 1 0 1 1 0
1 1 0 0 0 1 0
2 2 0 1 0 0 1
3 2 0 1 0 1 0
4 2 1 0 1 0 0
5 2 1 1 0 0 0
"""

# Five cars, four of them need the one option, 1/3: every window of three holds at least two option cars. The best
# sequence is A A B A A — each of its three windows has one car too many — so the minimum is 3 (one per window).
CROWDED = """5 1 2
1
3
0 4 1
1 1 0
"""

# Two options (1/2 and 2/3) and four classes: 0 needs option 1, 1 option 2, 2 both, 3 neither.
TWO_OPTIONS = """5 2 4
1 2
2 3
0 1 1 0
1 1 0 1
2 2 1 1
3 1 0 0
"""


@pytest.fixture
def dincbas() -> Instance:
    return parse_instance(DINCBAS, name="dincbas")


@pytest.fixture
def crowded() -> Instance:
    return parse_instance(CROWDED, name="crowded")


@pytest.fixture
def two_options() -> Instance:
    return parse_instance(TWO_OPTIONS, name="two-options")
