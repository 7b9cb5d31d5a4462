"""Benchmarking an enterprise's overall maturity score against the other enterprises of its industry. Pure.

The result is anonymised: it holds the distribution of the others' overall scores (count, minimum, quartiles,
median, maximum) and the enterprise's percentile rank among them, never an enterprise id. With fewer than
:data:`MINIMUM_PEERS` (5) other enterprises in the industry the distribution is suppressed — every figure is
None — because in a small group the minimum, maximum and quartiles come close to naming individual enterprises
(k-anonymity with k = 5); the report then says 样本不足 (too few peers).

Quartiles interpolate linearly between order statistics: the q-quantile of n sorted scores sits at position
q·(n − 1) (0-based), the method of numpy's default ``percentile``, Excel's ``QUARTILE.INC`` and Hyndman & Fan's
type 7. The percentile rank is the share of peers scoring below the enterprise plus half the share scoring the same
(the mid-rank definition), × 100: above every peer is 100, below every peer 0, level with all of them 50.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from zhizao.assessment.model import LEVELS
from zhizao.errors import FieldProblem, InputError

MINIMUM_PEERS = 5
HIGHEST_SCORE = float(len(LEVELS))  # every level reached, nothing further to score


@dataclass(frozen=True, slots=True)
class PeerScore:
    """One enterprise's latest overall score, as the service reads it from the stored results."""

    enterprise_id: int
    industry: str
    overall: float


class Distribution(BaseModel):
    model_config = ConfigDict(frozen=True)

    count: int
    minimum: float
    lower_quartile: float
    median: float
    upper_quartile: float
    maximum: float


class Benchmark(BaseModel):
    model_config = ConfigDict(frozen=True)

    industry: str
    minimum_peers: int
    distribution: Distribution | None  # None: suppressed, fewer than minimum_peers other enterprises
    percentile_rank: float | None  # 0–100; None when suppressed

    @property
    def suppressed(self) -> bool:
        return self.distribution is None


def benchmark(
    enterprise_id: int,
    industry: str,
    overall: float,
    population: Sequence[PeerScore],
    *,
    minimum_peers: int = MINIMUM_PEERS,
) -> Benchmark:
    """The distribution of the overall scores of the other enterprises of ``industry`` in ``population`` (the
    enterprise's own entry, if there, is left out) and where ``overall`` ranks among them."""
    if minimum_peers < 1:
        raise InputError.for_field("minimum_peers", f"at least 1 peer is needed, not {minimum_peers}")
    problems = _population_problems(population)
    if not _valid_score(overall):
        problems.insert(0, FieldProblem("overall", f"an overall score is between 0 and 5, not {overall!r}"))
    if problems:
        raise InputError(f"{len(problems)} problem(s) with the benchmark input: {problems[0].message}", fields=problems)
    peers = sorted(
        entry.overall for entry in population if entry.industry == industry and entry.enterprise_id != enterprise_id
    )
    if len(peers) < minimum_peers:
        return Benchmark(industry=industry, minimum_peers=minimum_peers, distribution=None, percentile_rank=None)
    below = sum(score < overall for score in peers)
    level = sum(score == overall for score in peers)
    distribution = Distribution(
        count=len(peers),
        minimum=peers[0],
        lower_quartile=round(quantile(peers, 0.25), 4),
        median=round(quantile(peers, 0.5), 4),
        upper_quartile=round(quantile(peers, 0.75), 4),
        maximum=peers[-1],
    )
    return Benchmark(
        industry=industry,
        minimum_peers=minimum_peers,
        distribution=distribution,
        percentile_rank=round(100 * (below + level / 2) / len(peers), 4),
    )


def quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values by linear interpolation at position q·(n − 1) (Hyndman & Fan type 7)."""
    if not ordered:
        raise ValueError("the quantile of no values is undefined")
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _valid_score(value: float) -> bool:
    return math.isfinite(value) and 0 <= value <= HIGHEST_SCORE


def _population_problems(population: Sequence[PeerScore]) -> list[FieldProblem]:
    problems = []
    seen: set[int] = set()
    for index, entry in enumerate(population):
        where = f"population[{index}]"
        if entry.enterprise_id in seen:
            message = f"enterprise {entry.enterprise_id} appears more than once (give its latest score only)"
            problems.append(FieldProblem(f"{where}.enterprise_id", message))
        seen.add(entry.enterprise_id)
        if not _valid_score(entry.overall):
            message = f"enterprise {entry.enterprise_id}: an overall score is between 0 and 5, not {entry.overall!r}"
            problems.append(FieldProblem(f"{where}.overall", message))
    return problems
