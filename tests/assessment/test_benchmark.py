"""Benchmark against the industry: quartiles and percentile rank by hand, suppression below five peers, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhizao.assessment.benchmark import MINIMUM_PEERS, PeerScore, benchmark, quantile
from zhizao.errors import InputError

OWN_ID = 100


def _peers(*scores: float, industry: str = "汽车", first_id: int = 1) -> list[PeerScore]:
    return [PeerScore(first_id + index, industry, score) for index, score in enumerate(scores)]


def test_quartiles_median_and_rank_by_hand() -> None:
    # Others, sorted: 1.2 2.0 2.4 3.1 3.55 4.0 (n = 6; positions 0–5). The enterprise's own stored score and an
    # enterprise of another industry are left out.
    population = [
        *_peers(3.55, 1.2, 4.0, 2.4, 3.1, 2.0),
        PeerScore(OWN_ID, "汽车", 2.9),
        PeerScore(50, "电子", 0.4),
    ]
    result = benchmark(OWN_ID, "汽车", 3.1, population)
    assert result.distribution is not None and not result.suppressed
    spread = result.distribution
    assert (spread.count, spread.minimum, spread.maximum) == (6, 1.2, 4.0)
    assert spread.lower_quartile == pytest.approx(2.1)  # position 1.25: 2.0 + 0.25·(2.4 − 2.0)
    assert spread.median == pytest.approx(2.75)  # position 2.5: 2.4 + 0.5·(3.1 − 2.4)
    assert spread.upper_quartile == pytest.approx(3.4375)  # position 3.75: 3.1 + 0.75·(3.55 − 3.1)
    # 3 peers below 3.1 and one level with it: (3 + 0.5) / 6
    assert result.percentile_rank == pytest.approx(58.3333)
    others = [1.2, 2.0, 2.4, 3.1, 3.55, 4.0]
    assert [spread.lower_quartile, spread.median, spread.upper_quartile] == pytest.approx(
        list(np.percentile(others, [25, 50, 75]))
    )
    assert "enterprise_id" not in result.model_dump_json()  # anonymised: no ids come back


def test_rank_at_the_extremes_and_among_equals() -> None:
    peers = _peers(2.0, 2.5, 3.0, 3.5, 4.0)
    assert benchmark(OWN_ID, "汽车", 4.5, peers).percentile_rank == 100
    assert benchmark(OWN_ID, "汽车", 1.0, peers).percentile_rank == 0
    assert benchmark(OWN_ID, "汽车", 3.0, _peers(3.0, 3.0, 3.0, 3.0, 3.0)).percentile_rank == 50


def test_fewer_than_five_others_are_suppressed() -> None:
    assert MINIMUM_PEERS == 5
    four = _peers(1.0, 2.0, 3.0, 4.0)
    # The enterprise's own entry would make five; it does not count.
    suppressed = benchmark(OWN_ID, "汽车", 2.5, [*four, PeerScore(OWN_ID, "汽车", 2.5)])
    assert suppressed.suppressed and suppressed.distribution is None and suppressed.percentile_rank is None
    assert suppressed.industry == "汽车" and suppressed.minimum_peers == 5
    # Five of other industries do not count either.
    assert benchmark(OWN_ID, "汽车", 2.5, [*four, *_peers(1, 2, 3, 4, 5, industry="电子", first_id=10)]).suppressed
    shown = benchmark(OWN_ID, "汽车", 2.5, [*four, PeerScore(9, "汽车", 5.0)])
    assert shown.distribution is not None and shown.distribution.count == 5
    assert shown.distribution.median == 3.0
    assert benchmark(OWN_ID, "汽车", 2.5, four, minimum_peers=4).distribution is not None


def test_quantile_of_one_value_and_of_none() -> None:
    assert quantile([2.5], 0.25) == 2.5
    with pytest.raises(ValueError, match="no values"):
        quantile([], 0.5)


def test_bad_input_names_each_field() -> None:
    population = [PeerScore(1, "汽车", 2.0), PeerScore(1, "汽车", 3.0), PeerScore(2, "汽车", 5.5)]
    with pytest.raises(InputError) as raised:
        benchmark(OWN_ID, "汽车", math.nan, population)
    assert [problem.field for problem in raised.value.fields] == [
        "overall",
        "population[1].enterprise_id",
        "population[2].overall",
    ]
    assert "enterprise 2: an overall score is between 0 and 5, not 5.5" in raised.value.fields[2].message
    with pytest.raises(InputError) as raised:
        benchmark(OWN_ID, "汽车", 2.0, [], minimum_peers=0)
    assert raised.value.fields[0].field == "minimum_peers"
